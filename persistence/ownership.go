package persistence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
)

// ClaimRequest is ownership.ClaimRequest.
type ClaimRequest = ownership.ClaimRequest

// Claim grants partitions of a source to an owner, each under its row lock, and returns
// the claims (in partition order) that commits must carry. A partition the owner holds
// already keeps its token (its lease is extended); a partition that changes owner gets a
// new token, above every earlier one. Without Some, nothing is granted when any partition
// is held by another owner with a lease not yet ended (and Takeover is false): the error
// is a *NotOwnerError naming the owner and the end of its lease.
//
// A transaction that keeps a row locked for longer than a third of the lease (at most
// claimLockWait), on a partition that the claim may take from another owner (its lease
// has ended, or Takeover), is ended: it
// belongs to a process that is frozen (SIGSTOP, a stalled machine) or cut off in the
// middle of a commit, which the server may not end by itself (a backend waiting for COPY
// data is busy, not idle in a transaction). Ended, the transaction commits nothing, and
// once the claim has changed the token the frozen process's commits are refused.
func (s *Store) Claim(ctx context.Context, r ClaimRequest) ([]messages.Claim, error) {
	if r.Owner == "" {
		return nil, errors.New("claim: no owner name")
	}
	if r.Lease <= 0 {
		return nil, fmt.Errorf("claim: lease %v is not positive", r.Lease)
	}
	parts := sortedPartitions(r.Partitions)
	wait := min(max(r.Lease/3, 10*time.Millisecond), claimLockWait)
	locked := false // a wait for the rows' locks ran out at least once
	for {
		claims, err := s.claim(ctx, r, parts, wait)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != lockNotAvailable {
			if err != nil && locked && ctx.Err() != nil {
				return nil, fmt.Errorf("claim partitions %v of %q for %s: the pointer rows stayed locked by a commit of their owner, whose lease has not ended: %w", r.Partitions, r.Source, r.Owner, err)
			}
			if err != nil {
				return nil, fmt.Errorf("claim partitions %v of %q for %s: %w", r.Partitions, r.Source, r.Owner, err)
			}
			return claims, nil
		}
		locked = true
		// The rows stayed locked: end the holders that keep the claim from a partition it
		// may take, and try again (a live owner's commit is waited for).
		if err := s.endStaleLockHolders(ctx, r, parts); err != nil {
			return nil, fmt.Errorf("claim partitions %v of %q for %s: %w", r.Partitions, r.Source, r.Owner, err)
		}
	}
}

// claimLockWait bounds each wait of Claim for the pointer rows' locks.
const claimLockWait = time.Second

// lockNotAvailable is the SQLSTATE of a lock wait that lock_timeout ended.
const lockNotAvailable = "55P03"

// claim is one attempt of Claim, waiting at most wait for the rows' locks.
func (s *Store) claim(ctx context.Context, r ClaimRequest, parts []int32, wait time.Duration) ([]messages.Claim, error) {
	var claims []messages.Claim
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		claims = nil
		var rows []pointerRow
		var now time.Time
		b := &pgx.Batch{}
		b.Queue("SELECT set_config('lock_timeout', $1, true)", fmt.Sprintf("%dms", max(wait.Milliseconds(), 1)))
		s.queueLockPointers(b, r.Source, parts, &rows)
		b.Queue("SELECT now()").QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		var grant []pointerRow
		for _, row := range rows {
			free := row.owner == "" || row.owner == r.Owner || !row.until.After(now)
			switch {
			case free || r.Takeover:
			case r.Some:
				continue
			default:
				return &NotOwnerError{Source: r.Source, Partition: row.partition, Owner: row.owner, Until: row.until, Token: row.token}
			}
			if r.Some && r.Max > 0 && len(grant) >= r.Max {
				break
			}
			if row.owner != r.Owner {
				row.token++
			}
			grant = append(grant, row)
		}
		if len(grant) == 0 {
			return nil
		}
		gp, gt := make([]int32, len(grant)), make([]int64, len(grant))
		for i, g := range grant {
			gp[i], gt[i] = int32(g.partition), g.token
		}
		rs, err := tx.Query(ctx, "UPDATE "+s.t.pointers+` AS p SET owner = $2, token = u.token, lease_until = now() + $3::interval `+
			`FROM unnest($4::integer[], $5::bigint[]) AS u(part, token) WHERE p.source = $1 AND p.partition = u.part `+
			`RETURNING p.partition, p.token, p.lease_until`, r.Source, r.Owner, r.Lease, gp, gt)
		if err != nil {
			return err
		}
		for rs.Next() {
			c := messages.Claim{Owner: r.Owner}
			if err := rs.Scan(&c.Partition, &c.Token, &c.Until); err != nil {
				rs.Close()
				return err
			}
			claims = append(claims, c)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, err
	}
	sortClaims(claims)
	return claims, nil
}

