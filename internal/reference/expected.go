package reference

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// Expected is a fixture's expected.json: the assertions (other fields are ignored).
type Expected struct {
	Assertions []Assertion `json:"assertions"`
}

// Assertion is one expected answer.
type Assertion struct {
	ID    int    `json:"id"`
	Query string `json:"query"` // count, goal_value, tests or results
	What  string `json:"what,omitempty"`
	Args  Args   `json:"args"`
	// Expected is an integer or decimal string (count, goal_value), a list of
	// {name, first_timestamp, last_timestamp} (tests), or population → list of values
	// (results).
	Expected json.RawMessage `json:"expected"`
	// Quantize, when set (e.g. "0.01"), rounds an answer half-even to its exponent
	// before comparing.
	Quantize string `json:"quantize,omitempty"`
}

// Args are an assertion's query arguments.
type Args struct {
	Goal       string          `json:"goal,omitempty"`
	Test       string          `json:"test,omitempty"`
	Population string          `json:"population,omitempty"`
	Rollup     string          `json:"rollup,omitempty"`
	Bucket     json.RawMessage `json:"bucket,omitempty"` // a number or a string
	Site       *int64          `json:"site"`             // null or missing: all sites
	Goals      []string        `json:"goals,omitempty"`
}

// Query returns the arguments as a Query.
func (a Args) Query() (Query, error) {
	q := Query{Goal: a.Goal, Test: a.Test, Population: a.Population, Rollup: a.Rollup, Site: a.Site}
	if len(a.Bucket) > 0 && string(a.Bucket) != "null" {
		var s string
		if err := json.Unmarshal(a.Bucket, &s); err == nil {
			q.Bucket = s
		} else {
			var n json.Number
			dec := json.NewDecoder(bytes.NewReader(a.Bucket))
			dec.UseNumber()
			if err := dec.Decode(&n); err != nil {
				return Query{}, fmt.Errorf("bucket %s is neither a number nor a string", a.Bucket)
			}
			q.Bucket = n.String()
		}
	}
	return q, nil
}

// LoadExpected reads an expected.json file.
func LoadExpected(path string) (*Expected, error) {
	var e Expected
	if err := readJSON(path, "expected answers", &e); err != nil {
		return nil, err
	}
	if len(e.Assertions) == 0 {
		return nil, fmt.Errorf("expected answers %s: no assertions", path)
	}
	return &e, nil
}

// CheckAssertions checks a against every assertion of the expected.json at path,
// reporting each mismatch as a test error, and returns the number of assertions checked.
func CheckAssertions(t testing.TB, a Answerer, path string) int {
	t.Helper()
	e, err := LoadExpected(path)
	if err != nil {
		t.Fatal(err)
		return 0
	}
	for _, as := range e.Assertions {
		if err := Check(a, as); err != nil {
			args, _ := json.Marshal(as.Args)
			t.Errorf("%s: assertion %d (%s %s): %v", path, as.ID, as.Query, args, err)
		}
	}
	return len(e.Assertions)
}

// Check compares a's answer to one assertion; nil means it matches.
func Check(a Answerer, as Assertion) error {
	q, err := as.Args.Query()
	if err != nil {
		return err
	}
	var places *int32
	if as.Quantize != "" {
		quantum, err := decimal.NewFromString(as.Quantize)
		if err != nil {
			return fmt.Errorf("bad quantize %q: %w", as.Quantize, err)
		}
		p := -quantum.Exponent()
		places = &p
	}
	switch as.Query {
	case "count":
		return checkCount(a, q, as)
	case "goal_value":
		return checkGoalValue(a, q, as, places)
	case "tests":
		return checkTests(a, as)
	case "results":
		return checkResults(a, q, as, places)
	}
	return fmt.Errorf("unknown query %q", as.Query)
}

func checkCount(a Answerer, q Query, as Assertion) error {
	want, err := parseDecimal(as.Expected)
	if err != nil {
		return err
	}
	got, err := a.Count(q)
	if err != nil {
		return err
	}
	if !want.Equal(decimal.NewFromInt(got)) {
		return fmt.Errorf("count = %d, want %s", got, want)
	}
	return nil
}

func checkGoalValue(a Answerer, q Query, as Assertion, places *int32) error {
	want, err := parseDecimal(as.Expected)
	if err != nil {
		return err
	}
	got, err := a.GoalValue(q)
	if err != nil {
		return err
	}
	if !sameDecimal(want, got, places) {
		return fmt.Errorf("goal value = %s, want %s", got, want)
	}
	return nil
}

func checkTests(a Answerer, as Assertion) error {
	var want []struct {
		Name  string `json:"name"`
		First int64  `json:"first_timestamp"`
		Last  int64  `json:"last_timestamp"`
	}
	if err := json.Unmarshal(as.Expected, &want); err != nil {
		return fmt.Errorf("expected tests: %w", err)
	}
	got, err := a.Tests()
	if err != nil {
		return err
	}
	var g, w []string
	for _, ti := range got {
		g = append(g, fmt.Sprintf("%q first=%d last=%d", ti.Name, ti.First, ti.Last))
	}
	for _, ti := range want {
		w = append(w, fmt.Sprintf("%q first=%d last=%d", ti.Name, ti.First, ti.Last))
	}
	if !slices.Equal(g, w) {
		return fmt.Errorf("tests =\n\t%s\nwant\n\t%s", strings.Join(g, "\n\t"), strings.Join(w, "\n\t"))
	}
	return nil
}

func checkResults(a Answerer, q Query, as Assertion, places *int32) error {
	var raw map[string][]json.RawMessage
	if err := json.Unmarshal(as.Expected, &raw); err != nil {
		return fmt.Errorf("expected results: %w", err)
	}
	got, err := a.Results(q.Test, as.Args.Goals, q.Site)
	if err != nil {
		return err
	}
	if len(got) != len(raw) {
		return fmt.Errorf("results have %d populations %v, want %d", len(got), keys(got), len(raw))
	}
	for pop, row := range raw {
		gotRow, ok := got[pop]
		if !ok {
			return fmt.Errorf("results lack population %q (have %v)", pop, keys(got))
		}
		if len(gotRow) != len(row) {
			return fmt.Errorf("population %q: %d values, want %d", pop, len(gotRow), len(row))
		}
		for i, r := range row {
			want, err := parseDecimal(r)
			if err != nil {
				return err
			}
			if !sameDecimal(want, gotRow[i], places) {
				return fmt.Errorf("population %q, goal %q: %s, want %s", pop, as.Args.Goals[i], gotRow[i], want)
			}
		}
	}
	return nil
}

// sameDecimal compares numerically, after rounding got half-even to places if given.
func sameDecimal(want, got decimal.Decimal, places *int32) bool {
	if places != nil {
		got = got.RoundBank(*places)
	}
	return want.Equal(got)
}

// parseDecimal reads a JSON number or a string holding a decimal.
func parseDecimal(raw json.RawMessage) (decimal.Decimal, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(bytes.TrimSpace(raw))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("expected value %s is not a decimal", raw)
	}
	return d, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
