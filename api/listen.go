package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultListen is the address the server listens on unless told otherwise: loopback
// only.
const DefaultListen = "127.0.0.1:8080"

// ShutdownTimeout bounds how long Serve waits for requests in flight when it stops.
const ShutdownTimeout = 10 * time.Second

// MinTokenLength is the fewest characters an API token may have.
const MinTokenLength = 16

// CheckToken rejects a token that is too weak to guard the API: blank (only white space)
// or shorter than MinTokenLength characters, or with white space at either end (a copy
// and paste mistake that would make the token impossible to send). No token ("") is
// allowed: the API is then open.
func CheckToken(token string) error {
	switch {
	case token == "":
		return nil
	case strings.TrimSpace(token) == "":
		return errors.New("the token is blank")
	case strings.TrimSpace(token) != token:
		return errors.New("the token begins or ends with white space")
	case utf8.RuneCountInString(token) < MinTokenLength:
		return fmt.Errorf("the token has %d characters, fewer than %d: use a long random one (e.g. openssl rand -hex 32)",
			utf8.RuneCountInString(token), MinTokenLength)
	}
	return nil
}

// CheckListen enforces the listening policy: a loopback address (127.0.0.0/8, ::1,
// "localhost") is always allowed; any other address, including all interfaces (":8080"),
// only with a token, or with insecure set for deployments where something in front of
// the server (a proxy, a firewall) controls access.
func CheckListen(addr string, haveToken, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if haveToken || insecure {
		return nil
	}
	where := host
	if where == "" {
		where = "every interface"
	}
	return fmt.Errorf("listening on %s would open the API and the dashboard beyond this machine without a token: "+
		"set --token (or MANHATTAN_TOKEN), or pass --insecure-listen if something in front of the server controls access", where)
}

// NewHTTPServer returns an http.Server for h with timeouts and header limits suited to
// the API.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve serves h on ln until ctx is done, then shuts down gracefully: it stops accepting
// connections and waits up to ShutdownTimeout for requests in flight. It returns nil
// after a clean shutdown and the error when serving fails.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := NewHTTPServer(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	return nil
}
