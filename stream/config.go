package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for a new stream.
const (
	DefaultName       = "MANHATTAN"
	DefaultPrefix     = "manhattan.log"
	DefaultPartitions = 64
	// DefaultDuplicates is the duplicate window: a batch published again within it (a
	// shipper restarted after a crash) is dropped by the stream. It bounds how long a
	// shipper may stay down with unacknowledged batches and still resume exactly.
	DefaultDuplicates = 30 * time.Minute
)

// FormatVersion is the version of the message format: bodies of version-1 log lines.
const FormatVersion = 1

// The keys of the stream metadata that describe its format.
const (
	metaFormat     = "manhattan.format"
	metaPartitions = "manhattan.partitions"
	metaPrefix     = "manhattan.prefix"
)

// ErrNotManhattan means the stream exists but was not created as a Manhattan log.
var ErrNotManhattan = errors.New("stream: not a Manhattan event log stream")

// ErrPartitionMismatch means the stream has another partition count than the caller's.
var ErrPartitionMismatch = errors.New("stream: partition count differs")

// Config describes a stream to create.
type Config struct {
	Name       string        // stream name; DefaultName when empty
	Prefix     string        // subject prefix; DefaultPrefix when empty
	Partitions int           // P; DefaultPartitions when zero
	Replicas   int           // copies kept by a cluster; 1 when zero
	MaxAge     time.Duration // how long messages are kept; zero keeps them until removed
	Duplicates time.Duration // duplicate window; DefaultDuplicates when zero (at most MaxAge)
	Memory     bool          // memory storage instead of files (tests, benchmarks)
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.MaxAge > 0 && c.Duplicates > c.MaxAge {
		c.Duplicates = c.MaxAge
	}
	return c
}

// Info is what a Manhattan stream's metadata says about it.
type Info struct {
	Name       string
	Prefix     string
	Partitions int
	Duplicates time.Duration
	// LastSeq is the stream's last sequence when it was looked at.
	LastSeq uint64
}

// Subject returns the subject of partition p.
func (i Info) Subject(p int) string { return Subject(i.Prefix, p) }

// Create creates the stream described by cfg and returns its Info. A stream of that name
// that already exists with the same format and partition count is returned as it is; one
// of another partition count is refused with ErrPartitionMismatch.
func Create(ctx context.Context, js jetstream.JetStream, cfg Config) (Info, error) {
	cfg = cfg.withDefaults()
	if cfg.Partitions < 1 || cfg.Partitions > 1<<16 {
		return Info{}, fmt.Errorf("stream: %d partitions: want 1 to 65536", cfg.Partitions)
	}
	sc := jetstream.StreamConfig{
		Name:        cfg.Name,
		Description: fmt.Sprintf("Manhattan event log, format %d, %d partitions %s.0-%d", FormatVersion, cfg.Partitions, cfg.Prefix, cfg.Partitions-1),
		Subjects:    []string{cfg.Prefix + ".*"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.Duplicates,
		Storage:     jetstream.FileStorage,
		AllowDirect: true,
		Metadata: map[string]string{
			metaFormat:     strconv.Itoa(FormatVersion),
			metaPartitions: strconv.Itoa(cfg.Partitions),
			metaPrefix:     cfg.Prefix,
		},
	}
	if cfg.Memory {
		sc.Storage = jetstream.MemoryStorage
	}
	if _, err := js.CreateStream(ctx, sc); err != nil {
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return Info{}, fmt.Errorf("stream: create %s: %w", cfg.Name, err)
		}
	}
	return Open(ctx, js, cfg.Name, cfg.Partitions)
}

// Open looks up the Manhattan stream name. partitions is the caller's own partition count,
// or 0 to take the stream's: a stream of another count is refused with ErrPartitionMismatch,
// a stream without Manhattan's metadata with ErrNotManhattan.
func Open(ctx context.Context, js jetstream.JetStream, name string, partitions int) (Info, error) {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return Info{}, fmt.Errorf("stream: open %s: %w", name, err)
	}
	si, err := s.Info(ctx)
	if err != nil {
		return Info{}, fmt.Errorf("stream: open %s: %w", name, err)
	}
	return infoOf(si, partitions)
}

func infoOf(si *jetstream.StreamInfo, partitions int) (Info, error) {
	name, md := si.Config.Name, si.Config.Metadata
	if md[metaFormat] == "" || md[metaPartitions] == "" || md[metaPrefix] == "" {
		return Info{}, fmt.Errorf("%w: %s has no %s metadata (create it with 'manhattan stream create')", ErrNotManhattan, name, metaPartitions)
	}
	if md[metaFormat] != strconv.Itoa(FormatVersion) {
		return Info{}, fmt.Errorf("%w: %s has format %q, this program reads format %d", ErrNotManhattan, name, md[metaFormat], FormatVersion)
	}
	p, err := strconv.Atoi(md[metaPartitions])
	if err != nil || p < 1 {
		return Info{}, fmt.Errorf("%w: %s has partition count %q", ErrNotManhattan, name, md[metaPartitions])
	}
	if partitions != 0 && partitions != p {
		return Info{}, fmt.Errorf("%w: stream %s has %d partitions, this process is configured for %d; "+
			"every shipper and ingest process of a stream must use its partition count", ErrPartitionMismatch, name, p, partitions)
	}
	return Info{Name: name, Prefix: md[metaPrefix], Partitions: p, Duplicates: si.Config.Duplicates, LastSeq: si.State.LastSeq}, nil
}
