package visitor

// denseCols bounds the columns a pairIndex keeps in its rows; larger ones go to its map.
const denseCols = 256

// pairIndex gives the positions of counters keyed by a pair of small numbers (row, col):
// a slot and a goal, a conversion counter's position and a variant, a slot and a variant.
// Rows are slices indexed by col, grown as needed, so that finding a counter is two
// index operations instead of hashing; a col from denseCols on (a workload with that many
// goals or variants) is kept in a map instead. The rows outlive reset, which clears only
// the entries used.
type pairIndex struct {
	rows [][]int32 // rows[row][col]: the position plus one; 0 for none
	wide map[uint64]int32
}

// position returns the position of (row, col), and whether it is new: then it is next,
// the position the caller appends the counter at.
func (x *pairIndex) position(row, col uint32, next int) (int32, bool) {
	if col >= denseCols {
		k := uint64(row)<<32 | uint64(col)
		if i, ok := x.wide[k]; ok {
			return i, false
		}
		if x.wide == nil {
			x.wide = map[uint64]int32{}
		}
		x.wide[k] = int32(next)
		return int32(next), true
	}
	if int(row) >= len(x.rows) {
		x.rows = append(x.rows, make([][]int32, int(row)+1-len(x.rows))...)
	}
	r := x.rows[row]
	if int(col) >= len(r) {
		r = append(r, make([]int32, int(col)+1-len(r))...)
		x.rows[row] = r
	}
	if p := r[col]; p != 0 {
		return p - 1, false
	}
	r[col] = int32(next) + 1
	return int32(next), true
}

// forget removes (row, col), which position returned.
func (x *pairIndex) forget(row, col uint32) {
	if col >= denseCols {
		delete(x.wide, uint64(row)<<32|uint64(col))
		return
	}
	x.rows[row][col] = 0
}
