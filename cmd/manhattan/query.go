package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/manhattan-analytics/manhattan/api"
	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/persistence"
)

func init() {
	register(&command{name: "query", summary: "answer a query: count, value, tests, goals, results, series", run: runQuery})
}

// queryKinds are the queries and the query flags each one takes.
var queryKinds = map[string][]string{
	"count":   {"goal", "test", "population", "rollup", "bucket", "site"},
	"value":   {"goal", "test", "population", "rollup", "bucket", "site"},
	"tests":   {},
	"goals":   {},
	"results": {"test", "goals", "site"},
	"series":  {"goal", "test", "population", "rollup", "site"},
}

const queryUsage = `count|value|tests|goals|results|series [flags]

  count    visitors who converted on --goal (within a variant: --test and --population),
           or who saw a variant (no --goal), in a rollup bucket and site
  value    the goal's value by its type: count, sum (S), sum per converter (A), or sum
           per visitor with a page view (I, R)
  tests    every split test, the most recently seen first
  goals    every goal with its value type and format
  results  for each population of --test, the value of each of --goals
  series   every bucket of --rollup (e.g. pst_day) with count and value

Decimal values are printed exactly. --json prints the documents of the HTTP API.`

type queryFlags struct {
	goal, test, population, rollup, bucket, site, goals *string
	json                                                *bool
}

func runQuery(ctx context.Context, args []string) error {
	fs := newFlags("query", queryUsage)
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	qf := queryFlags{
		goal:       fs.String("goal", "", "goal name"),
		test:       fs.String("test", "", "split test name; with --population it selects a variant"),
		population: fs.String("population", "", "population (variant) of --test"),
		rollup:     fs.String("rollup", persistence.DefaultRollup, "rollup key (all, pst_day, pst_week, browser, …)"),
		bucket:     fs.String("bucket", persistence.DefaultBucket, "bucket of the rollup (all: 0; days and weeks: Unix seconds of their local midnight)"),
		site:       fs.String("site", "", "site id; omitted (or \"all\"): the sum over all sites"),
		goals:      fs.String("goals", "", "results: comma-separated goals (default: every goal)"),
		json:       fs.Bool("json", false, "print JSON (the documents of the HTTP API) instead of a table"),
	}
	kind, err := parseWithVerb(fs, args)
	if err != nil || kind == "" {
		return err
	}
	allowed, ok := queryKinds[kind]
	if !ok {
		return usagef("unknown query %q (want count, value, tests, goals, results or series)", kind)
	}
	if err := checkQueryFlags(fs, kind, allowed); err != nil {
		return err
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	answerQuery, err := qf.plan(kind)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, dbf, log)
	if err != nil {
		return err
	}
	defer db.close()
	answer, table, err := answerQuery(ctx, db.store)
	if err != nil {
		return err
	}
	if *qf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(answer)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// parseWithVerb parses "VERB [flags]" or "[flags] VERB [flags]" and returns the verb; ""
// with a nil error means help was shown.
func parseWithVerb(fs *flag.FlagSet, args []string) (string, error) {
	if len(args) == 0 {
		fs.Usage()
		return "", usagef("which query? count, value, tests, goals, results or series")
	}
	if !strings.HasPrefix(args[0], "-") {
		if err := parse(fs, args[1:]); err != nil {
			return "", err
		}
		if fs.NArg() > 0 {
			return "", usagef("unexpected argument %q (quote names that contain spaces)", fs.Arg(0))
		}
		return args[0], nil
	}
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", usagef("which query? count, value, tests, goals, results or series")
	}
	verb := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", usagef("unexpected argument %q (quote names that contain spaces)", fs.Arg(0))
	}
	return verb, nil
}

// checkQueryFlags rejects query flags that the query does not take, and over-long values.
func checkQueryFlags(fs *flag.FlagSet, kind string, allowed []string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		if _, isQueryFlag := queryFlagNames[f.Name]; !isQueryFlag {
			return
		}
		switch {
		case kind == "series" && f.Name == "bucket":
			err = usagef("a series has every bucket of its rollup: drop --bucket")
		case !slices.Contains(allowed, f.Name):
			err = usagef("--%s does not apply to %s", f.Name, kind)
		case f.Name != "goals" && utf8.RuneCountInString(f.Value.String()) > messages.MaxFieldLength:
			err = usagef("--%s is longer than %d characters", f.Name, messages.MaxFieldLength)
		}
	})
	return err
}

var queryFlagNames = map[string]struct{}{"goal": {}, "test": {}, "population": {}, "rollup": {}, "bucket": {}, "site": {}, "goals": {}}

// queryRun answers a query: the JSON document and a function that prints it as a table.
type queryRun func(ctx context.Context, store *persistence.Store) (answer any, table func(io.Writer), err error)

