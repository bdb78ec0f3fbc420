package persistence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/manhattan-analytics/manhattan/messages"
	"github.com/manhattan-analytics/manhattan/ownership"
)

// ErrNotOwner is ownership.ErrNotOwner: a commit, renewal or claim on a partition that
// another process owns.
var ErrNotOwner = ownership.ErrNotOwner

// NotOwnerError is ownership.NotOwnerError: who owns a partition, and until when.
type NotOwnerError = ownership.NotOwnerError

// pointerRow is the locked state of one partition's pointer row.
type pointerRow struct {
	partition int
	epoch     int64
	owner     string
	token     int64
	until     time.Time
}

// queueLockPointers queues the creation of missing pointer rows of source's partitions
// and their locking (in partition order, so that concurrent committers lock alike); rows
// receives their state.
func (s *Store) queueLockPointers(b *pgx.Batch, source string, partitions []int32, rows *[]pointerRow) {
	b.Queue("INSERT INTO "+s.t.pointers+` (source, partition, file, "offset", epoch) SELECT $1, p, 0, 0, 0 FROM unnest($2::integer[]) AS u(p) ON CONFLICT DO NOTHING`,
		source, partitions)
	b.Queue("SELECT partition, epoch, owner, token, lease_until FROM "+s.t.pointers+
		" WHERE source = $1 AND partition = ANY($2) ORDER BY partition FOR UPDATE", source, partitions).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			var r pointerRow
			if err := rs.Scan(&r.partition, &r.epoch, &r.owner, &r.token, &r.until); err != nil {
				return err
			}
			*rows = append(*rows, r)
		}
		return rs.Err()
	})
}

// checkCommit refuses e unless it advances at least one partition, once each, and for
// each: e carries the current claim (checked first: a commit of a former owner is told
// so) and e.Number is above the committed epoch.
func checkCommit(e *messages.Epoch, rows []pointerRow) error {
	if len(e.Advances) == 0 {
		return errors.New("the epoch advances no partition")
	}
	if len(rows) != len(e.Advances) {
		return fmt.Errorf("the epoch advances %d partitions, %d distinct pointer rows found (a partition twice?)", len(e.Advances), len(rows))
	}
	for _, r := range rows {
		c, claimed := messages.ClaimOf(e.Claims, r.partition)
		if (claimed || r.owner != "") && (c.Owner != r.owner || c.Token != r.token) {
			return &NotOwnerError{Source: e.Source, Partition: r.partition, Owner: r.owner, Until: r.until, Token: r.token, Claim: c}
		}
		if e.Number <= r.epoch {
			return fmt.Errorf("%w: epoch %d is not above the committed epoch %d of partition %d", ErrStaleEpoch, e.Number, r.epoch, r.partition)
		}
	}
	return nil
}

// queueMovePointers queues the update of the pointer rows that e advances.
func (s *Store) queueMovePointers(b *pgx.Batch, e *messages.Epoch) {
	n := len(e.Advances)
	parts, files, offsets, checks, records := make([]int32, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, a := range e.Advances {
		parts[i], files[i], offsets[i], checks[i], records[i] = int32(a.Pointer.Partition), a.Pointer.File, a.Pointer.Offset, int64(a.Pointer.Check), a.Records
	}
	b.Queue("UPDATE "+s.t.pointers+` AS p SET file = u.file, "offset" = u.off, line_check = u.line_check, epoch = $2, records = p.records + u.records, updated_at = now() `+
		`FROM unnest($3::integer[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(part, file, off, line_check, records) `+
		`WHERE p.source = $1 AND p.partition = u.part`,
		e.Source, e.Number, parts, files, offsets, checks, records).Fn = func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err != nil {
			return fmt.Errorf("move pointers: %w", err)
		}
		if int(tag.RowsAffected()) != n {
			return fmt.Errorf("move pointers: %d of %d rows updated", tag.RowsAffected(), n)
		}
		return nil
	}
}

// LoadPointer returns the committed pointer and epoch of partition 0 of source (the
// hourly files); zero values when it has committed nothing yet.
func (s *Store) LoadPointer(ctx context.Context, source string) (messages.Pointer, int64, error) {
	ptrs, epoch, err := s.LoadPointers(ctx, source, []int{0})
	if err != nil {
		return messages.Pointer{}, 0, err
	}
	return ptrs[0], epoch, nil
}

// LoadPointers returns the committed pointer of each of the partitions of source, in the
// order asked (a zero position in a partition that has committed nothing yet), and the
// highest epoch committed for any of them.
func (s *Store) LoadPointers(ctx context.Context, source string, partitions []int) ([]messages.Pointer, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT partition, file, "offset", line_check, epoch FROM `+s.t.pointers+" WHERE source = $1 AND partition = ANY($2)",
		source, partitions)
	if err != nil {
		return nil, 0, fmt.Errorf("load pointers of %q: %w", source, err)
	}
	found := map[int]messages.Pointer{}
	var top int64
	for rows.Next() {
		var p messages.Pointer
		var epoch, check int64
		if err := rows.Scan(&p.Partition, &p.File, &p.Offset, &check, &epoch); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("load pointers of %q: %w", source, err)
		}
		p.Check = uint32(check)
		found[p.Partition] = p
		top = max(top, epoch)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("load pointers of %q: %w", source, err)
	}
	out := make([]messages.Pointer, len(partitions))
	for i, p := range partitions {
		out[i] = found[p]
		out[i].Partition = p
	}
	return out, top, nil
}
