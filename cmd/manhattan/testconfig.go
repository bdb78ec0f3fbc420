package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/query"
)

func init() {
	register(&command{name: "test", summary: "show or set a split test's analysis configuration", run: runTest})
}

const testUsage = `set|show NAME [flags]

  show  the analysis configuration of test NAME, with the defaults and the rule that
        chose its control
  set   change the given fields of it (the others stay):
          --control POP --primary GOAL --secondary G1,G2 --guardrail GOAL[:lower-is-better]
          --weights POP=SHARE,… --correction holm|bh|none --sequential[=false]
          --status running|stopped|shipped --note TEXT
        an empty value clears a field (--weights "" means equal shares)`

// guardrailFlags collects repeated --guardrail flags.
type guardrailFlags struct {
	set  bool
	list []query.Guardrail
}

func (g *guardrailFlags) String() string { return "" }

func (g *guardrailFlags) Set(s string) error {
	g.set = true
	if s != "" {
		g.list = append(g.list, query.ParseGuardrail(s))
	}
	return nil
}

func runTest(ctx context.Context, args []string) error {
	fs := newFlags("test", testUsage)
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	asJSON := fs.Bool("json", false, "print the configuration as JSON (the document of the HTTP API)")
	fs.String("control", "", "set: the control population")
	fs.String("primary", "", "set: the primary goal")
	fs.String("secondary", "", "set: comma-separated secondary goals")
	var guardrails guardrailFlags
	fs.Var(&guardrails, "guardrail", "set: a guardrail goal, GOAL or GOAL:lower-is-better (repeatable)")
	fs.String("weights", "", "set: expected shares, POP=SHARE,… (empty: equal)")
	fs.String("correction", "", "set: multiple-comparison correction, one of "+strings.Join(query.Corrections, ", "))
	fs.Bool("sequential", false, "set: always-valid (sequential) intervals and p-values")
	fs.String("status", "", "set: running, stopped or shipped")
	fs.String("note", "", "set: the test's notes")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fs.Usage()
		return nil
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("which one: set or show?")
	}
	action := args[0]
	if action != "set" && action != "show" {
		return usagef("unknown action %q (want set or show)", action)
	}
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usagef("%s needs the test's name: manhattan test %s NAME", action, action)
	}
	name := args[1]
	if err := parse(fs, args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (quote names that contain spaces)", fs.Arg(0))
	}
	change, changed, err := configChange(fs, &guardrails)
	if err != nil {
		return err
	}
	if action == "show" && changed {
		return usagef("show takes no fields to set; use manhattan test set")
	}
	if action == "set" && !changed {
		return usagef("set: give at least one field to change (see manhattan test --help)")
	}
	db, _, err := openLogged(ctx, lf, dbf)
	if err != nil {
		return err
	}
	defer db.close()
	svc := query.New(db.store)
	var answer query.ConfigAnswer
	if action == "show" {
		answer, err = svc.TestConfig(ctx, name)
	} else {
		answer, err = svc.SetTestConfig(ctx, name, change, false)
	}
	if err != nil {
		return err
	}
	return printAnswer(answer, *asJSON, configTable)
}

// configChange returns the change the set flags ask for, and whether there is any.
func configChange(fs *flag.FlagSet, guardrails *guardrailFlags) (query.ConfigChange, bool, error) {
	var (
		c       query.ConfigChange
		changed bool
		err     error
	)
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		str := func() *string { return &v }
		switch f.Name {
		case "control":
			c.Control = str()
		case "primary":
			c.Primary = str()
		case "secondary":
			goals, e := query.SplitGoals([]string{v}, query.DefaultMaxGoals)
			if e != nil {
				err = usagef("--secondary: %v", e)
			}
			c.Secondary = &goals
		case "guardrail":
			c.Guardrails = &guardrails.list
		case "weights":
			w, e := query.ParseWeights(v)
			if e != nil {
				err = usagef("--weights: %v", e)
			}
			c.Weights = &w
		case "correction":
			c.Correction = str()
		case "sequential":
			b := v == "true"
			c.Sequential = &b
		case "status":
			c.Status = str()
		case "note":
			c.Notes = str()
		default:
			return
		}
		changed = true
	})
	return c, changed, err
}

func configTable(w io.Writer, a query.ConfigAnswer) {
	row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\n", k, tableCell(v)) }
	row("test", a.Test)
	row("control", fmt.Sprintf("%s (%s)", a.Control, a.ControlRule))
	row("primary goal", a.Primary)
	row("secondary goals", strings.Join(a.Secondary, ", "))
	var gs []string
	for _, g := range a.Guardrails {
		dir := "higher is better"
		if g.LowerIsBetter {
			dir = "lower is better"
		}
		gs = append(gs, fmt.Sprintf("%s (%s)", g.Goal, dir))
	}
	row("guardrail goals", strings.Join(gs, ", "))
	weights := "equal"
	if len(a.Weights) > 0 {
		var ws []string
		for _, pop := range slices.Sorted(maps.Keys(a.Weights)) {
			ws = append(ws, fmt.Sprintf("%s=%g", pop, a.Weights[pop]))
		}
		weights = strings.Join(ws, ", ")
	}
	row("weights", weights)
	row("correction", a.Correction)
	row("sequential", fmt.Sprint(a.Sequential))
	row("status", a.Status)
	row("notes", a.Notes)
	updated := "never (defaults)"
	if a.UpdatedAt != nil {
		updated = a.UpdatedAt.Format(time.DateTime) + " UTC"
	}
	row("updated", updated)
}
