// Command manhattan is Manhattan's command-line program: it ingests the event log into
// PostgreSQL, answers queries, serves the API and the experiment dashboard, generates
// synthetic logs and manages the database. Run `manhattan help` for the commands.
//
// Invariants: a command exits with status 0 when it succeeds (or shows its help), 2 on a
// usage error (with a pointer to its --help), 1 on any other failure; the first SIGINT or
// SIGTERM asks it to stop gracefully (ingest commits what it has read), a second one ends
// the process with status 130. Commands that open the database check their flags first,
// so a usage error never waits for a connection.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError is a bad invocation: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var stdout io.Writer = os.Stdout

func run(args []string, out, errOut io.Writer) int {
	stdout = out
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := commands[args[1]]; c != nil {
				_ = c.run(context.Background(), []string{"--help"})
				return 0
			}
		}
		printUsage(out)
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = []string{"version"}
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(errOut, "manhattan: unknown command %q\n\n", args[0])
		printUsage(errOut)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	done := make(chan struct{})
	go exitOnSecondSignal(signals, done, errOut, forceExitAfter, os.Exit)
	err := c.run(ctx, args[1:])
	close(done)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(errOut, "manhattan %s: %v\nRun 'manhattan %s --help' for usage.\n", c.name, err, c.name)
		return 2
	default:
		fmt.Fprintf(errOut, "manhattan %s: %v\n", c.name, err)
		return 1
	}
}

// forceExitAfter is how long a command has to return after a second signal.
const forceExitAfter = 3 * time.Second

// exitOnSecondSignal makes a second signal end the process. signals receives every
// SIGINT and SIGTERM; the first one asks the command to stop gracefully (its context is
// cancelled). After the second, the command has wait to return (ingest aborts at once,
// leaving what is not committed to be read again by the next run); then the process exits
// with status 130, whatever the command is still doing. It returns when done closes.
func exitOnSecondSignal(signals <-chan os.Signal, done <-chan struct{}, errOut io.Writer, wait time.Duration, exit func(int)) {
	for n := 0; n < 2; {
		select {
		case <-signals:
			n++
		case <-done:
			return
		}
	}
	select {
	case <-done:
	case <-time.After(wait):
		fmt.Fprintf(errOut, "manhattan: not stopped %v after a second signal; exiting now\n", wait)
		exit(130)
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Manhattan: server-side web analytics and split testing that robots cannot skew.")
	fmt.Fprintln(w, "\nUsage: manhattan <command> [flags]\n       manhattan --version\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'manhattan <command> --help' for a command's flags. Without --db (or MANHATTAN_DB /")
	fmt.Fprintln(w, "DATABASE_URL) commands use a private PostgreSQL under --data-dir, started on demand.")
	fmt.Fprintln(w, "\nExit status: 0 success, 1 failure, 2 usage error (bad command or flags).")
}

// newFlags returns a flag set for a subcommand that reports errors as usage errors.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("manhattan "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: manhattan %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseAction parses the arguments of a command whose first argument names what it does
// (db, prune): it returns that action, having parsed the flags after it. Without
// arguments it shows the usage and returns a usage error saying missing; for -h or
// --help it shows the usage and returns flag.ErrHelp.
func parseAction(fs *flag.FlagSet, args []string, missing string) (string, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fs.Usage()
		if len(args) == 0 {
			return "", usagef("%s", missing)
		}
		return "", flag.ErrHelp
	}
	if err := parse(fs, args[1:]); err != nil {
		return "", err
	}
	return args[0], nil
}

// parse parses flags, turning a parse failure into a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	return nil
}
