package persistence

import (
	"context"
	"fmt"
	"time"
)

// PruneDeadLetters removes the dead letters recorded before cutoff and returns how many it
// removed (with apply false, how many it would remove, removing nothing).
func (s *Store) PruneDeadLetters(ctx context.Context, cutoff time.Time, apply bool) (int64, error) {
	if !apply {
		var n int64
		err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.t.deadLetters+" WHERE created_at < $1", cutoff).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("count dead letters before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		return n, nil
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM "+s.t.deadLetters+" WHERE created_at < $1", cutoff)
	if err != nil {
		return 0, fmt.Errorf("remove dead letters before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// HistoryPruneResult says what PruneHistories looked at and removed.
type HistoryPruneResult struct {
	Scanned int64 // histories read
	Matched int64 // histories the predicate chose
	Removed int64 // of those, removed (0 in a dry run; fewer when ingest changed one meanwhile)
	Bytes   int64 // encoded size of the matched histories
}

// pruneBatch is how many histories PruneHistories reads per query.
const pruneBatch = 5000

// PruneHistories reads every stored visitor history in batches (in vid order, one query
// each) and removes those for which expired reports true, e.g. visitors never seen human
// and idle for long. A history is removed only if it is still exactly the one that was
// judged: one that an ingest process rewrote meanwhile is kept. With apply false nothing
// is removed and the result says what would be.
func (s *Store) PruneHistories(ctx context.Context, expired func(data []byte) (bool, error), apply bool) (HistoryPruneResult, error) {
	var res HistoryPruneResult
	after := ""
	for {
		vids, datas, err := s.historyPage(ctx, after)
		if err != nil {
			return res, err
		}
		if len(vids) == 0 {
			return res, nil
		}
		after = vids[len(vids)-1]
		res.Scanned += int64(len(vids))
		var gone []string
		var goneData [][]byte
		for i, data := range datas {
			ok, err := expired(data)
			if err != nil {
				return res, fmt.Errorf("history of visitor %q: %w", vids[i], err)
			}
			if ok {
				gone = append(gone, vids[i])
				goneData = append(goneData, data)
				res.Bytes += int64(len(data))
			}
		}
		res.Matched += int64(len(gone))
		if !apply || len(gone) == 0 {
			continue
		}
		tag, err := s.pool.Exec(ctx, "DELETE FROM "+s.t.histories+" h USING unnest($1::text[], $2::bytea[]) AS d(vid, data) "+
			"WHERE h.vid = d.vid AND h.data = d.data", gone, goneData)
		if err != nil {
			return res, fmt.Errorf("remove %d histories: %w", len(gone), err)
		}
		res.Removed += tag.RowsAffected()
	}
}

// historyPage returns the next pruneBatch histories with a vid above after.
func (s *Store) historyPage(ctx context.Context, after string) ([]string, [][]byte, error) {
	rows, err := s.pool.Query(ctx, "SELECT vid, data FROM "+s.t.histories+" WHERE vid > $1 ORDER BY vid LIMIT $2", after, pruneBatch)
	if err != nil {
		return nil, nil, fmt.Errorf("read histories after %q: %w", after, err)
	}
	var vids []string
	var datas [][]byte
	for rows.Next() {
		var vid string
		var data []byte
		if err := rows.Scan(&vid, &data); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read histories: %w", err)
		}
		vids = append(vids, vid)
		datas = append(datas, data)
	}
	return vids, datas, rows.Err()
}
