package main

import (
	"flag"
	"log/slog"
	"os"
	"strings"
)

type logFlags struct {
	level  *string
	format *string
}

func addLogFlags(fs *flag.FlagSet) *logFlags {
	return &logFlags{
		level:  envString(fs, "log-level", "MANHATTAN_LOG_LEVEL", "warn", "log level: debug, info, warn, error"),
		format: envString(fs, "log-format", "MANHATTAN_LOG_FORMAT", "text", "log format: text or json"),
	}
}

// logger returns the structured logger the flags ask for, writing to standard error.
func (f *logFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*f.level)); err != nil {
		return nil, usagef("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(*f.format) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, usagef("--log-format must be text or json, not %q", *f.format)
}
