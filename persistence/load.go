package persistence

import (
	"context"
	"fmt"

	"github.com/manhattan-analytics/manhattan/messages"
)

// LoadHistories returns the stored histories of the given visitors, in one query. Visitors
// without a stored history are absent from the map.
func (s *Store) LoadHistories(ctx context.Context, vids []string) (map[string][]byte, error) {
	found := make(map[string][]byte, len(vids))
	if len(vids) == 0 {
		return found, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT vid, data FROM "+s.t.histories+" WHERE vid = ANY($1)", vids)
	if err != nil {
		return nil, fmt.Errorf("load %d histories: %w", len(vids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var vid string
		var data []byte
		if err := rows.Scan(&vid, &data); err != nil {
			return nil, fmt.Errorf("load histories: %w", err)
		}
		found[vid] = data
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load %d histories: %w", len(vids), err)
	}
	return found, nil
}

// HasHistories reports whether the store holds any visitor history.
func (s *Store) HasHistories(ctx context.Context) (bool, error) {
	var any bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+s.t.histories+")").Scan(&any); err != nil {
		return false, fmt.Errorf("look for histories: %w", err)
	}
	return any, nil
}

// DeadLetters returns the newest dead letters of source ("" for every source), at most
// limit of them (100 when limit <= 0), newest first.
func (s *Store) DeadLetters(ctx context.Context, source string, limit int) ([]messages.DeadLetter, error) {
	if limit <= 0 {
		limit = 100
	}
	sql := "SELECT partition, file, \"offset\", raw, raw_bytes, reason FROM " + s.t.deadLetters + " ORDER BY id DESC LIMIT $1"
	args := []any{limit}
	if source != "" {
		sql = "SELECT partition, file, \"offset\", raw, raw_bytes, reason FROM " + s.t.deadLetters + " WHERE source = $2 ORDER BY id DESC LIMIT $1"
		args = append(args, source)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("load dead letters: %w", err)
	}
	defer rows.Close()
	var dls []messages.DeadLetter
	for rows.Next() {
		var dl messages.DeadLetter
		var exact []byte
		if err := rows.Scan(&dl.Ptr.Partition, &dl.Ptr.File, &dl.Ptr.Offset, &dl.Raw, &exact, &dl.Reason); err != nil {
			return nil, fmt.Errorf("load dead letters: %w", err)
		}
		if exact != nil {
			dl.Raw = string(exact) // the line's bytes as they were (raw escapes what text cannot hold)
		}
		dls = append(dls, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load dead letters: %w", err)
	}
	return dls, nil
}