// plan checks the flags of query kind and returns the function that answers it.
func (f queryFlags) plan(kind string) (queryRun, error) {
	site, err := api.ParseSite(*f.site)
	if err != nil {
		return nil, usagef("--site: %v", err)
	}
	q := persistence.Query{Goal: *f.goal, Test: *f.test, Population: *f.population, Rollup: *f.rollup, Bucket: *f.bucket, Site: site}
	if (q.Test == "") != (q.Population == "") && kind != "results" {
		return nil, usagef("a variant needs both --test and --population")
	}
	if q.Rollup == "" || q.Bucket == "" {
		return nil, usagef("--rollup and --bucket must not be empty")
	}
	switch kind {
	case "count":
		if q.Goal == "" && q.Test == "" {
			return nil, usagef("give --goal, a variant (--test and --population), or both")
		}
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			n, err := st.Count(ctx, q)
			ans := api.CountAnswer{Selection: api.NewSelection(q), Count: n}
			return ans, func(w io.Writer) { selectionTable(w, ans.Selection, "COUNT", strconv.FormatInt(n, 10)) }, err
		}, nil
	case "value":
		if q.Goal == "" {
			return nil, usagef("--goal is required")
		}
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			v, err := st.GoalValue(ctx, q)
			ans := api.ValueAnswer{Selection: api.NewSelection(q), Value: v.String()}
			return ans, func(w io.Writer) { selectionTable(w, ans.Selection, "VALUE", ans.Value) }, err
		}, nil
	case "tests":
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			tests, err := st.Tests(ctx)
			ans := api.NewTestsAnswer(tests)
			return ans, func(w io.Writer) { testsTable(w, ans) }, err
		}, nil
	case "goals":
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			goals, err := st.Goals(ctx)
			ans := api.NewGoalsAnswer(goals)
			return ans, func(w io.Writer) { goalsTable(w, ans) }, err
		}, nil
	case "results":
		if q.Test == "" {
			return nil, usagef("--test is required")
		}
		var lists []string
		if *f.goals != "" {
			lists = []string{*f.goals}
		}
		goals, err := api.SplitGoals(lists, api.DefaultMaxGoals)
		if err != nil {
			return nil, usagef("--goals: %v", err)
		}
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			goals := goals
			if len(goals) == 0 {
				var err error
				if goals, err = api.AllGoals(ctx, st); err != nil {
					return nil, nil, err
				}
			}
			res, err := st.Results(ctx, q.Test, goals, q.Site)
			if err != nil {
				return nil, nil, err
			}
			if len(res) == 0 {
				return nil, nil, fmt.Errorf("no test named %q (see 'manhattan query tests')", q.Test)
			}
			ans := api.NewResultsAnswer(q.Test, goals, q.Site, res)
			return ans, func(w io.Writer) { resultsTable(w, ans) }, nil
		}, nil
	case "series":
		if q.Goal == "" && q.Test == "" {
			return nil, usagef("give --goal, a variant (--test and --population), or both")
		}
		return func(ctx context.Context, st *persistence.Store) (any, func(io.Writer), error) {
			points, err := st.Series(ctx, q)
			ans := api.NewSeriesAnswer(q, points)
			return ans, func(w io.Writer) { seriesTable(w, ans) }, err
		}, nil
	}
	return nil, usagef("unknown query %q", kind)
}

// tableCell makes s fit a table cell: "-" when empty, control characters escaped (a tab
// would break the columns).
func tableCell(s string) string {
	if s == "" {
		return "-"
	}
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func tableRow(w io.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = tableCell(c)
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

func siteCell(site *int64) string {
	if site == nil {
		return "all"
	}
	return strconv.FormatInt(*site, 10)
}

func selectionTable(w io.Writer, s api.Selection, name, value string) {
	tableRow(w, "GOAL", "TEST", "POPULATION", "ROLLUP", "BUCKET", "SITE", name)
	tableRow(w, s.Goal, s.Test, s.Population, s.Rollup, s.Bucket, siteCell(s.Site), value)
}

func testsTable(w io.Writer, a api.TestsAnswer) {
	tableRow(w, "TEST", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "POPULATIONS")
	for _, t := range a.Tests {
		tableRow(w, t.Name, t.FirstTime.Format(time.DateTime), t.LastTime.Format(time.DateTime), strings.Join(t.Populations, ", "))
	}
}

var (
	valueTypeNames   = map[string]string{"": "-", "S": "S (sum)", "A": "A (average)", "I": "I (per visitor)", "R": "R (rate)"}
	valueFormatNames = map[string]string{"": "-", "N": "N (number)", "C": "C (currency)", "P": "P (percentage)"}
)

func describe(names map[string]string, code string) string {
	if n, ok := names[code]; ok {
		return n
	}
	return code
}

func goalsTable(w io.Writer, a api.GoalsAnswer) {
	tableRow(w, "GOAL", "VALUE TYPE", "FORMAT")
	for _, g := range a.Goals {
		tableRow(w, g.Name, describe(valueTypeNames, g.ValueType), describe(valueFormatNames, g.ValueFormat))
	}
}

func resultsTable(w io.Writer, a api.ResultsAnswer) {
	fmt.Fprintf(w, "test %s, site %s\n", tableCell(a.Test), siteCell(a.Site))
	tableRow(w, append([]string{"POPULATION"}, a.Goals...)...)
	for _, pop := range a.Populations {
		tableRow(w, append([]string{pop}, a.Results[pop]...)...)
	}
}

func seriesTable(w io.Writer, a api.SeriesAnswer) {
	tableRow(w, "BUCKET", "COUNT", "VALUE")
	for _, p := range a.Points {
		tableRow(w, p.Bucket, strconv.FormatInt(p.Count, 10), p.Value)
	}
}
