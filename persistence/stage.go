package persistence

import (
	"cmp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/manhattan-analytics/manhattan/messages"
)

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

// merged describes a part staged in a temporary table and merged into table: the columns
// with their types, the conflict key, and the ON CONFLICT … DO UPDATE clause.
type merged struct {
	name     string   // the kind of row, for errors; the temporary table is epoch_<name>
	table    string   // the quoted table
	columns  []string // "name type", in COPY order
	key      string   // the conflict target's columns
	onUpdate string   // SET … [WHERE …], the table's row being "t"
}

// part returns the part of rows rows, filled by fill.
func (m merged) part(rows int, fill func(i int, row []any)) *part {
	temp := "epoch_" + strings.ReplaceAll(m.name, " ", "_")
	names := make([]string, len(m.columns))
	for i, c := range m.columns {
		names[i], _, _ = strings.Cut(c, " ")
	}
	list := strings.Join(names, ", ")
	return &part{
		name: m.name, target: pgx.Identifier{"pg_temp", temp}, columns: names,
		create: "CREATE TEMP TABLE IF NOT EXISTS " + temp + " (" + strings.Join(m.columns, ", ") + ") ON COMMIT DELETE ROWS",
		merge: "INSERT INTO " + m.table + " AS t (" + list + ") SELECT " + list + " FROM pg_temp." + temp +
			" ON CONFLICT (" + m.key + ") DO UPDATE " + m.onUpdate,
		rows: rows, fill: fill,
	}
}

// stage validates e and prepares its rows in a stable order (sorted keys, so that
// concurrent committers to shared counters lock rows in the same order).
func (s *Store) stage(e *messages.Epoch) ([]*part, error) {
	d := e.Deltas
	if d == nil {
		d = &messages.Deltas{}
	}
	var parts []*part
	for _, stage := range []func() ([]*part, error){
		func() ([]*part, error) { return s.historyParts(e.Histories) },
		func() ([]*part, error) { return s.testsPart(d.Tests) },
		func() ([]*part, error) { return s.goalsPart(d.Goals) },
		func() ([]*part, error) { return s.conversionsPart(d.Conversions) },
		func() ([]*part, error) { return s.impressionsPart(d.Impressions) },
		func() ([]*part, error) { return s.variantConversionsPart(d.VariantConversions) },
	} {
		ps, err := stage()
		if err != nil {
			return nil, err
		}
		parts = append(parts, ps...)
	}
	return parts, nil
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
		parts = append(parts, merged{
			name: "histories", table: s.t.histories, columns: []string{"vid text", "data bytea"},
			key: "vid", onUpdate: "SET data = excluded.data",
		}.part(len(known), fill(known)))
	}
	return parts, nil
}

