package messages

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// benchLines is a realistic mix of the four kinds (about the proportions of the generated
// fixture: 40 % page, 30 % pixel, 25 % split, 5 % goal), a quarter of the pages escaped
// (the generated fixture has escapes in about a tenth of its page lines).
func benchLines() [][]byte {
	var lines [][]byte
	add := func(n int, line string) {
		for range n {
			lines = append(lines, []byte(line))
		}
	}
	add(6, "1\tpage\t1362701654.2868\t91cb3af869e1203537c131e3e148e9cb01b700bf\t2\t173.230.114.10\tGET\t"+
		"http://www.fruitstand.example/search?q=dark+chocolate\t"+
		"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.22 (KHTML, like Gecko) Chrome/25.0.1364.152 Safari/537.22\t"+
		"http://www.fruitstand.example/potatoes") // page without escapes
	add(1, fixtureLines[8].line) // page, one escape
	add(1, fixtureLines[9].line) // page, several escapes
	add(6, "1\tpixel\t1362701004.7751\t6e1e4b8579da1faacd0ad15c08abfcfa49733971\t3")
	add(5, fixtureLines[7].line) // split
	add(1, fixtureLines[6].line) // goal with value
	return lines
}

// cpuTime returns the CPU time (user and system) the process has used. Benchmarks report
// lines per CPU second besides lines per second, as the machine may be shared.
func cpuTime(b *testing.B) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRates(b *testing.B, lines float64, cpuStart time.Duration) {
	b.ReportMetric(lines/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(lines/(cpuTime(b)-cpuStart).Seconds(), "lines/cpu-s")
}

func BenchmarkParseLine(b *testing.B) {
	lines := benchLines()
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		if _, err := ParseLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, float64(b.N), cpu)
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
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		buf = AppendLine(buf[:0], &records[i%len(records)])
	}
	reportRates(b, float64(b.N), cpu)
}
