package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The role and database every local server provides.
const (
	Superuser = "manhattan"
	Database  = "manhattan"
)

const (
	confFile = "manhattan.conf" // our settings, rewritten at every start
	logFile  = "server.log"     // the server's stderr, inside the data folder
	// maxSocketPath is the longest unix socket path the kernel accepts (sun_path less NUL).
	maxSocketPath = 107
	startAttempts = 3
)

// Options configure Start.
type Options struct {
	// Dir is the data folder. It is created (with its parents) when missing; a folder
	// without a cluster must be empty.
	Dir string
	// Port is the server's port number; 0 picks a free one at every start. The server
	// listens on a unix socket in Dir with this number, or, when Dir's path is too long
	// for a socket, on 127.0.0.1 at this port.
	Port int
	// Fast turns durability off (fsync, synchronous_commit, full_page_writes) for
	// throwaway test clusters. Never use it for data that matters.
	Fast bool
	// StopOnExit runs the server as a child of this process that shuts down
	// immediately when this process exits for any reason, a crash or a killed test binary
	// included (on Linux; elsewhere only Stop stops it). For throwaway test servers. A
	// server started without it keeps running until Stop, so a later Start can reuse it.
	StopOnExit bool
	// Logf, when set, receives progress messages.
	Logf func(format string, args ...any)
}

// Server is a PostgreSQL server running in a data folder.
type Server struct {
	dir     string
	bin     string
	acct    *account
	port    int
	socket  string // unix socket folder; "" when the server is reached over TCP
	started bool   // Start launched the server, so Stop stops it
	logf    func(string, ...any)
	child   *exec.Cmd     // the postmaster, when started with StopOnExit
	exited  chan struct{} // closed when child has exited

	mu      sync.Mutex
	stopped bool
}

// newServer is the (not yet running) server of the absolute data folder dir, with the
// installed binaries and the account the server runs as; logf may be nil.
func newServer(dir string, logf func(format string, args ...any)) (*Server, error) {
	bin, err := FindBinaries()
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Server{dir: dir, bin: bin, acct: acct, logf: logf}, nil
}

