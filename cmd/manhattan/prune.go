package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "prune", summary: "remove old log files, idle robots' histories, old dead letters", run: runPrune})
}

const pruneUsage = `logs|histories|dead-letters [flags]

  logs          remove event log files older than --older-than (default 30d) that every
                source has read past (never a file at or after any committed pointer)
  histories     remove the histories of visitors never seen human whose newest record is
                older than --robots-idle (default 30d); see "Retention" in docs/deploy.md
  dead-letters  remove dead letters recorded more than --older-than (default 90d) ago

Nothing is removed without --apply: without it, prune says what it would remove.`

var pruneNow = time.Now // for tests

func runPrune(ctx context.Context, args []string) error {
	fs := newFlags("prune", pruneUsage)
	dbf := addDBFlags(fs)
	lf := addLogFlags(fs)
	base := envString(fs, "log", "MANHATTAN_LOG", "log/manhattan.log", "logs: event log base path (files <base>.<hour>)")
	olderThan := fs.String("older-than", "", "logs, dead-letters: age to keep, e.g. 30d, 12h (default 30d for logs, 90d for dead letters)")
	idle := fs.String("robots-idle", "30d", "histories: remove robots idle for longer than this, e.g. 30d")
	apply := fs.Bool("apply", false, "really remove; without it, only report what would be removed")
	source := fs.String("source", "", "logs: only this source's committed pointer guards the files (default: every source of the schema, the safe choice; name the file source when the schema also has stream sources, whose positions are no log files)")
	what, err := parseAction(fs, args, "what to prune: logs, histories or dead-letters?")
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	def := map[string]string{"logs": "30d", "dead-letters": "90d", "histories": *idle}[what]
	if def == "" {
		return usagef("unknown target %q (want logs, histories or dead-letters)", what)
	}
	age := def
	if what != "histories" && *olderThan != "" {
		age = *olderThan
	}
	keep, err := parseAge(age)
	if err != nil {
		return usagef("%v", err)
	}
	db, _, err := openLogged(ctx, lf, dbf)
	if err != nil {
		return err
	}
	defer db.close()
	cutoff := pruneNow().Add(-keep)
	verb := "would remove"
	if *apply {
		verb = "removed"
	}
	switch what {
	case "logs":
		if err := pruneLogs(ctx, db, *base, *source, cutoff, *apply, verb); err != nil {
			return err
		}
	case "dead-letters":
		n, err := db.store.PruneDeadLetters(ctx, cutoff, *apply)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %d dead letters recorded before %s\n", verb, n, cutoff.UTC().Format(time.RFC3339))
	case "histories":
		expired := func(data []byte) (bool, error) {
			h := visitor.NewHistory()
			if err := h.UnmarshalBinary(data); err != nil {
				return false, err
			}
			last, ok := h.LastQueuedAt()
			return !h.Human() && ok && last < cutoff.Unix(), nil
		}
		res, err := db.store.PruneHistories(ctx, expired, *apply)
		if err != nil {
			return err
		}
		n := res.Matched
		if *apply {
			n = res.Removed
		}
		fmt.Fprintf(stdout, "%s %d of %d histories (%d bytes): visitors never seen human, idle since before %s\n",
			verb, n, res.Scanned, res.Bytes, cutoff.UTC().Format(time.RFC3339))
		if *apply && res.Removed < res.Matched {
			fmt.Fprintf(stdout, "kept %d that ingest changed while prune ran\n", res.Matched-res.Removed)
		}
	}
	if !*apply {
		fmt.Fprintln(stdout, "(dry run: add --apply to remove)")
	}
	return nil
}

// pruneLogs removes the files of base that lie before every source's committed pointer.
func pruneLogs(ctx context.Context, db *database, base, source string, cutoff time.Time, apply bool, verb string) error {
	st, err := db.store.Status(ctx)
	if err != nil {
		return err
	}
	var guards []persistence.PointerStatus
	for _, p := range st.Pointers {
		if source == "" || p.Source == source {
			guards = append(guards, p)
		}
	}
	if len(guards) == 0 {
		if source != "" {
			return fmt.Errorf("source %q has committed no pointer in schema %q: nothing is known to be read, nothing pruned", source, st.Schema)
		}
		return fmt.Errorf("no source has committed a pointer in schema %q yet: nothing is known to be read, nothing pruned", st.Schema)
	}
	keepFrom := guards[0].Pointer.File
	for _, p := range guards {
		keepFrom = min(keepFrom, p.Pointer.File)
	}
	st.Pointers = guards
	res, err := eventlog.Prune(base, keepFrom, cutoff, apply)
	if err != nil {
		return err
	}
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "%s %s (%d bytes)\n", verb, f.Path, f.Bytes)
	}
	for _, p := range res.Busy {
		fmt.Fprintf(stdout, "kept %s: a writer holds its lock\n", p)
	}
	fmt.Fprintf(stdout, "%s %d files, %d bytes: older than %s and before every committed pointer (oldest: file %d of %d sources)\n",
		verb, len(res.Files), res.Bytes, cutoff.UTC().Format(time.RFC3339), keepFrom, len(st.Pointers))
	return nil
}

// parseAge parses an age such as "30d", "36h" or "90m" (a Go duration, or whole days).
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("age %q: want whole days such as 30d, or a duration such as 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("age %q: want whole days such as 30d, or a duration such as 36h", s)
	}
	return d, nil
}
