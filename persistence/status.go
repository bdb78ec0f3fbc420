package persistence

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/manhattan-analytics/manhattan/messages"
)

// Status describes the store: its schema version, the committed pointer of every source,
// and how many rows each table holds.
type Status struct {
	Schema        string
	Version       int // applied schema version; 0 when the schema is not migrated
	LatestVersion int // the version this program's migrations produce
	Pointers      []PointerStatus
	Rows          map[string]int64 // table name → number of rows
	DeadLetters   int64
}

// PointerStatus is the committed state of one partition of a log source, and who owns it.
type PointerStatus struct {
	Source    string
	Pointer   messages.Pointer // its Partition is the partition
	Epoch     int64
	Records   int64 // records committed by all epochs so far
	UpdatedAt time.Time
	Owner     string    // "" when nobody owns the partition
	Token     int64     // fencing token of the current (or last) grant
	LeaseEnds time.Time // end of the owner's lease
}

// statusTables are the tables whose rows Status counts.
var statusTables = []string{"histories", "tests", "goals", "conversions", "impressions", "variant_conversions", "dead_letters"}

// Status reports the store's state from one snapshot. A schema that does not exist yet
// is reported with version 0.
func (s *Store) Status(ctx context.Context) (Status, error) {
	st := Status{Schema: s.schema, LatestVersion: LatestVersion(), Rows: map[string]int64{}}
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", s.t.migrations).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return nil
		}
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+s.t.migrations).Scan(&st.Version); err != nil {
			return err
		}
		if st.Version == 0 {
			return nil
		}
		rows, err := tx.Query(ctx, "SELECT source, partition, file, \"offset\", epoch, records, updated_at, owner, token, lease_until FROM "+s.t.pointers+" ORDER BY source, partition")
		if err != nil {
			return err
		}
		for rows.Next() {
			var p PointerStatus
			if err := rows.Scan(&p.Source, &p.Pointer.Partition, &p.Pointer.File, &p.Pointer.Offset, &p.Epoch, &p.Records, &p.UpdatedAt, &p.Owner, &p.Token, &p.LeaseEnds); err != nil {
				rows.Close()
				return err
			}
			st.Pointers = append(st.Pointers, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, table := range statusTables {
			b.Queue("SELECT count(*) FROM " + pgx.Identifier{s.schema, table}.Sanitize()).QueryRow(func(row pgx.Row) error {
				var n int64
				if err := row.Scan(&n); err != nil {
					return err
				}
				st.Rows[table] = n
				return nil
			})
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		st.DeadLetters = st.Rows["dead_letters"]
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("status of schema %s: %w", s.schema, err)
	}
	return st, nil
}
