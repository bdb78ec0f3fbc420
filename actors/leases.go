package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
)

// Leases is what a pipeline needs of the store to own the partitions it reads (docs/ownership.md;
// persistence.Store implements it). When the Store implements it, the pipeline claims its
// partitions before reading them, renews the leases while it runs, releases them when it
// ends, and every epoch carries the claims so that a commit on a partition the process
// no longer owns is refused.
type Leases interface {
	Claim(ctx context.Context, r ownership.ClaimRequest) ([]messages.Claim, error)
	Renew(ctx context.Context, source string, claims []messages.Claim, lease time.Duration) ([]messages.Claim, []*ownership.NotOwnerError, error)
	Release(ctx context.Context, source string, claims []messages.Claim) error
	Owners(ctx context.Context, source string) ([]messages.Claim, error)
	Heartbeat(ctx context.Context, source, owner string, lease time.Duration) ([]string, error)
	Leave(ctx context.Context, source, owner string) error
}

// renewLeases asks the supervisor to renew its leases (and, sharing, to rebalance).
type renewLeases struct{}

// leaseState is the supervisor's ownership of partitions.
type leaseState struct {
	store     Leases // nil: the store does not grant partitions; nothing is claimed
	claims    []messages.Claim
	tookOver  bool             // the run's one takeover has been made
	toRelease []messages.Claim // to give up before the next claim (sharing)
	stopTimer func()           // stops the renewal ticker
}

