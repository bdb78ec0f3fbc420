package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/stream"
)

func init() {
	register(&command{name: "stream", summary: "create, describe or dump the JetStream event log stream", run: runStream})
}

func runStream(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, "Usage: manhattan stream create|info|dump [flags]\n\n"+
			"  create  create the stream (partitions, replicas, max age are fixed or changeable only by hand)\n"+
			"  info    print the stream's partition count, prefix and size\n"+
			"  dump    write every line of the stream, in stream order, as an hourly log\n\n"+
			"Run 'manhattan stream <subcommand> --help' for its flags.")
		return nil
	}
	switch args[0] {
	case "create":
		return runStreamCreate(ctx, args[1:])
	case "info":
		return runStreamInfo(ctx, args[1:])
	case "dump":
		return runStreamDump(ctx, args[1:])
	}
	return usagef("unknown subcommand %q (want create, info or dump)", args[0])
}

func runStreamCreate(ctx context.Context, args []string) error {
	fs := newFlags("stream create", "[flags]")
	nf := addNATSFlags(fs, "partition count P (subjects <prefix>.0 … <prefix>.P-1); fixed for the stream's life")
	lf := addLogFlags(fs)
	prefix := fs.String("prefix", stream.DefaultPrefix, "subject prefix")
	replicas := fs.Int("replicas", 1, "copies of the stream in a cluster (1, 3 or 5)")
	maxAge := fs.Duration("max-age", 7*24*time.Hour, "how long messages are kept (0: until removed by hand)")
	dupes := fs.Duration("duplicate-window", stream.DefaultDuplicates, "how long a batch published again is recognised and dropped")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *nf.partitions == 0 {
		*nf.partitions = stream.DefaultPartitions
	}
	log, err := lf.logger()
	if err != nil {
		return err
	}
	nc, js, err := nf.connect(ctx, "manhattan stream create", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := waitConnected(ctx, nc, *nf.url, log); err != nil {
		return err
	}
	info, err := stream.Create(ctx, js, stream.Config{
		Name: *nf.stream, Prefix: *prefix, Partitions: *nf.partitions,
		Replicas: *replicas, MaxAge: *maxAge, Duplicates: *dupes,
	})
	if err != nil {
		return err
	}
	printStreamInfo(info)
	return nil
}

func runStreamInfo(ctx context.Context, args []string) error {
	fs := newFlags("stream info", "[flags]")
	nf := addNATSFlags(fs, "expected partition count (0: any)")
	lf := addLogFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withStream(ctx, nf, lf, "manhattan stream info", func(js jetstream.JetStream, info stream.Info) error {
		printStreamInfo(info)
		return nil
	})
}

// withStream connects, opens the stream the flags name and calls f with it.
func withStream(ctx context.Context, nf *natsFlags, lf *logFlags, name string, f func(jetstream.JetStream, stream.Info) error) error {
	log, err := lf.logger()
	if err != nil {
		return err
	}
	nc, js, err := nf.connect(ctx, name, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := waitConnected(ctx, nc, *nf.url, log); err != nil {
		return err
	}
	info, err := stream.Open(ctx, js, *nf.stream, *nf.partitions)
	if err != nil {
		return err
	}
	return f(js, info)
}

func printStreamInfo(info stream.Info) {
	fmt.Fprintf(stdout, "stream            %s\n", info.Name)
	fmt.Fprintf(stdout, "partitions        %d (subjects %s.0 … %s.%d)\n", info.Partitions, info.Prefix, info.Prefix, info.Partitions-1)
	fmt.Fprintf(stdout, "duplicate window  %v\n", info.Duplicates)
	fmt.Fprintf(stdout, "last sequence     %d\n", info.LastSeq)
}

func runStreamDump(ctx context.Context, args []string) error {
	fs := newFlags("stream dump", "--out BASE [flags]")
	nf := addNATSFlags(fs, "expected partition count (0: any)")
	lf := addLogFlags(fs)
	out := fs.String("out", "", "base path of the hourly log to write (files <base>.<hour>; must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required")
	}
	return withStream(ctx, nf, lf, "manhattan stream dump", func(js jetstream.JetStream, info stream.Info) error {
		st, err := stream.Dump(ctx, js, info, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d lines of %d messages (through sequence %d) into %d files %s.<hour>\n", st.Lines, st.Messages, st.LastSeq, st.Files, *out)
		return nil
	})
}
