package persistence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
	return nil
}

// part is one kind of row of an epoch: staged into a temporary table with COPY, then
// merged into its table with one statement; or, without merge, copied straight into its
// table.
//
// The temporary tables are created once per connection (CREATE … IF NOT EXISTS) with ON
// COMMIT DELETE ROWS, so they are empty at the start of every commit. Creating them ON
// COMMIT DROP in every transaction would cost a few milliseconds of catalog writes per
// table and epoch, and bloat the catalog.
type part struct {
	name    string         // for errors
	target  pgx.Identifier // the table COPY writes to: a temporary table in pg_temp, or the table itself
	columns []string       // COPY columns, in order
	create  string         // CREATE TEMP TABLE IF NOT EXISTS statement; "" without a temporary table
	merge   string         // INSERT … SELECT FROM the temporary table; "" without one
	rows    int
	fill    func(i int, row []any) // sets row to the values of row i
}

// historyParts stages snapshots sorted by visitor id: index insertions then walk the index
// in order (much faster than random order), and concurrent committers lock rows in the same
// order. Of several snapshots of one visitor, the last one given is kept. Snapshots of new
// visitors are copied straight into the table (a stored row makes the COPY fail: the
// epoch is refused); the others are upserted.
func (s *Store) historyParts(hist []messages.HistorySnapshot) ([]*part, error) {
	type ref struct {
		vid string
		i   int
	}
	refs := make([]ref, len(hist))
	for i, h := range hist {
		refs[i] = ref{h.VID, i}
	}
	slices.SortFunc(refs, func(a, b ref) int {
		if c := strings.Compare(a.vid, b.vid); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	var fresh, known []int
	for i, r := range refs {
		if i+1 < len(refs) && refs[i+1].vid == r.vid {
			continue
		}
		if err := checkText("visitor id", r.vid); err != nil {
			return nil, err
		}
		if hist[r.i].New {
			fresh = append(fresh, r.i)
		} else {
			known = append(known, r.i)
		}
	}
	fill := func(idx []int) func(int, []any) {
		return func(i int, row []any) { row[0], row[1] = hist[idx[i]].VID, hist[idx[i]].Data }
	}
	var parts []*part
	if len(fresh) > 0 {
		parts = append(parts, &part{
			name: "new histories", target: pgx.Identifier{s.schema, "histories"}, columns: []string{"vid", "data"},
			rows: len(fresh), fill: fill(fresh),
		})
	}
	if len(known) > 0 {
		parts = append(parts, &part{
			name: "histories", target: pgx.Identifier{"pg_temp", "epoch_histories"}, columns: []string{"vid", "data"},
			create: "CREATE TEMP TABLE IF NOT EXISTS epoch_histories (vid text, data bytea) ON COMMIT DELETE ROWS",
			merge: "INSERT INTO " + s.t.histories + " (vid, data) SELECT vid, data FROM pg_temp.epoch_histories " +
				"ON CONFLICT (vid) DO UPDATE SET data = excluded.data",
			rows: len(known), fill: fill(known),
		})
	}
	return parts, nil
}

// stage validates e and prepares its rows in a stable order (sorted keys, so that
// concurrent committers to shared counters lock rows in the same order).
func (s *Store) stage(e *messages.Epoch) ([]*part, error) {
	var parts []*part
	d := e.Deltas
	if d == nil {
		d = &messages.Deltas{}
	}

	if len(e.Histories) > 0 {
		hs, err := s.historyParts(e.Histories)
		if err != nil {
			return nil, err
		}
		parts = append(parts, hs...)
	}

	if len(d.Tests) > 0 {
		type test struct {
			name        string
			first, last int64
			pops        []string
		}
		tests := make([]test, 0, len(d.Tests))
		for name, m := range d.Tests {
			if err := checkText("test name", name); err != nil {
				return nil, err
			}
			pops := make([]string, 0, len(m.Populations))
			for p := range m.Populations {
				if err := checkText("population", p); err != nil {
					return nil, err
				}
				pops = append(pops, p)
			}
			slices.Sort(pops)
			tests = append(tests, test{name, m.First, m.Last, pops})
		}
		slices.SortFunc(tests, func(a, b test) int { return strings.Compare(a.name, b.name) })
		parts = append(parts, &part{
			name: "tests", target: pgx.Identifier{"pg_temp", "epoch_tests"},
			columns: []string{"name", "first_ts", "last_ts", "populations"},
			create:  "CREATE TEMP TABLE IF NOT EXISTS epoch_tests (name text, first_ts bigint, last_ts bigint, populations text[]) ON COMMIT DELETE ROWS",
			merge: "INSERT INTO " + s.t.tests + " AS t (name, first_ts, last_ts, populations) " +
				"SELECT name, first_ts, last_ts, populations FROM pg_temp.epoch_tests " +
				"ON CONFLICT (name) DO UPDATE SET first_ts = least(t.first_ts, excluded.first_ts), " +
				"last_ts = greatest(t.last_ts, excluded.last_ts), " +
				`populations = ARRAY(SELECT p FROM unnest(t.populations || excluded.populations) AS u(p) GROUP BY p ORDER BY p COLLATE "C")`,
			rows: len(tests),
			fill: func(i int, row []any) {
				t := tests[i]
				row[0], row[1], row[2], row[3] = t.name, t.first, t.last, t.pops
			},
		})
	}

	if len(d.Goals) > 0 {
		type goal struct {
			name string
			m    messages.GoalMeta
		}
		goals := make([]goal, 0, len(d.Goals))
		for name, m := range d.Goals {
			for _, f := range []struct{ what, s string }{{"goal name", name}, {"goal value type", m.ValueType}, {"goal value format", m.ValueFormat}} {
				if err := checkText(f.what, f.s); err != nil {
					return nil, err
				}
			}
			goals = append(goals, goal{name, m})
		}
		slices.SortFunc(goals, func(a, b goal) int { return strings.Compare(a.name, b.name) })
		parts = append(parts, &part{
			name: "goals", target: pgx.Identifier{"pg_temp", "epoch_goals"},
			columns: []string{"name", "value_type", "value_format", "at_file", "at_offset"},
			create:  "CREATE TEMP TABLE IF NOT EXISTS epoch_goals (name text, value_type text, value_format text, at_file bigint, at_offset bigint) ON COMMIT DELETE ROWS",
			merge: "INSERT INTO " + s.t.goals + " AS g (name, value_type, value_format, at_file, at_offset) " +
				"SELECT name, value_type, value_format, at_file, at_offset FROM pg_temp.epoch_goals " +
				"ON CONFLICT (name) DO UPDATE SET value_type = excluded.value_type, value_format = excluded.value_format, " +
				"at_file = excluded.at_file, at_offset = excluded.at_offset " +
				"WHERE (excluded.at_file, excluded.at_offset) < (g.at_file, g.at_offset)",
			rows: len(goals),
			fill: func(i int, row []any) {
				g := goals[i]
				row[0], row[1], row[2], row[3], row[4] = g.name, g.m.ValueType, g.m.ValueFormat, g.m.At.File, g.m.At.Offset
			},
		})
	}

	if len(d.Conversions) > 0 {
		type conv struct {
			k messages.ConversionKey
			c messages.Counter
		}
		convs := make([]conv, 0, len(d.Conversions))
		for k, c := range d.Conversions {
			if c.IsZero() {
				continue
			}
			for _, f := range []struct{ what, s string }{{"goal name", k.Goal}, {"rollup", k.Rollup}, {"bucket", k.Bucket}} {
				if err := checkText(f.what, f.s); err != nil {
					return nil, err
				}
			}
			convs = append(convs, conv{k, c})
		}
		slices.SortFunc(convs, func(a, b conv) int {
			return compareKeys(a.k.Site, b.k.Site, a.k.Goal, b.k.Goal, a.k.Rollup, b.k.Rollup, a.k.Bucket, b.k.Bucket)
		})
		if len(convs) > 0 {
			parts = append(parts, &part{
				name: "conversions", target: pgx.Identifier{"pg_temp", "epoch_conversions"},
				columns: []string{"goal", "rollup", "bucket", "site", "count", "value", "value_squares"},
				create: "CREATE TEMP TABLE IF NOT EXISTS epoch_conversions (goal text, rollup text, bucket text, site bigint, count bigint, value numeric, " +
					"value_squares numeric) ON COMMIT DELETE ROWS",
				merge: "INSERT INTO " + s.t.conversions + " AS c (goal, rollup, bucket, site, count, value, value_squares) " +
					"SELECT goal, rollup, bucket, site, count, value, value_squares FROM pg_temp.epoch_conversions " +
					"ON CONFLICT (goal, rollup, bucket, site) DO UPDATE SET count = c.count + excluded.count, value = c.value + excluded.value, " +
					"value_squares = c.value_squares + excluded.value_squares",
				rows: len(convs),
				fill: func(i int, row []any) {
					c := convs[i]
					row[0], row[1], row[2], row[3], row[4], row[5], row[6] =
						c.k.Goal, c.k.Rollup, c.k.Bucket, c.k.Site, c.c.Count, toNumeric(c.c.Value), toNullNumeric(c.c.Squares)
				},
			})
		}
	}

	if len(d.Impressions) > 0 {
		type imp struct {
			k messages.ImpressionKey
			n int64
		}
		imps := make([]imp, 0, len(d.Impressions))
		for k, n := range d.Impressions {
			if n == 0 {
				continue
			}
			for _, f := range []struct{ what, s string }{{"test name", k.Test}, {"population", k.Population}, {"rollup", k.Rollup}, {"bucket", k.Bucket}} {
				if err := checkText(f.what, f.s); err != nil {
					return nil, err
				}
			}
			imps = append(imps, imp{k, n})
		}
		slices.SortFunc(imps, func(a, b imp) int {
			return compareKeys(a.k.Site, b.k.Site, a.k.Test, b.k.Test, a.k.Population, b.k.Population, a.k.Rollup, b.k.Rollup, a.k.Bucket, b.k.Bucket)
		})
		if len(imps) > 0 {
			parts = append(parts, &part{
				name: "impressions", target: pgx.Identifier{"pg_temp", "epoch_impressions"},
				columns: []string{"test", "population", "rollup", "bucket", "site", "count"},
				create:  "CREATE TEMP TABLE IF NOT EXISTS epoch_impressions (test text, population text, rollup text, bucket text, site bigint, count bigint) ON COMMIT DELETE ROWS",
				merge: "INSERT INTO " + s.t.impressions + " AS c (test, population, rollup, bucket, site, count) " +
					"SELECT test, population, rollup, bucket, site, count FROM pg_temp.epoch_impressions " +
					"ON CONFLICT (test, population, rollup, bucket, site) DO UPDATE SET count = c.count + excluded.count",
				rows: len(imps),
				fill: func(i int, row []any) {
					m := imps[i]
					row[0], row[1], row[2], row[3], row[4], row[5] = m.k.Test, m.k.Population, m.k.Rollup, m.k.Bucket, m.k.Site, m.n
				},
			})
		}
	}

	if len(d.VariantConversions) > 0 {
		type vconv struct {
			k messages.VariantConversionKey
			c messages.Counter
		}
		vconvs := make([]vconv, 0, len(d.VariantConversions))
		for k, c := range d.VariantConversions {
			if c.IsZero() {
				continue
			}
			for _, f := range []struct{ what, s string }{{"goal name", k.Goal}, {"test name", k.Test}, {"population", k.Population}, {"rollup", k.Rollup}, {"bucket", k.Bucket}} {
				if err := checkText(f.what, f.s); err != nil {
					return nil, err
				}
			}
			vconvs = append(vconvs, vconv{k, c})
		}
		slices.SortFunc(vconvs, func(a, b vconv) int {
			return compareKeys(a.k.Site, b.k.Site, a.k.Goal, b.k.Goal, a.k.Test, b.k.Test, a.k.Population, b.k.Population,
				a.k.Rollup, b.k.Rollup, a.k.Bucket, b.k.Bucket)
		})
		if len(vconvs) > 0 {
			parts = append(parts, &part{
				name: "variant conversions", target: pgx.Identifier{"pg_temp", "epoch_variant_conversions"},
				columns: []string{"goal", "test", "population", "rollup", "bucket", "site", "count", "value", "value_squares"},
				create: "CREATE TEMP TABLE IF NOT EXISTS epoch_variant_conversions (goal text, test text, population text, rollup text, bucket text, " +
					"site bigint, count bigint, value numeric, value_squares numeric) ON COMMIT DELETE ROWS",
				merge: "INSERT INTO " + s.t.variantConversions + " AS c (goal, test, population, rollup, bucket, site, count, value, value_squares) " +
					"SELECT goal, test, population, rollup, bucket, site, count, value, value_squares FROM pg_temp.epoch_variant_conversions " +
					"ON CONFLICT (goal, test, population, rollup, bucket, site) DO UPDATE SET count = c.count + excluded.count, value = c.value + excluded.value, " +
					"value_squares = c.value_squares + excluded.value_squares",
				rows: len(vconvs),
				fill: func(i int, row []any) {
					c := vconvs[i]
					row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] =
						c.k.Goal, c.k.Test, c.k.Population, c.k.Rollup, c.k.Bucket, c.k.Site, c.c.Count, toNumeric(c.c.Value), toNullNumeric(c.c.Squares)
				},
			})
		}
	}
	return parts, nil
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

	for _, p := range parts {
		src := &rowSource{n: p.rows, row: make([]any, len(p.columns)), fill: p.fill}
		if _, err := tx.CopyFrom(ctx, p.target, p.columns, src); err != nil {
			return fmt.Errorf("copy %s: %w", p.name, err)
		}
	}
	if len(e.DeadLetters) > 0 {
		src := &rowSource{n: len(e.DeadLetters), row: make([]any, 6), fill: func(i int, row []any) {
			dl := e.DeadLetters[i]
			row[0], row[1], row[2], row[3], row[4], row[5] = e.Source, dl.Ptr.Partition, dl.Ptr.File, dl.Ptr.Offset, storableText(dl.Raw), storableText(dl.Reason)
		}}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.schema, "dead_letters"}, []string{"source", "partition", "file", "offset", "raw", "reason"}, src); err != nil {
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
	n, i int
	row  []any
	fill func(i int, row []any)
}

func (r *rowSource) Next() bool {
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
