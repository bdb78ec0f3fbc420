package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/manhattan-analytics/manhattan/analysis"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/query"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "query", summary: "answer a query: count, value, tests, goals, results, series", run: runQuery})
}

// queryKinds are the queries of the command line, in the order of its usage.
var queryKinds = []string{query.KindCount, query.KindValue, query.KindTests, query.KindGoals, query.KindResults, query.KindSeries, query.KindAnalysis}

const queryUsage = `count|value|tests|goals|results|series|analysis [flags]

  count    visitors who converted on --goal (within a variant: --test and --population),
           or who saw a variant (no --goal), in a rollup bucket and site
  value    the goal's value by its type: count, sum (S), sum per converter (A), or sum
           per visitor with a page view (I, R)
  tests    every split test, the most recently seen first
  goals    every goal with its value type and format
  results  for each population of --test, the value of each of --goals
  series   every bucket of --rollup (e.g. pst_day) with count and value
  analysis the statistics of --test against its control for --goals (default: the
           configured goals, else every goal): rates or means, difference and lift
           with 95% intervals, p-values, chance to win and risk; --breakdown ROLLUP
           for one analysis per bucket (e.g. browser), --breakdown site for one per
           site (with --cohort, of its range), or --cohort KEY (a cohort
           rollup, e.g. first_day_UTC from --rollup first_day:UTC) with --from and --to
           (dates or buckets) for the visitors who arrived then

Decimal values are printed exactly. --json prints the documents of the HTTP API
(results --json carries the analysis too).`

func runQuery(ctx context.Context, args []string) error {
	fs := newFlags("query", queryUsage)
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	fs.String("goal", "", "goal name")
	fs.String("test", "", "split test name; with --population it selects a variant")
	fs.String("population", "", "population (variant) of --test")
	fs.String("rollup", persistence.DefaultRollup, "rollup key (all, pst_day, pst_week, browser, …)")
	fs.String("bucket", persistence.DefaultBucket, "bucket of the rollup (all: 0; days and weeks: Unix seconds of their local midnight)")
	fs.String("site", "", "site id; omitted (or \"all\"): the sum over all sites")
	fs.String("goals", "", "results, analysis: comma-separated goals (default: every goal)")
	fs.String("breakdown", "", "analysis: one analysis per bucket of this rollup (e.g. browser), or per site with \"site\"")
	fs.String("cohort", "", "analysis: the key of a cohort rollup (e.g. first_day_UTC) for --from and --to")
	fs.String("from", "", "analysis: first bucket of the cohort range (Unix seconds or YYYY-MM-DD)")
	fs.String("to", "", "analysis: last bucket of the cohort range (Unix seconds or YYYY-MM-DD)")
	complexGoals := envList(fs, "complex", "MANHATTAN_COMPLEX", nil, `complex goal "name|include,...|exclude,..." of the ingest (repeatable), `+
		"so that one nobody converted on yet is known (default: those the ingest stored with the schema)")
	asJSON := fs.Bool("json", false, "print JSON (the documents of the HTTP API) instead of a table")
	kind, err := parseWithVerb(fs, args)
	if err != nil || kind == "" {
		return err
	}
	if !slices.Contains(queryKinds, kind) {
		return usagef("unknown query %q (want count, value, tests, goals, results, series or analysis)", kind)
	}
	req, err := query.Parser{Naming: query.Flags}.Parse(kind, queryValues(fs))
	if err != nil {
		return usagef("%v", err)
	}
	cs, err := visitor.ParseComplexList(complexGoals.values)
	if err != nil {
		return usagef("--complex: %v", err)
	}
	var complexNames []string
	for _, c := range cs {
		complexNames = append(complexNames, c.Name)
	}
	db, log, err := openLogged(ctx, lf, dbf)
	if err != nil {
		return err
	}
	defer db.close()
	if len(cs) == 0 {
		rules, err := storedRules(db.store, log)
		if err != nil {
			return err
		}
		for _, c := range rules.Complex {
			complexNames = append(complexNames, c.Name)
		}
	}
	if err := answerQuery(ctx, query.New(db.store, complexNames...), req, *asJSON); err != nil {
		return err
	}
	if !*asJSON {
		hintOtherSchemas(ctx, db.store)
	}
	return nil
}

// hintOtherSchemas says where the data is when the schema queried holds none and other
// schemas do (the demo, say, writes schema "demo").
func hintOtherSchemas(ctx context.Context, store *persistence.Store) {
	if yes, err := store.HasIngested(ctx); err != nil || yes {
		return
	}
	others, err := store.OtherSchemasWithData(ctx)
	if err != nil || len(others) == 0 {
		return
	}
	fmt.Fprintf(stdout, "\nNothing was ingested into schema %q. Data is in schema %s: add --schema %s (or set MANHATTAN_SCHEMA).\n",
		store.Schema(), strings.Join(others, ", "), others[0])
}

// queryFlagNames are the flags that are parameters of a query.
var queryFlagNames = []string{"goal", "test", "population", "rollup", "bucket", "site", "goals", "breakdown", "cohort", "from", "to"}

