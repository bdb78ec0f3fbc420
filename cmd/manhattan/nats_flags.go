package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/actors"
	"github.com/manhattan-analytics/manhattan/stream"
)

// natsFlags are the flags of commands that talk to the JetStream stream.
type natsFlags struct {
	url        *string
	stream     *string
	partitions *int
}

func addNATSFlags(fs *flag.FlagSet, partitionsUsage string) *natsFlags {
	return &natsFlags{
		url:        envString(fs, "nats", "MANHATTAN_NATS", nats.DefaultURL, "NATS server URL(s), comma-separated"),
		stream:     envString(fs, "stream", "MANHATTAN_STREAM", "MANHATTAN", "JetStream stream name"),
		partitions: envInt(fs, "partitions", "MANHATTAN_PARTITIONS", 0, partitionsUsage),
	}
}

// connect connects to the servers, retrying for ever while they are away (the backlog
// waits), and returns the connection and a JetStream context on it.
func (f *natsFlags) connect(ctx context.Context, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(*f.url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ReconnectBufSize(-1), // fail publishes while disconnected; the files keep the backlog
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: closed on purpose
				log.Warn("nats: disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Warn("nats: reconnected", "url", c.ConnectedUrl()) }),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", *f.url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// waitConnected waits until nc is connected, or ctx is done.
func waitConnected(ctx context.Context, nc *nats.Conn, url string, log *slog.Logger) error {
	warned := false
	for !nc.IsConnected() {
		if !warned {
			log.Warn("waiting for the NATS server", "url", url)
			warned = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// openLog sets cfg.Log to the JetStream stream when the pipeline flags name one
// (--source nats://…, --stream); the files need nothing. The returned function closes
// what was opened, once the pipeline has ended.
func openLog(ctx context.Context, pf *pipelineFlags, cfg *actors.Config, name string, log *slog.Logger) (func(), error) {
	url := pf.natsURL()
	if url == "" {
		return func() {}, nil
	}
	l, err := stream.Dial(ctx, url, *pf.stream, 0, nats.Name(name),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Warn("nats: reconnected", "url", c.ConnectedUrl()) }))
	if err != nil {
		return nil, err
	}
	cfg.Log = l
	return l.Close, nil
}