// checkTexts checks text fields given as pairs (what, value, what, value, …).
func checkTexts(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkText(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// entry is one key and value of a map of deltas.
type entry[K comparable, V any] struct {
	k K
	v V
}

// sortedEntries returns the entries of m for which keep holds, sorted by compare, after
// checking each key's text with check.
func sortedEntries[K comparable, V any](m map[K]V, keep func(V) bool, check func(K) error, compare func(a, b K) int) ([]entry[K, V], error) {
	out := make([]entry[K, V], 0, len(m))
	for k, v := range m {
		if !keep(v) {
			continue
		}
		if err := check(k); err != nil {
			return nil, err
		}
		out = append(out, entry[K, V]{k, v})
	}
	slices.SortFunc(out, func(a, b entry[K, V]) int { return compare(a.k, b.k) })
	return out, nil
}

func (s *Store) testsPart(tests map[string]messages.TestMeta) ([]*part, error) {
	rows, err := sortedEntries(tests, func(messages.TestMeta) bool { return true },
		func(name string) error { return checkText("test name", name) }, strings.Compare)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	pops := make([][]string, len(rows))
	for i, r := range rows {
		for p := range r.v.Populations {
			if err := checkText("population", p); err != nil {
				return nil, err
			}
			pops[i] = append(pops[i], p)
		}
		slices.Sort(pops[i])
	}
	return []*part{merged{
		name: "tests", table: s.t.tests, columns: []string{"name text", "first_ts bigint", "last_ts bigint", "populations text[]"},
		key: "name",
		onUpdate: "SET first_ts = least(t.first_ts, excluded.first_ts), last_ts = greatest(t.last_ts, excluded.last_ts), " +
			`populations = ARRAY(SELECT p FROM unnest(t.populations || excluded.populations) AS u(p) GROUP BY p ORDER BY p COLLATE "C")`,
	}.part(len(rows), func(i int, row []any) {
		row[0], row[1], row[2], row[3] = rows[i].k, rows[i].v.First, rows[i].v.Last, pops[i]
	})}, nil
}

func (s *Store) goalsPart(goals map[string]messages.GoalMeta) ([]*part, error) {
	rows, err := sortedEntries(goals, func(messages.GoalMeta) bool { return true }, func(string) error { return nil }, strings.Compare)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	for _, r := range rows {
		if err := checkTexts("goal name", r.k, "goal value type", r.v.ValueType, "goal value format", r.v.ValueFormat); err != nil {
			return nil, err
		}
	}
	return []*part{merged{
		name: "goals", table: s.t.goals, columns: []string{"name text", "value_type text", "value_format text", "at_file bigint", "at_offset bigint"},
		key: "name",
		onUpdate: "SET value_type = excluded.value_type, value_format = excluded.value_format, " +
			"at_file = excluded.at_file, at_offset = excluded.at_offset " +
			"WHERE (excluded.at_file, excluded.at_offset) < (t.at_file, t.at_offset)",
	}.part(len(rows), func(i int, row []any) {
		g := rows[i]
		row[0], row[1], row[2], row[3], row[4] = g.k, g.v.ValueType, g.v.ValueFormat, g.v.At.File, g.v.At.Offset
	})}, nil
}

// addCounters is the update of an additive counter row with a value and its squares.
const addCounters = "SET count = t.count + excluded.count, value = t.value + excluded.value, " +
	"value_squares = t.value_squares + excluded.value_squares"

func nonZero(c messages.Counter) bool { return !c.IsZero() }

func (s *Store) conversionsPart(convs map[messages.ConversionKey]messages.Counter) ([]*part, error) {
	rows, err := sortedEntries(convs, nonZero,
		func(k messages.ConversionKey) error {
			return checkTexts("goal name", k.Goal, "rollup", k.Rollup, "bucket", k.Bucket)
		},
		func(a, b messages.ConversionKey) int {
			return compareKeys(a.Site, b.Site, a.Goal, b.Goal, a.Rollup, b.Rollup, a.Bucket, b.Bucket)
		})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return []*part{merged{
		name: "conversions", table: s.t.conversions,
		columns: []string{"goal text", "rollup text", "bucket text", "site bigint", "count bigint", "value numeric", "value_squares numeric"},
		key:     "goal, rollup, bucket, site", onUpdate: addCounters,
	}.part(len(rows), func(i int, row []any) {
		k, c := rows[i].k, rows[i].v
		row[0], row[1], row[2], row[3], row[4], row[5], row[6] = k.Goal, k.Rollup, k.Bucket, k.Site, c.Count, toNumeric(c.Value), toNullNumeric(c.Squares)
	})}, nil
}

func (s *Store) impressionsPart(imps map[messages.ImpressionKey]int64) ([]*part, error) {
	rows, err := sortedEntries(imps, func(n int64) bool { return n != 0 },
		func(k messages.ImpressionKey) error {
			return checkTexts("test name", k.Test, "population", k.Population, "rollup", k.Rollup, "bucket", k.Bucket)
		},
		func(a, b messages.ImpressionKey) int {
			return compareKeys(a.Site, b.Site, a.Test, b.Test, a.Population, b.Population, a.Rollup, b.Rollup, a.Bucket, b.Bucket)
		})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return []*part{merged{
		name: "impressions", table: s.t.impressions,
		columns: []string{"test text", "population text", "rollup text", "bucket text", "site bigint", "count bigint"},
		key:     "test, population, rollup, bucket, site", onUpdate: "SET count = t.count + excluded.count",
	}.part(len(rows), func(i int, row []any) {
		k := rows[i].k
		row[0], row[1], row[2], row[3], row[4], row[5] = k.Test, k.Population, k.Rollup, k.Bucket, k.Site, rows[i].v
	})}, nil
}

func (s *Store) variantConversionsPart(vconvs map[messages.VariantConversionKey]messages.Counter) ([]*part, error) {
	rows, err := sortedEntries(vconvs, nonZero,
		func(k messages.VariantConversionKey) error {
			return checkTexts("goal name", k.Goal, "test name", k.Test, "population", k.Population, "rollup", k.Rollup, "bucket", k.Bucket)
		},
		func(a, b messages.VariantConversionKey) int {
			return compareKeys(a.Site, b.Site, a.Goal, b.Goal, a.Test, b.Test, a.Population, b.Population, a.Rollup, b.Rollup, a.Bucket, b.Bucket)
		})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return []*part{merged{
		name: "variant conversions", table: s.t.variantConversions,
		columns: []string{"goal text", "test text", "population text", "rollup text", "bucket text", "site bigint",
			"count bigint", "value numeric", "value_squares numeric"},
		key: "goal, test, population, rollup, bucket, site", onUpdate: addCounters,
	}.part(len(rows), func(i int, row []any) {
		k, c := rows[i].k, rows[i].v
		row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8] =
			k.Goal, k.Test, k.Population, k.Rollup, k.Bucket, k.Site, c.Count, toNumeric(c.Value), toNullNumeric(c.Squares)
	})}, nil
}
