package stream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/manhattan-analytics/manhattan/eventlog"
	"github.com/manhattan-analytics/manhattan/messages"
)

// DumpStats says what Dump wrote.
type DumpStats struct {
	Messages, Lines int64
	Files           int
	LastSeq         uint64
}

// Dump writes every line of the stream, in stream-sequence order and within a message in
// body order, as the hourly log base: a line goes to the file of its timestamp's hour,
// unless a later file was started already (a line of an older hour after a newer one),
// in which case it stays in the current file, so that the files in order hold the lines in
// stream order. Lines whose timestamp does not parse stay in the current file too. The
// files must not exist yet. Dump reads up to the stream's last sequence when it starts.
func Dump(ctx context.Context, js jetstream.JetStream, info Info, base string) (DumpStats, error) {
	var st DumpStats
	s, err := js.Stream(ctx, info.Name)
	if err != nil {
		return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
	}
	si, err := s.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
	}
	st.LastSeq = si.State.LastSeq
	if si.State.Msgs == 0 {
		return st, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
	}
	defer it.Stop()
	w := &hourlyWriter{base: base, hour: -1}
	defer w.close()
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		m, err := it.Next()
		if err != nil {
			return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return st, fmt.Errorf("stream: dump %s: %w", info.Name, err)
		}
		body := m.Data()
		for off := 0; ; {
			line, next, _, ok := NextLine(body, off)
			if !ok {
				break
			}
			off = next
			if err := w.write(line); err != nil {
				return st, err
			}
			st.Lines++
		}
		st.Messages++
		if md.Sequence.Stream >= st.LastSeq {
			break
		}
	}
	st.Files = w.files
	return st, w.close()
}

// hourlyWriter writes lines into the hour files of base, never going back to an older file.
type hourlyWriter struct {
	base  string
	hour  int64
	f     *os.File
	bw    *bufio.Writer
	files int
}

func (w *hourlyWriter) write(line []byte) error {
	h := w.hour
	if rec, err := messages.ParseLine(line); err == nil {
		h = max(h, rec.Timestamp-rec.Timestamp%3600)
	}
	if h < 0 {
		h = 0
	}
	if w.f == nil || h != w.hour {
		if err := w.close(); err != nil {
			return err
		}
		f, err := os.OpenFile(eventlog.Path(w.base, h), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("stream: dump: %w", err)
		}
		w.f, w.bw, w.hour = f, bufio.NewWriterSize(f, 1<<20), h
		w.files++
	}
	if _, err := w.bw.Write(line); err != nil {
		return fmt.Errorf("stream: dump: %w", err)
	}
	return w.bw.WriteByte('\n')
}

func (w *hourlyWriter) close() error {
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	err := w.bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("stream: dump: %w", err)
	}
	return nil
}
