package main

import (
	"flag"
	"os"
	"strconv"
	"strings"
	"time"
)

// Flags fall back to environment variables; these helpers read a default from the
// environment and say so in the flag's help.

func envString(fs *flag.FlagSet, name, env, def, usage string) *string {
	if v, ok := os.LookupEnv(env); ok && v != "" {
		def = v
	}
	return fs.String(name, def, usage+" (env "+env+")")
}

func envInt(fs *flag.FlagSet, name, env string, def int, usage string) *int {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil {
		def = v
	}
	return fs.Int(name, def, usage+" (env "+env+")")
}

func envDuration(fs *flag.FlagSet, name, env string, def time.Duration, usage string) *time.Duration {
	if v, err := time.ParseDuration(os.Getenv(env)); err == nil {
		def = v
	}
	return fs.Duration(name, def, usage+" (env "+env+")")
}

// listFlag is a repeatable string flag.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ", ") }

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true // the first explicit value replaces the defaults
	}
	l.values = append(l.values, v)
	return nil
}

func envList(fs *flag.FlagSet, name, env string, def []string, usage string) *listFlag {
	l := &listFlag{values: def}
	if v := os.Getenv(env); v != "" {
		l.values = strings.Split(v, ";")
	}
	fs.Var(l, name, usage+" (repeatable; env "+env+", ';'-separated)")
	return l
}
