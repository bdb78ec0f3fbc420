// Command manhattan is Manhattan's command-line program: it ingests the event log into
// PostgreSQL, answers queries, serves the API and the experiment dashboard, generates
// synthetic logs and manages the database. Run `manhattan help` for the commands.
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
	err := c.run(ctx, args[1:])
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
