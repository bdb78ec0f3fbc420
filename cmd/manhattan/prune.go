package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/persistence"
	"github.com/manhattan-analytics/manhattan/ship"
	"github.com/manhattan-analytics/manhattan/visitor"
)

func init() {
	register(&command{name: "prune", summary: "remove old log files, idle robots' histories, old dead letters", run: runPrune})
}

const pruneUsage = `logs|histories|dead-letters [flags]

  logs          remove event log files older than --older-than (default 30d) that every
                file source has read past (never a file at or after any committed pointer)
                and, with a shipper beside the log, that it has shipped
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
	source := fs.String("source", "", "logs: only this source's committed pointer guards the files (default: every file source of the schema, the safe choice; the sources of a stream are left out, their positions are no log files)")
	shipProgress := fs.String("progress-file", "", "logs: a shipper's progress file, which guards the files it has not shipped (default <log>.ship, when it exists)")
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
		if *shipProgress == "" {
			*shipProgress = *base + ".ship"
		}
		if err := pruneLogs(ctx, db, *base, *source, *shipProgress, cutoff, *apply, verb); err != nil {
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

// pruneLogs removes the files of base that lie before every guard: the committed
// pointers of the file sources (or of source alone) and the progress of a shipper of the
// log (shipProgress, when that file exists).
func pruneLogs(ctx context.Context, db *database, base, source, shipProgress string, cutoff time.Time, apply bool, verb string) error {
	st, err := db.store.Status(ctx)
	if err != nil {
		return err
	}
	guards, streams := fileGuards(st.Pointers, source)
	if source != "" && len(streams) > 0 {
		return fmt.Errorf("source %q is a stream's (its pointers are in partitions %s): its positions are stream sequences, not log files; name the file source that reads %s, or none",
			source, streams[0].partitions, base)
	}
	for _, s := range streams {
		fmt.Fprintf(stdout, "not a guard: source %q, a stream's (partitions %s): its positions are no log files\n", s.name, s.partitions)
	}
	if p, ok, err := ship.LoadProgress(shipProgress); err != nil {
		return err
	} else if ok {
		guards = append(guards, logGuard{what: "the shipper's progress " + shipProgress, file: p.Acked.File})
	}
	if len(guards) == 0 {
		if source != "" {
			return fmt.Errorf("source %q has committed no pointer in schema %q: nothing is known to be read, nothing pruned", source, st.Schema)
		}
		return fmt.Errorf("no file source has committed a pointer in schema %q yet, and no shipper's progress is at %s: nothing is known to be read, nothing pruned", st.Schema, shipProgress)
	}
	oldest := guards[0]
	for _, g := range guards {
		if g.file < oldest.file {
			oldest = g
		}
	}
	res, err := eventlog.Prune(base, oldest.file, cutoff, apply)
	if err != nil {
		return err
	}
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "%s %s (%d bytes)\n", verb, f.Path, f.Bytes)
	}
	for _, p := range res.Busy {
		fmt.Fprintf(stdout, "kept %s: a writer holds its lock\n", p)
	}
	fmt.Fprintf(stdout, "%s %d files, %d bytes: older than %s and before every guard (%d; the oldest: file %d of %s)\n",
		verb, len(res.Files), res.Bytes, cutoff.UTC().Format(time.RFC3339), len(guards), oldest.file, oldest.what)
	return nil
}

// logGuard is a position in the log files that pruning must not pass.
type logGuard struct {
	what string // e.g. `source "shop"`
	file int64  // the hour of its file
}

// streamSource is a source whose pointer rows are a stream's.
type streamSource struct {
	name       string
	partitions string // e.g. "0-15"
}

// fileGuards returns the committed pointers that guard log files: those of source, or
// with source "" of every source. A source with a partition other than 0 is a stream's:
// its positions are stream sequences, not hours of files; it is returned apart. (A
// stream of one partition cannot be told from files: it guards, and, its sequences being
// far below any hour, keeps every file; name the file source then.)
func fileGuards(ps []persistence.PointerStatus, source string) ([]logGuard, []streamSource) {
	bySource := map[string][]persistence.PointerStatus{}
	var names []string
	for _, p := range ps {
		if source != "" && p.Source != source {
			continue
		}
		if _, seen := bySource[p.Source]; !seen {
			names = append(names, p.Source)
		}
		bySource[p.Source] = append(bySource[p.Source], p)
	}
	var guards []logGuard
	var streams []streamSource
	for _, name := range names {
		rows := bySource[name]
		if len(rows) > 1 || rows[0].Pointer.Partition != 0 {
			streams = append(streams, streamSource{name: name, partitions: partitionRange(rows)})
			continue
		}
		guards = append(guards, logGuard{what: fmt.Sprintf("source %q", name), file: rows[0].Pointer.File})
	}
	return guards, streams
}

// partitionRange names the partitions of rows, e.g. "0-15" or "3".
func partitionRange(rows []persistence.PointerStatus) string {
	lo, hi := rows[0].Pointer.Partition, rows[0].Pointer.Partition
	for _, r := range rows {
		lo, hi = min(lo, r.Pointer.Partition), max(hi, r.Pointer.Partition)
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
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