// endStaleLockHolders ends (pg_terminate_backend) the transactions that hold the lock of a
// pointer row of r's partitions that r may take from another owner: one whose lease has
// ended, or any other owner's with r.Takeover. The holder of a row's lock is the
// transaction whose id is the row's xmax (pointer rows are only locked FOR UPDATE and
// updated, so xmax is never a multixact).
func (s *Store) endStaleLockHolders(ctx context.Context, r ClaimRequest, parts []int32) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_terminate_backend(l.pid) FROM "+s.t.pointers+" AS p "+
		"JOIN pg_locks AS l ON l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted AND l.transactionid = p.xmax "+
		"WHERE p.source = $1 AND p.partition = ANY($2) AND p.owner <> '' AND p.owner <> $3 AND ($4 OR p.lease_until <= now()) "+
		"AND l.pid <> pg_backend_pid()", r.Source, parts, r.Owner, r.Takeover)
	if err != nil {
		return fmt.Errorf("end the transactions that hold stale pointer rows: %w", err)
	}
	return nil
}

// Renew extends the leases of claims by lease. It returns the claims renewed (with their
// new end) and, for each claim that is not current any more (another owner was granted
// the partition), a *NotOwnerError saying who holds it now.
func (s *Store) Renew(ctx context.Context, source string, claims []messages.Claim, lease time.Duration) ([]messages.Claim, []*NotOwnerError, error) {
	if len(claims) == 0 {
		return nil, nil, nil
	}
	owner := claims[0].Owner
	parts, tokens := make([]int32, len(claims)), make([]int64, len(claims))
	for i, c := range claims {
		parts[i], tokens[i] = int32(c.Partition), c.Token
	}
	rs, err := s.pool.Query(ctx, "UPDATE "+s.t.pointers+` AS p SET lease_until = now() + $3::interval `+
		`FROM unnest($4::integer[], $5::bigint[]) AS u(part, token) `+
		`WHERE p.source = $1 AND p.partition = u.part AND p.owner = $2 AND p.token = u.token `+
		`RETURNING p.partition, p.lease_until`, source, owner, lease, parts, tokens)
	if err != nil {
		return nil, nil, fmt.Errorf("renew leases of %q for %s: %w", source, owner, err)
	}
	until := map[int]time.Time{}
	for rs.Next() {
		var p int
		var u time.Time
		if err := rs.Scan(&p, &u); err != nil {
			rs.Close()
			return nil, nil, fmt.Errorf("renew leases of %q for %s: %w", source, owner, err)
		}
		until[p] = u
	}
	if err := rs.Err(); err != nil {
		return nil, nil, fmt.Errorf("renew leases of %q for %s: %w", source, owner, err)
	}
	var renewed []messages.Claim
	var lostParts []int
	for _, c := range claims {
		if u, ok := until[c.Partition]; ok {
			c.Until = u
			renewed = append(renewed, c)
		} else {
			lostParts = append(lostParts, c.Partition)
		}
	}
	if len(lostParts) == 0 {
		return renewed, nil, nil
	}
	owners, err := s.Owners(ctx, source)
	if err != nil {
		return renewed, nil, err
	}
	var lost []*NotOwnerError
	for _, p := range lostParts {
		c, _ := messages.ClaimOf(claims, p)
		e := &NotOwnerError{Source: source, Partition: p, Claim: c}
		for _, o := range owners {
			if o.Partition == p {
				e.Owner, e.Until, e.Token = o.Owner, o.Until, o.Token
			}
		}
		lost = append(lost, e)
	}
	return renewed, lost, nil
}

