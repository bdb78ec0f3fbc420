package eventlog

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// LineCheck returns the Check of a pointer just past the line raw (without its "\n"): its
// CRC-32C, with 0 mapped to 1 so that 0 keeps meaning "no check known".
func LineCheck(raw []byte) uint32 {
	if c := crc32.Checksum(raw, castagnoli); c != 0 {
		return c
	}
	return 1
}
