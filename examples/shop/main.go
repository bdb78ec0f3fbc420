// Command shop is a tiny web shop that records its visitors with Manhattan's tracking
// middleware: page views, the tracking pixel, "add to cart" and "purchase" goals (the
// purchase with its revenue) and a split test of the checkout button's colour, written
// to an hourly event log that `manhattan ingest` or `manhattan run` reads.
//
//	go run ./examples/shop                      # http://127.0.0.1:8000, log ./log/manhattan.log
//	go run ./examples/shop -addr :9000 -log /var/log/shop/manhattan.log
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/manhattan-analytics/manhattan/tracker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	logBase := flag.String("log", "log/manhattan.log", "event log base path (files <base>.<hour>)")
	site := flag.Int64("site", 1, "site id of this shop in the log")
	flag.Parse()

	secret, generated, err := loadSecret()
	if err != nil {
		return err
	}
	if generated {
		slog.Warn("MANHATTAN_SECRET is not set: using a random secret, so visitors get new ids when the shop restarts")
	}
	tr, err := tracker.New(tracker.Options{
		Secret:  secret,
		LogBase: *logBase,
		Sites:   map[string]int64{"127.0.0.1": *site, "localhost": *site},
	})
	if err != nil {
		return err
	}
	defer tr.Close()

	srv := &http.Server{
		Addr:              *addr,
		Handler:           tr.Middleware(newShop().routes()),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Printf("shop on http://%s/, writing %s.<hour>\n", *addr, *logBase)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loadSecret returns the cookie secret from MANHATTAN_SECRET, or a random one.
func loadSecret() ([]byte, bool, error) {
	if s := os.Getenv("MANHATTAN_SECRET"); s != "" {
		if len(s) < tracker.MinSecretLength {
			return nil, false, fmt.Errorf("MANHATTAN_SECRET needs at least %d characters", tracker.MinSecretLength)
		}
		return []byte(s), false, nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b, true, nil
}