// Release gives up claims that are still current: their partitions have no owner from
// then on and can be claimed at once by anyone. Claims that are not current are left
// alone.
func (s *Store) Release(ctx context.Context, source string, claims []messages.Claim) error {
	if len(claims) == 0 {
		return nil
	}
	parts, tokens := make([]int32, len(claims)), make([]int64, len(claims))
	for i, c := range claims {
		parts[i], tokens[i] = int32(c.Partition), c.Token
	}
	_, err := s.pool.Exec(ctx, "UPDATE "+s.t.pointers+` AS p SET owner = '', lease_until = now() `+
		`FROM unnest($3::integer[], $4::bigint[]) AS u(part, token) `+
		`WHERE p.source = $1 AND p.partition = u.part AND p.owner = $2 AND p.token = u.token`,
		source, claims[0].Owner, parts, tokens)
	if err != nil {
		return fmt.Errorf("release partitions of %q: %w", source, err)
	}
	return nil
}

// Owners returns the current claim on every partition row of source that has an owner
// whose lease has not ended, in partition order.
func (s *Store) Owners(ctx context.Context, source string) ([]messages.Claim, error) {
	rows, err := s.pool.Query(ctx, "SELECT partition, owner, token, lease_until FROM "+s.t.pointers+
		" WHERE source = $1 AND owner <> '' AND lease_until > now() ORDER BY partition", source)
	if err != nil {
		return nil, fmt.Errorf("owners of %q: %w", source, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (messages.Claim, error) {
		var c messages.Claim
		err := row.Scan(&c.Partition, &c.Owner, &c.Token, &c.Until)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("owners of %q: %w", source, err)
	}
	return out, nil
}

// Heartbeat records that owner is alive and shares source for lease more, forgets members
// whose lease has ended, and returns the live members (owner included), in name order.
func (s *Store) Heartbeat(ctx context.Context, source, owner string, lease time.Duration) ([]string, error) {
	var members []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue("INSERT INTO "+s.t.members+" (source, owner, lease_until) VALUES ($1, $2, now() + $3::interval) "+
			"ON CONFLICT (source, owner) DO UPDATE SET lease_until = excluded.lease_until", source, owner, lease)
		b.Queue("DELETE FROM "+s.t.members+" WHERE source = $1 AND lease_until <= now()", source)
		b.Queue("SELECT owner FROM "+s.t.members+` WHERE source = $1 ORDER BY owner COLLATE "C"`, source).Query(func(rs pgx.Rows) error {
			var err error
			members, err = pgx.CollectRows(rs, pgx.RowTo[string])
			return err
		})
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat of %s on %q: %w", owner, source, err)
	}
	return members, nil
}

// Leave removes owner from the members of source.
func (s *Store) Leave(ctx context.Context, source, owner string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM "+s.t.members+" WHERE source = $1 AND owner = $2", source, owner); err != nil {
		return fmt.Errorf("leave %q as %s: %w", source, owner, err)
	}
	return nil
}

func sortClaims(cs []messages.Claim) {
	slices.SortFunc(cs, func(a, b messages.Claim) int { return cmp.Compare(a.Partition, b.Partition) })
}

// sortedPartitions returns the distinct partitions of ps in order, as int32 for arrays.
func sortedPartitions(ps []int) []int32 {
	out := make([]int32, 0, len(ps))
	for _, p := range ps {
		out = append(out, int32(p))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