// queryValues returns the query parameters given as flags.
func queryValues(fs *flag.FlagSet) url.Values {
	v := url.Values{}
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(queryFlagNames, f.Name) {
			v.Set(f.Name, f.Value.String())
		}
	})
	return v
}

// answerQuery answers req and prints the answer as JSON or as a table.
func answerQuery(ctx context.Context, svc *query.Service, req query.Request, asJSON bool) error {
	var (
		answer any
		err    error
	)
	switch req.Kind {
	case query.KindCount:
		answer, err = svc.Count(ctx, req)
	case query.KindValue:
		answer, err = svc.Value(ctx, req)
	case query.KindTests:
		answer, err = svc.Tests(ctx)
	case query.KindGoals:
		answer, err = svc.Goals(ctx)
	case query.KindResults:
		answer, err = svc.Results(ctx, req)
	case query.KindSeries:
		answer, err = svc.Series(ctx, req)
	case query.KindAnalysis:
		answer, err = svc.Analysis(ctx, req)
	default:
		return usagef("unknown query %q", req.Kind)
	}
	if err != nil {
		return err
	}
	return printAnswer(answer, asJSON, printTable)
}

// printAnswer prints answer to standard output: as indented JSON, or as the table that
// table writes, its columns aligned.
func printAnswer[T any](answer T, asJSON bool, table func(io.Writer, T)) error {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(answer)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	table(tw, answer)
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

// printTable prints an answer of answerQuery as a table.
func printTable(w io.Writer, answer any) {
	switch a := answer.(type) {
	case query.CountAnswer:
		selectionTable(w, a.Selection, "COUNT", strconv.FormatInt(a.Count, 10))
	case query.ValueAnswer:
		selectionTable(w, a.Selection, "VALUE", a.Value)
	case query.TestsAnswer:
		testsTable(w, a)
	case query.GoalsAnswer:
		goalsTable(w, a)
	case query.ResultsAnswer:
		resultsTable(w, a)
	case query.SeriesAnswer:
		seriesTable(w, a)
	case query.AnalysisAnswer:
		analysisTable(w, a)
	}
}

func selectionTable(w io.Writer, s query.Selection, name, value string) {
	tableRow(w, "GOAL", "TEST", "POPULATION", "ROLLUP", "BUCKET", "SITE", name)
	tableRow(w, s.Goal, s.Test, s.Population, s.Rollup, s.Bucket, siteCell(s.Site), value)
}

func testsTable(w io.Writer, a query.TestsAnswer) {
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

func goalsTable(w io.Writer, a query.GoalsAnswer) {
	tableRow(w, "GOAL", "VALUE TYPE", "FORMAT")
	for _, g := range a.Goals {
		vt := describe(valueTypeNames, g.ValueType)
		if g.Complex {
			vt = "complex"
		}
		tableRow(w, g.Name, vt, describe(valueFormatNames, g.ValueFormat))
	}
}

// valueColumns name the value column of a value goal by its value type.
var valueColumns = map[string]string{"S": "sum", "A": "average", "I": "per visitor", "R": "per visitor"}

// resultsTable prints one row per population: its visitors (those with an impression),
// then for each goal the visitors who converted after it and, for a value goal, the
// goal's value (sum, average or per visitor) in a column of its own. Without the
// analysis's counts it prints the goal values alone.
func resultsTable(w io.Writer, a query.ResultsAnswer) {
	fmt.Fprintf(w, "test %s, site %s\n", tableCell(a.Test), siteCell(a.Site))
	if a.Analysis == nil || len(a.Analysis.Goals) != len(a.Goals) {
		tableRow(w, append([]string{"POPULATION"}, a.Goals...)...)
		for _, pop := range a.Populations {
			tableRow(w, append([]string{pop}, a.Results[pop]...)...)
		}
		return
	}
	header := []string{"POPULATION", "VISITORS"}
	for _, g := range a.Analysis.Goals {
		header = append(header, g.Goal)
		if g.ValueType != "" {
			header = append(header, g.Goal+" ("+describe(valueColumns, string(g.ValueType))+")")
		}
	}
	tableRow(w, header...)
	for _, pop := range a.Populations {
		row := []string{pop, "-"}
		for i, g := range a.Analysis.Goals {
			count := "-"
			if j := slices.IndexFunc(g.Populations, func(p analysis.PopulationResult) bool { return p.Population == pop }); j >= 0 {
				row[1] = strconv.FormatInt(g.Populations[j].Exposures, 10)
				count = strconv.FormatInt(g.Populations[j].Counts.Conversions, 10)
			}
			row = append(row, count)
			if g.ValueType != "" && i < len(a.Results[pop]) {
				row = append(row, a.Results[pop][i])
			}
		}
		tableRow(w, row...)
	}
}

func seriesTable(w io.Writer, a query.SeriesAnswer) {
	tableRow(w, "BUCKET", "COUNT", "VALUE")
	for _, p := range a.Points {
		tableRow(w, p.Bucket, strconv.FormatInt(p.Count, 10), p.Value)
	}
}
