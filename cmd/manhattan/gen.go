package main

import (
	"context"
	"fmt"
	"time"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/loggen"
)

func init() {
	register(&command{name: "gen", summary: "write a realistic synthetic event log", run: runGen})
}

func runGen(_ context.Context, args []string) error {
	fs := newFlags("gen", "[flags]")
	base := envString(fs, "log", "MANHATTAN_LOG", "log/manhattan.log", "log base path: files <base>.<hour> are written")
	records := fs.Int("records", 1_000_000, "number of log lines")
	visitors := fs.Int("visitors", 0, "distinct visitors (default records/10)")
	robots := fs.Float64("robots", 0.3, "share of visitors that never load the pixel")
	sites := fs.Int("sites", 3, "number of sites (ids 1..n)")
	days := fs.Int("days", 7, "days the log spans")
	start := fs.String("start", "2024-03-03", "first day (YYYY-MM-DD, UTC)")
	seed := fs.Uint64("seed", 1, "random seed: the same flags always write the same log")
	force := fs.Bool("force", false, "replace the files of a log that already exists at --log")
	if err := parse(fs, args); err != nil {
		return err
	}
	if hours, err := eventlog.Files(*base); err != nil {
		return err
	} else if len(hours) > 0 && !*force {
		return fmt.Errorf("--log %s already has %d log files (%s to %s), perhaps a tracker's: gen would overwrite them; "+
			"choose another --log, or pass --force to replace them", *base, len(hours),
			eventlog.Path(*base, hours[0]), eventlog.Path(*base, hours[len(hours)-1]))
	}
	day, err := time.Parse("2006-01-02", *start)
	if err != nil {
		return usagef("--start: %v", err)
	}
	if *records <= 0 || *sites <= 0 || *days <= 0 || *robots < 0 || *robots >= 1 {
		return usagef("--records, --sites and --days must be positive and --robots in [0, 1)")
	}
	t0 := time.Now()
	sum, err := loggen.Write(*base, loggen.Options{
		Seed: *seed, Records: *records, Visitors: *visitors, RobotShare: *robots, Sites: *sites, Start: day, Days: *days,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d lines (%d visitors, %.1f MB) in %d files %s.* in %v\n",
		sum.Lines, sum.Visitors, float64(sum.Bytes)/1e6, sum.Files, *base, time.Since(t0).Round(time.Millisecond))
	return nil
}
