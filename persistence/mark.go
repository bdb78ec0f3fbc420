package persistence

import "context"

// CommitMark returns a token of the committed state that queries read, in one small
// statement: it changes whenever an epoch of any source and partition commits (the
// partition's epoch number grows), when a test's configuration is stored or changed,
// and when the schema is reset (the pointer rows go). Equal marks mean that every query
// answer is unchanged; a query cache compares them to know when to drop its answers.
func (s *Store) CommitMark(ctx context.Context) (string, error) {
	var mark string
	err := s.pool.QueryRow(ctx, "SELECT "+
		"(SELECT coalesce(string_agg(source || '/' || partition || '@' || epoch, ' ' ORDER BY source, partition), '') FROM "+s.t.pointers+")"+
		" || ' | ' || (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM "+s.t.testConfigs+")").Scan(&mark)
	return mark, err
}
