package main

import (
	"context"
	"fmt"

	"github.com/manhattan-analytics/manhattan/internal/buildinfo"
)

func init() {
	register(&command{name: "version", summary: "print the version and VCS revision of this build", run: runVersion})
}

func runVersion(_ context.Context, args []string) error {
	fs := newFlags("version", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %v", fs.Args())
	}
	fmt.Fprintln(stdout, buildinfo.Get())
	return nil
}
