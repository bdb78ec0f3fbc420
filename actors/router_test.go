package actors

import (
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShardOfIsFNV1a(t *testing.T) {
	for _, vid := range []string{"", "a", "visitor-42", "\u00e9t\u00e9", "0123456789abcdef0123456789abcdef"} {
		h := fnv.New64a()
		_, _ = h.Write([]byte(vid))
		for _, n := range []int{1, 2, 7, 64} {
			assert.Equal(t, int(h.Sum64()%uint64(n)), ShardOf(vid, n), "vid %q n %d", vid, n)
		}
	}
}

func BenchmarkShardOf(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ShardOf("2f9c4e1a8b7d6c5e", 4)
	}
}
