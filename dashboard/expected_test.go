package dashboard_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/manhattan-analytics/manhattan/internal/fixtures"
)

// assertion is one answer of the clickstream's expected.json.
type assertion struct {
	ID       int             `json:"id"`
	Query    string          `json:"query"`
	Args     map[string]any  `json:"args"`
	Expected json.RawMessage `json:"expected"`
	Exact    string          `json:"exact"` // the unrounded quotient, when expected is rounded
}

// expectedAnswers reads the clickstream's expected.json.
func expectedAnswers(t *testing.T) map[int]assertion {
	t.Helper()
	b, err := os.ReadFile(fixtures.Expected(fixtures.Clickstream))
	require.NoError(t, err)
	var doc struct {
		Assertions []assertion `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	byID := map[int]assertion{}
	for _, a := range doc.Assertions {
		byID[a.ID] = a
	}
	return byID
}

// find returns the assertion of query whose args match want (compared as JSON values).
func find(t *testing.T, answers map[int]assertion, query string, want map[string]any) assertion {
	t.Helper()
	for _, a := range answers {
		if a.Query != query || len(a.Args) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			got, _ := json.Marshal(a.Args[k])
			exp, _ := json.Marshal(v)
			if string(got) != string(exp) {
				match = false
			}
		}
		if match {
			return a
		}
	}
	t.Fatalf("expected.json has no %s assertion with args %v", query, want)
	return assertion{}
}

// asDecimal reads an expected value: a JSON number or a decimal string.
func asDecimal(t *testing.T, raw json.RawMessage) decimal.Decimal {
	t.Helper()
	var s string
	if json.Unmarshal(raw, &s) == nil {
		d, err := decimal.NewFromString(s)
		require.NoError(t, err)
		return d
	}
	d, err := decimal.NewFromString(string(raw))
	require.NoError(t, err)
	return d
}

// variantArgs are the args of a variant query of the red checkout form on site 1.
func variantArgs(goal, population string) map[string]any {
	a := map[string]any{"test": redCheckout, "population": population, "rollup": "all", "bucket": 0, "site": 1}
	if goal != "" {
		a["goal"] = goal
	}
	return a
}