// Start returns a running server for opts.Dir: it initializes a cluster when the folder
// has none, starts it, or attaches to the server already running there, and makes sure
// the database "manhattan" exists.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("localpg: no data folder given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("localpg: data folder %q: %w", opts.Dir, err)
	}
	s, err := newServer(dir, opts.Logf)
	if err != nil {
		return nil, err
	}

	fresh, err := s.prepareDir()
	if err != nil {
		return nil, err
	}
	if fresh {
		if err := s.initdb(ctx, opts.Fast); err != nil {
			return nil, err
		}
	} else if running, err := s.running(ctx); err != nil {
		return nil, err
	} else if running {
		if err := s.attach(); err != nil {
			return nil, err
		}
		s.logf("using the PostgreSQL server already running in %s", dir)
		if err := s.ensureDatabase(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := s.checkVersion(ctx); err != nil {
		return nil, err
	}
	if err := s.start(ctx, opts); err != nil {
		return nil, err
	}
	if err := s.ensureDatabase(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// CheckAccess reports whether a server started by this process could use a data folder
// inside dir: the user the server runs as must be able to traverse dir and its parents.
// It returns nil when it can.
func CheckAccess(dir string) error {
	acct, err := serverAccount()
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if err := acct.reach(abs); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

// reach checks that the account may traverse dir and all its existing parents.
func (a *account) reach(dir string) error {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) { // missing folders get created 0755
			return err
		}
		if err == nil && !a.canTraverse(fi) {
			return fmt.Errorf("PostgreSQL runs as user %q, which cannot enter %s (mode %o); choose a folder whose parents it may traverse, or chmod o+x %s",
				a.name, p, fi.Mode().Perm(), p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// URL returns a connection string for the database "manhattan" as the superuser.
func (s *Server) URL() string { return s.url(Database) }

// Dir returns the data folder.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (pg_ctl stop -m fast) if Start launched it. A server that
// Start found already running is left running: it belongs to whoever started it.
// Stop may be called more than once.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || !s.started {
		s.stopped = true
		return nil
	}
	if s.child != nil {
		if err := s.stopChild(); err != nil {
			return err
		}
		s.stopped = true
		s.logf("stopped PostgreSQL in %s", s.dir)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := s.run(ctx, "pg_ctl", "-D", s.dir, "-m", "fast", "-w", "-t", "60", "stop")
	if err != nil {
		return s.failure("stop PostgreSQL", err, out)
	}
	s.stopped = true
	s.logf("stopped PostgreSQL in %s", s.dir)
	return nil
}

func (s *Server) url(database string) string {
	q := url.Values{"sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Path: "/" + database}
	if s.socket != "" {
		q.Set("host", s.socket)
		q.Set("port", strconv.Itoa(s.port))
	} else {
		u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// prepareDir creates the data folder when needed and reports whether it holds no
// cluster yet. The server's user must be able to reach the folder.
func (s *Server) prepareDir() (fresh bool, err error) {
	parent := filepath.Dir(s.dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return false, fmt.Errorf("localpg: create %s: %w", parent, err)
	}
	if err := s.acct.reach(parent); err != nil {
		return false, fmt.Errorf("localpg: data folder %s: %w", s.dir, err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "PG_VERSION")); err == nil {
		return false, nil
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return false, fmt.Errorf("localpg: create data folder: %w", err)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return false, fmt.Errorf("localpg: data folder: %w", err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("localpg: data folder %s holds no PostgreSQL cluster but is not empty; use an empty or new folder", s.dir)
	}
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return false, fmt.Errorf("localpg: data folder: %w", err)
	}
	if err := s.acct.own(s.dir); err != nil {
		return false, fmt.Errorf("localpg: give data folder to user %q: %w", s.acct.name, err)
	}
	return true, nil
}

func (s *Server) initdb(ctx context.Context, fast bool) error {
	s.logf("initializing a PostgreSQL cluster in %s", s.dir)
	args := []string{"-D", s.dir, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if fast {
		args = append(args, "--no-sync")
	}
	if out, err := s.run(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("localpg: initdb in %s: %w\n%s", s.dir, err, tail(out, 20))
	}
	conf := filepath.Join(s.dir, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	_, err = fmt.Fprintf(f, "\n# Manhattan's settings (listen addresses, port, durability), rewritten at every start.\ninclude_if_exists = '%s'\n", confFile)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("localpg: %s: %w", conf, err)
	}
	return nil
}

var pgVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// checkVersion refuses a cluster made by another major version of PostgreSQL.
func (s *Server) checkVersion(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(s.dir, "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	cluster := strings.TrimSpace(string(b))
	out, err := s.run(ctx, "pg_ctl", "--version")
	if err != nil {
		return s.failure("pg_ctl --version", err, out)
	}
	m := pgVersionRE.FindSubmatch(out)
	if m == nil {
		return nil // unknown output: let pg_ctl decide
	}
	major := string(m[1])
	if n, _ := strconv.Atoi(major); n < 10 && len(m[2]) > 0 {
		major += "." + string(m[2])
	}
	if cluster != major {
		return fmt.Errorf("localpg: data folder %s holds a PostgreSQL %s cluster, but the server binaries in %s are PostgreSQL %s; use another folder or install PostgreSQL %s",
			s.dir, cluster, s.bin, major, cluster)
	}
	return nil
}

// running reports whether a server is running in the data folder.
func (s *Server) running(ctx context.Context) (bool, error) {
	out, err := s.run(ctx, "pg_ctl", "-D", s.dir, "status")
	if err == nil {
		return true, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 { // not running
		return false, nil
	}
	return false, s.failure("pg_ctl status", err, out)
}

// attach reads the address of the running server from postmaster.pid.
func (s *Server) attach() error {
	b, err := os.ReadFile(filepath.Join(s.dir, "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("localpg: read the running server's address: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	// postmaster.pid: pid, data folder, start time, port, socket folder, listen address, ...
	if len(lines) < 6 {
		return fmt.Errorf("localpg: %s/postmaster.pid is incomplete; the server may still be starting", s.dir)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	if !processAlive(pid) {
		return fmt.Errorf("localpg: the server recorded in %s/postmaster.pid (pid %d) is gone", s.dir, pid)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return fmt.Errorf("localpg: %s/postmaster.pid: bad port %q", s.dir, lines[3])
	}
	s.port = port
	s.socket = strings.TrimSpace(lines[4])
	if s.socket == "" && strings.TrimSpace(lines[5]) == "" {
		return fmt.Errorf("localpg: the server running in %s listens neither on a unix socket nor on TCP", s.dir)
	}
	return nil
}

// start writes the settings and starts the server with pg_ctl, retrying with another
// port when an automatically chosen one was taken meanwhile.
func (s *Server) start(ctx context.Context, opts Options) error {
	s.socket = s.dir
	if len(s.dir)+len("/.s.PGSQL.65535") > maxSocketPath {
		s.socket = "" // path too long for a unix socket: TCP only
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		s.port = opts.Port
		if s.port == 0 {
			p, err := freePort()
			if err != nil {
				return fmt.Errorf("localpg: pick a port: %w", err)
			}
			s.port = p
		}
		if err := s.writeConf(opts.Fast); err != nil {
			return err
		}
		s.logf("starting PostgreSQL in %s on port %d", s.dir, s.port)
		var err error
		var out []byte
		if opts.StopOnExit {
			err = s.startChild(ctx)
		} else {
			logPath := filepath.Join(s.dir, logFile)
			out, err = s.run(ctx, "pg_ctl", "-D", s.dir, "-l", logPath, "-w", "-t", "60", "-s", "start")
		}
		if err == nil {
			s.started = true
			return nil
		}
		lastErr = s.failure("start PostgreSQL", err, out)
		if opts.Port != 0 || !strings.Contains(s.logTail(20), "could not bind") {
			break
		}
	}
	return lastErr
}

// startChild runs the postmaster as a child of this process, tied to it, and waits
// until it accepts connections.
func (s *Server) startChild(ctx context.Context) error {
	logPath := filepath.Join(s.dir, logFile)
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own copy
	if err := s.acct.own(logPath); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), "-D", s.dir)
	cmd.Env = childEnv()
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log
	s.acct.apply(cmd)
	tieToProcess(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.child, s.exited = cmd, exited

	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			s.child = nil
			return fmt.Errorf("the server exited while starting (%v)", cmd.ProcessState)
		case <-ctx.Done():
			_ = s.stopChild()
			return ctx.Err()
		case <-deadline.C:
			_ = s.stopChild()
			return errors.New("the server did not become ready within 60 s")
		case <-tick.C:
			if s.pidStatus(cmd.Process.Pid) == "ready" {
				return nil
			}
		}
	}
}

// pidStatus returns the status line of postmaster.pid ("starting", "ready", …) when the
// file belongs to the postmaster pid.
func (s *Server) pidStatus(pid int) string {
	b, err := os.ReadFile(filepath.Join(s.dir, "postmaster.pid"))
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[0]) != strconv.Itoa(pid) {
		return ""
	}
	return strings.TrimSpace(lines[7])
}

// stopChild shuts the child postmaster down: fast shutdown, then immediate shutdown,
// then kill, each given time to finish.
func (s *Server) stopChild() error {
	defer func() { s.child = nil }()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGQUIT, os.Kill} {
		if err := s.child.Process.Signal(sig); err != nil {
			break // already gone
		}
		select {
		case <-s.exited:
			return nil
		case <-time.After(30 * time.Second):
		}
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("localpg: the server in %s (pid %d) does not exit", s.dir, s.child.Process.Pid)
	}
}

func (s *Server) writeConf(fast bool) error {
	var b strings.Builder
	b.WriteString("# Written by Manhattan at every start; changes here are overwritten.\n")
	listen := "127.0.0.1"
	if s.socket != "" {
		listen = "" // the unix socket only: nobody else on the machine can connect
	}
	fmt.Fprintf(&b, "listen_addresses = %s\nport = %d\n", confString(listen), s.port)
	fmt.Fprintf(&b, "unix_socket_directories = %s\n", confString(s.socket))
	b.WriteString("unix_socket_permissions = 0700\n")
	if fast {
		b.WriteString("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	path := filepath.Join(s.dir, confFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("localpg: write %s: %w", path, err)
	}
	if err := s.acct.own(path); err != nil {
		return fmt.Errorf("localpg: give %s to user %q: %w", path, s.acct.name, err)
	}
	return nil
}

// ensureDatabase creates the database "manhattan" when it is missing.
func (s *Server) ensureDatabase(ctx context.Context) error {
	var conn *pgx.Conn
	var err error
	for i := 0; i < 50; i++ { // a server just attached to may still be starting up
		conn, err = pgx.Connect(ctx, s.url("postgres"))
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return s.failure("connect to PostgreSQL", err, nil)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return fmt.Errorf("localpg: look up database %q: %w", Database, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{Database}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: created meanwhile
		return fmt.Errorf("localpg: create database %q: %w", Database, err)
	}
	return nil
}

// run runs one of the server binaries as the server's user and returns its output.
func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Env = childEnv()
	if _, err := os.Stat(s.dir); err == nil {
		cmd.Dir = s.dir
	} else {
		cmd.Dir = "/"
	}
	s.acct.apply(cmd)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// failure describes a failed server command with its output and the server log's tail.
func (s *Server) failure(what string, err error, out []byte) error {
	var b strings.Builder
	fmt.Fprintf(&b, "localpg: %s (data folder %s): %v", what, s.dir, err)
	if t := strings.TrimSpace(tail(out, 10)); t != "" {
		b.WriteString("\n" + t)
	}
	if t := strings.TrimSpace(s.logTail(20)); t != "" {
		fmt.Fprintf(&b, "\nlast lines of %s:\n%s", filepath.Join(s.dir, logFile), t)
	}
	return errors.New(b.String())
}

func (s *Server) logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(s.dir, logFile))
	if err != nil {
		return ""
	}
	return tail(b, n)
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// childEnv is the caller's environment without PG* variables (they would redirect the
// server commands) and with the C locale for predictable messages.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// confString quotes s as a postgresql.conf string value.
func confString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Started reports whether Start launched the server (rather than finding it running).
func (s *Server) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// StopRunning stops the server running in the data folder dir, whoever started it
// (`manhattan db stop`). It reports false when no server runs there.
func StopRunning(ctx context.Context, dir string, logf func(format string, args ...any)) (bool, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false, fmt.Errorf("localpg: data folder %q: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, "PG_VERSION")); err != nil {
		return false, nil // no cluster there
	}
	s, err := newServer(abs, logf)
	if err != nil {
		return false, err
	}
	running, err := s.running(ctx)
	if err != nil || !running {
		return false, err
	}
	s.started = true
	return true, s.Stop()
}
