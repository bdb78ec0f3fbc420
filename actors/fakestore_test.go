package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/manhattan-analytics/manhattan/messages"
)

// memStore is an in-memory Store that keeps the Store contract, as the PostgreSQL store
// does (the contract test runs on both): an epoch is applied whole, only when its number
// is above the stored one. It serves partition 0 only.
type memStore struct {
	mu        sync.Mutex
	pointer   messages.Pointer // of DefaultSource, the source of the tests' pipelines
	epoch     int64
	others    map[string]pointerRow // the other sources
	histories map[string][]byte
	totals    *messages.Deltas
	dead      []messages.DeadLetter
	commits   int
	rewrites  int // histories written that were stored already
	loads     int // calls of LoadHistories

	// failCommit, when set, is asked before every commit; an error fails the commit
	// before anything is applied.
	failCommit func(e *messages.Epoch) error
	failLoad   func() error
	// loseReply, when set, is asked after every commit applied: an error is returned
	// although the commit landed (an unknown outcome, like a connection lost in COMMIT).
	loseReply func(e *messages.Epoch) error
	// failPointer, when set, fails LoadPointers while it returns an error.
	failPointer func() error
}

type pointerRow struct {
	pointer messages.Pointer
	epoch   int64
}

func newMemStore() *memStore {
	return &memStore{histories: map[string][]byte{}, totals: messages.NewDeltas(), others: map[string]pointerRow{}}
}

// LoadPointers serves the one partition 0 of the file log.
func (m *memStore) LoadPointers(_ context.Context, source string, partitions []int) ([]messages.Pointer, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPointer != nil {
		if err := m.failPointer(); err != nil {
			return nil, 0, err
		}
	}
	if len(partitions) != 1 || partitions[0] != 0 {
		return nil, 0, errors.New("memStore: only partition 0")
	}
	if source != DefaultSource {
		row := m.others[source]
		return []messages.Pointer{row.pointer}, row.epoch, nil
	}
	return []messages.Pointer{m.pointer}, m.epoch, nil
}

func (m *memStore) LoadHistories(_ context.Context, vids []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failLoad != nil {
		if err := m.failLoad(); err != nil {
			return nil, err
		}
	}
	m.loads++
	out := map[string][]byte{}
	for _, v := range vids {
		if b, ok := m.histories[v]; ok {
			out[v] = append([]byte(nil), b...)
		}
	}
	return out, nil
}

func (m *memStore) HasHistories(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failLoad != nil {
		if err := m.failLoad(); err != nil {
			return false, err
		}
	}
	return len(m.histories) > 0, nil
}

func (m *memStore) CommitEpoch(_ context.Context, e *messages.Epoch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failCommit != nil {
		if err := m.failCommit(e); err != nil {
			return err
		}
	}
	committed := m.epoch
	if e.Source != DefaultSource {
		committed = m.others[e.Source].epoch
	}
	if e.Number <= committed {
		return fmt.Errorf("%w: epoch %d is not above the committed epoch %d", messages.ErrStaleEpoch, e.Number, committed)
	}
	if len(e.Advances) != 1 || e.Advances[0].Pointer.Partition != 0 {
		return errors.New("memStore: an epoch advances partition 0 only")
	}
	for _, h := range e.Histories {
		if _, ok := m.histories[h.VID]; ok && h.New {
			return fmt.Errorf("history of visitor %q marked new is stored already", h.VID)
		}
	}
	m.totals.Merge(e.Deltas)
	for _, h := range e.Histories {
		if _, ok := m.histories[h.VID]; ok {
			m.rewrites++
		}
		m.histories[h.VID] = append([]byte(nil), h.Data...)
	}
	m.dead = append(m.dead, e.DeadLetters...)
	if e.Source != DefaultSource {
		m.others[e.Source] = pointerRow{e.Advances[0].Pointer, e.Number}
	} else {
		m.pointer, m.epoch = e.Advances[0].Pointer, e.Number
	}
	m.commits++
	if m.loseReply != nil {
		return m.loseReply(e)
	}
	return nil
}
