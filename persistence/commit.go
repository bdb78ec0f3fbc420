package persistence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/manhattan-analytics/manhattan/messages"
)

// ErrStaleEpoch is messages.ErrStaleEpoch, the error (wrapped) of CommitEpoch when the
// epoch's number is not above a partition's committed epoch. Nothing is written.
var ErrStaleEpoch = messages.ErrStaleEpoch

// CommitEpoch writes e in one transaction: its histories (upserted), test metadata
// (earliest first, latest last, union of populations), goal metadata (the candidate
// earliest in the log wins), counter increments, dead letters, and finally the source's
// pointers of the partitions it advances (e.Advances, at least one) with its epoch number.
//
// The pointer rows of those partitions are locked first, and the commit is refused, with
// nothing written, unless for each of them:
//   - e.Number is above the partition's committed epoch (else an error wrapping
//     ErrStaleEpoch: it, or a later epoch, is already committed); epoch numbers start at 1;
//   - e carries the partition's current claim (owner and fencing token) when the
//     partition has an owner (else a *NotOwnerError, wrapping ErrNotOwner, that says who
//     owns it). A partition nobody has claimed accepts a commit without a claim.
//
// On any other error nothing is written either. When the outcome is unknown (the
// connection failed during COMMIT), LoadPointers tells: the epoch was committed exactly
// when the stored epoch of its partitions is at least e.Number.
//
// Text that PostgreSQL cannot store (invalid UTF-8, NUL bytes) in a key or visitor id is
// refused with an error before anything is sent; in dead letters it is escaped.
func (s *Store) CommitEpoch(ctx context.Context, e *messages.Epoch) error {
	if e == nil {
		return errors.New("commit epoch: nil epoch")
	}
	w, err := s.stage(e)
	if err != nil {
		return fmt.Errorf("commit epoch %d of %q: %w", e.Number, e.Source, err)
	}
	if err := s.commit(ctx, e, w); err != nil {
		return fmt.Errorf("commit epoch %d of %q: %w", e.Number, e.Source, err)
	}
	s.watch.changed()
	return nil
}

// commit runs the transaction: lock the pointer row and create the temporary tables
// (one round trip), COPY each part, then merge every part and move the pointer (one
// round trip), and commit.
func (s *Store) commit(ctx context.Context, e *messages.Epoch, parts []*part) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	parts32 := make([]int32, len(e.Advances))
	for i, a := range e.Advances {
		parts32[i] = int32(a.Pointer.Partition)
	}
	var rows []pointerRow
	b := &pgx.Batch{}
	s.queueLockPointers(b, e.Source, parts32, &rows)
	for _, p := range parts {
		if p.create != "" {
			b.Queue(p.create)
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("lock pointers: %w", err)
	}
	if err := checkCommit(e, rows); err != nil {
		return err
	}

	stop := s.stopInCopy(ctx, tx.Conn().PgConn().PID())
	for _, p := range parts {
		src := &rowSource{n: p.rows, row: make([]any, len(p.columns)), fill: p.fill, before: stop}
		stop = nil
		if _, err := tx.CopyFrom(ctx, p.target, p.columns, src); err != nil {
			return fmt.Errorf("copy %s: %w", p.name, err)
		}
	}
	if len(e.DeadLetters) > 0 {
		src := &rowSource{n: len(e.DeadLetters), row: make([]any, 7), fill: func(i int, row []any) {
			dl := e.DeadLetters[i]
			row[0], row[1], row[2], row[3], row[4], row[5] = e.Source, dl.Ptr.Partition, dl.Ptr.File, dl.Ptr.Offset, storableText(dl.Raw), storableText(dl.Reason)
			row[6] = []byte(dl.Raw)
		}}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.schema, "dead_letters"}, []string{"source", "partition", "file", "offset", "raw", "reason", "raw_bytes"}, src); err != nil {
			return fmt.Errorf("copy dead letters: %w", err)
		}
	}

	b = &pgx.Batch{}
	for _, p := range parts {
		if p.merge == "" {
			continue
		}
		what := p.name
		b.Queue(p.merge).Fn = func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("merge %s: %w", what, err)
			}
			return nil
		}
	}
	s.queueMovePointers(b, e)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// compareKeys orders counter keys: the text fields given in pairs (a1, b1, a2, b2, …)
// in order, then the sites. Only as many strings are compared as needed.
func compareKeys(siteA, siteB int64, pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return cmp.Compare(siteA, siteB)
}

// rowSource feeds COPY from an indexed source without allocating a row per row.
type rowSource struct {
	n, i   int
	row    []any
	fill   func(i int, row []any)
	before func() // called before the first row when not nil (stopInCopy)
}

func (r *rowSource) Next() bool {
	if r.i == 0 && r.before != nil {
		r.before()
	}
	if r.i >= r.n {
		return false
	}
	r.fill(r.i, r.row)
	r.i++
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.row, nil }
func (r *rowSource) Err() error             { return nil }

// checkText refuses text that a PostgreSQL text column cannot hold.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8", what, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	return nil
}

// storableText returns s with what a text column cannot hold (NUL bytes, invalid UTF-8)
// written as \xNN escapes.
func storableText(s string) string {
	if checkText("", s) == nil {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
