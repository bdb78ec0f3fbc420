package messages

import "testing"

// benchLines is a realistic mix of the four kinds (about the proportions of the generated
// fixture: 42 % page, 29 % pixel, 25 % split, 5 % goal), a fifth of the pages escaped.
func benchLines() [][]byte {
	var lines [][]byte
	add := func(n int, line string) {
		for range n {
			lines = append(lines, []byte(line))
		}
	}
	add(6, fixtureLines[8].line) // page, one escape
	add(2, fixtureLines[9].line) // page, several escapes
	add(6, "1\tpixel\t1362701004.7751\t6e1e4b8579da1faacd0ad15c08abfcfa49733971\t3")
	add(5, fixtureLines[7].line) // split
	add(1, fixtureLines[6].line) // goal with value
	return lines
}

func BenchmarkParseLine(b *testing.B) {
	lines := benchLines()
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkAppendLine(b *testing.B) {
	lines := benchLines()
	records := make([]Record, len(lines))
	for i, l := range lines {
		r, err := ParseLine(l)
		if err != nil {
			b.Fatal(err)
		}
		records[i] = r
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = AppendLine(buf[:0], &records[i%len(records)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