// claimPartitions claims the partitions this generation reads and returns them. Static
// assignment (Share unset) claims all of Partitions (or of the log) or fails with a
// *ownership.NotOwnerError; sharing claims free partitions up to the fair share.
func (s *supervisor) claimPartitions(ctx context.Context) ([]int, error) {
	cfg := s.env.cfg
	parts := cfg.Partitions
	if parts == nil || cfg.Share {
		n, err := cfg.Log.Partitions(ctx)
		if err != nil {
			return nil, fmt.Errorf("partitions of %s: %w", cfg.Log, err)
		}
		parts = ownership.Partitions(n)
	}
	l := &s.leases
	if l.store == nil {
		return parts, nil
	}
	if len(l.toRelease) > 0 {
		if err := l.store.Release(ctx, cfg.Source, l.toRelease); err != nil {
			return nil, err
		}
		l.claims = without(l.claims, l.toRelease)
		l.toRelease = nil
	}
	req := ownership.ClaimRequest{Source: cfg.Source, Owner: cfg.Owner, Partitions: parts, Lease: cfg.Lease}
	if cfg.Share {
		members, err := l.store.Heartbeat(ctx, cfg.Source, cfg.Owner, cfg.Lease)
		if err != nil {
			return nil, err
		}
		req.Some, req.Max = true, ownership.FairShare(len(parts), len(members))
	} else {
		req.Takeover = cfg.Takeover && !l.tookOver
	}
	claims, err := l.store.Claim(ctx, req)
	var held *ownership.NotOwnerError
	if !req.Takeover && !req.Some && errors.As(err, &held) && ownership.GoneFromThisHost(held.Owner) {
		// The owner was a process of this host that died holding its lease (kill -9, a
		// crash): its restart takes over at once instead of waiting for the lease to end.
		cfg.Logger.Warn("taking over from a process of this host that is gone",
			slog.String("source", cfg.Source), slog.String("owner", held.Owner), slog.Time("lease_until", held.Until))
		req.Takeover = true
		claims, err = l.store.Claim(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	l.tookOver = l.tookOver || req.Takeover
	l.claims = claims
	got := make([]int, len(claims))
	for i, c := range claims {
		got[i] = c.Partition
	}
	return got, nil
}

// startRenewing starts the ticker that renews the leases every third of the lease.
func (s *supervisor) startRenewing(ctx actor.Context) {
	if s.leases.store == nil || s.leases.stopTimer != nil {
		return
	}
	t := time.NewTicker(s.env.cfg.Lease / 3)
	done := make(chan struct{})
	self, root := ctx.Self(), ctx.ActorSystem().Root
	go func() {
		for {
			select {
			case <-t.C:
				root.Send(self, &renewLeases{})
			case <-done:
				return
			}
		}
	}()
	s.leases.stopTimer = func() { t.Stop(); close(done) }
}

// onRenew renews the leases of a running generation. A claim found taken over ends a
// static run (another process owns the source now) and makes a sharing one start a new
// generation without it; sharing, the supervisor also rebalances (ownership.Plan).
func (s *supervisor) onRenew(ctx actor.Context) {
	l, cfg := &s.leases, s.env.cfg
	if s.state != running || l.store == nil {
		return
	}
	cctx, cancel := context.WithTimeout(s.env.ctx, min(cfg.Lease/3, 10*time.Second))
	defer cancel()
	renewed, lost, err := l.store.Renew(cctx, cfg.Source, l.claims, cfg.Lease)
	if err != nil {
		// Commits are fenced: an unrenewed lease can only make them refused, never wrong.
		cfg.Logger.Warn("could not renew the partition leases; retrying", slog.Any("error", err))
		return
	}
	l.claims = renewed
	if len(lost) > 0 {
		cfg.Logger.Warn("partitions taken over by another process", slog.Any("lost", lost))
		if !cfg.Share {
			s.finish(ctx, fmt.Errorf("pipeline: %w", lost[0]))
			return
		}
		s.reassign(ctx, nil)
		return
	}
	if !cfg.Share {
		return
	}
	members, err := l.store.Heartbeat(cctx, cfg.Source, cfg.Owner, cfg.Lease)
	if err != nil {
		cfg.Logger.Warn("could not renew the membership lease; retrying", slog.Any("error", err))
		return
	}
	owners, err := l.store.Owners(cctx, cfg.Source)
	if err != nil {
		return
	}
	n, err := cfg.Log.Partitions(cctx)
	if err != nil {
		return
	}
	want, give := ownership.Plan(n, len(members), owners, l.claims)
	if want > 0 || len(give) > 0 {
		cfg.Logger.Info("rebalancing partitions", slog.Int("members", len(members)), slog.Int("owned", len(l.claims)),
			slog.Int("to_claim", want), slog.Int("to_release", len(give)))
		s.reassign(ctx, give)
	}
}

// reassign stops the generation (what it has not committed is read again) and starts a
// new one on a new set of partitions, giving up release first.
func (s *supervisor) reassign(ctx actor.Context, release []messages.Claim) {
	s.leases.toRelease = release
	s.state = rewinding
	s.backoff = 0
	for _, pid := range ctx.Children() {
		ctx.Stop(pid)
	}
	s.continueWhenStopped(ctx)
}

// releaseLeases gives up every lease once the pipeline has ended, so that another process
// can take the partitions at once.
func (s *supervisor) releaseLeases() {
	l, cfg := &s.leases, s.env.cfg
	if l.stopTimer != nil {
		l.stopTimer()
		l.stopTimer = nil
	}
	if l.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.store.Release(ctx, cfg.Source, l.claims); err != nil {
		cfg.Logger.Warn("could not release the partition leases; they end by themselves", slog.Any("error", err))
	}
	l.claims = nil
	if cfg.Share {
		_ = l.store.Leave(ctx, cfg.Source, cfg.Owner)
	}
}

// isNotOwner reports whether err says that another process owns a partition.
func isNotOwner(err error) bool { return errors.Is(err, ownership.ErrNotOwner) }

// without returns cs without the partitions of drop.
func without(cs, drop []messages.Claim) []messages.Claim {
	var out []messages.Claim
	for _, c := range cs {
		if _, gone := messages.ClaimOf(drop, c.Partition); !gone {
			out = append(out, c)
		}
	}
	return out
}
