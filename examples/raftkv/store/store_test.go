package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestStoreKeepsLogsAndKeysAcrossOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	assert.Equal(t, [2]uint64{0, 0}, [2]uint64{first, last}, "an empty store has no entries")
	_, err = s.Get([]byte("vote"))
	assert.EqualError(t, err, "not found", "raft tells a missing key by this text")
	n, err := s.GetUint64([]byte("term"))
	require.NoError(t, err)
	assert.Zero(t, n)

	at := time.Unix(1700000000, 5)
	require.NoError(t, s.StoreLogs([]*raft.Log{
		{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: []byte("conf")},
		{Index: 2, Term: 1, Type: raft.LogCommand, Data: []byte("a"), Extensions: []byte("x"), AppendedAt: at},
	}))
	require.NoError(t, s.StoreLog(&raft.Log{Index: 3, Term: 2, Type: raft.LogNoop}))
	require.NoError(t, s.SetUint64([]byte("term"), 2))
	require.NoError(t, s.Set([]byte("vote"), []byte("n1")))
	want := dump(s)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.StoreLog(&raft.Log{Index: 4, Term: 2}), ErrClosed)

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	assert.Empty(t, cmp.Diff(want, dump(s)), "reopened")
	var l raft.Log
	require.NoError(t, s.GetLog(2, &l))
	assert.Equal(t, raft.Log{Index: 2, Term: 1, Type: raft.LogCommand, Data: []byte("a"), Extensions: []byte("x"), AppendedAt: at}, l)
	assert.ErrorIs(t, s.GetLog(4, &l), raft.ErrLogNotFound)
	n, err = s.GetUint64([]byte("term"))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)
}

func TestDeleteRangeMovesTheEnds(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	defer s.Close()
	for i := uint64(1); i <= 10; i++ {
		require.NoError(t, s.StoreLog(&raft.Log{Index: i, Term: 1}))
	}
	ends := func() [2]uint64 {
		f, _ := s.FirstIndex()
		l, _ := s.LastIndex()
		return [2]uint64{f, l}
	}
	require.NoError(t, s.DeleteRange(1, 4)) // compaction after a snapshot
	assert.Equal(t, [2]uint64{5, 10}, ends())
	require.NoError(t, s.DeleteRange(8, 10)) // a conflicting suffix
	assert.Equal(t, [2]uint64{5, 7}, ends())
	require.NoError(t, s.DeleteRange(0, 100)) // a snapshot installed
	assert.Equal(t, [2]uint64{0, 0}, ends())
	require.NoError(t, s.StoreLog(&raft.Log{Index: 42, Term: 3}))
	assert.Equal(t, [2]uint64{42, 42}, ends())
}

func TestOpenRemovesAnInterruptedRewrite(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.StoreLog(&raft.Log{Index: 1, Term: 1}))
	want := dump(s)
	require.NoError(t, s.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, tempName), []byte("half a rewrite"), 0o644))

	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	assert.Empty(t, cmp.Diff(want, dump(s)))
	assert.NoFileExists(t, filepath.Join(dir, tempName))
}

// TestTornTailIsCut appends changes, then cuts the file at any byte, as a
// crash may leave it when a record was being written, and leaves garbage
// or zeros after the cut, as sectors written out of order do. Open must
// keep exactly the changes whose records lie whole before the cut, and
// the cut must hold: what is appended next survives a second Open.
func TestTornTailIsCut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp("", "store")
		require.NoError(t, err)
		defer os.RemoveAll(dir)
		s, err := Open(dir)
		require.NoError(t, err)
		s.slack = 1 << 40 // no rewrites: the file is the records in order
		path := filepath.Join(dir, fileName)

		m := newModel()
		states := []state{m.state()} // after each change
		ends := []int64{s.size}      // the file's size after each change
		for range rapid.IntRange(1, 20).Draw(t, "changes") {
			step(t, s, m)
			states = append(states, m.state())
			ends = append(ends, s.size)
		}
		require.NoError(t, s.Close())

		// The crash tore the file at cut, the first byte that differs from
		// what was written: the bytes from there on are garbage, or lost
		// bytes (here each made to differ from what was written) and then
		// perhaps later records that made it to the disk though they were
		// never synced.
		size := ends[len(ends)-1]
		cut := rapid.Int64Range(0, size).Draw(t, "cut")
		orig, err := os.ReadFile(path)
		require.NoError(t, err)
		torn := append([]byte(nil), orig[:cut]...)
		if rapid.Bool().Draw(t, "garbage") {
			garbage := rapid.SliceOfN(rapid.Byte(), 0, 600).Draw(t, "garbage after the cut")
			if len(garbage) > 0 && cut < size && garbage[0] == orig[cut] {
				// Garbage that starts with the byte written there does not
				// tear the file at cut: it may make the record whole.
				garbage[0] = ^orig[cut]
			}
			torn = append(torn, garbage...)
		} else if cut < size {
			lost := rapid.Int64Range(1, size-cut).Draw(t, "lost bytes")
			for _, b := range orig[cut : cut+lost] {
				torn = append(torn, ^b)
			}
			torn = append(torn, orig[cut+lost:]...)
		}
		require.NoError(t, os.WriteFile(path, torn, 0o644))

		kept := 0
		for i, end := range ends {
			if end <= cut {
				kept = i
			}
		}
		s, err = Open(dir)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(states[kept], dump(s)), "the changes before the cut, and none after")
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, ends[kept], fi.Size(), "the torn end is cut off the file")

		next := s.last + 1
		require.NoError(t, s.StoreLog(&raft.Log{Index: next, Term: 9}))
		want := dump(s)
		require.NoError(t, s.Close())
		s, err = Open(dir)
		require.NoError(t, err)
		defer s.Close()
		require.Empty(t, cmp.Diff(want, dump(s)), "an append after the cut survives")
	})
}

// TestGarbageThatRestoresTheTornByteKeepsTheRecord is a case
// TestTornTailIsCut once drew: cut at byte 107, one byte short of the end
// of the second record, whose last byte (entry 7's empty extensions) is
// 0x00, with the garbage 0x00 after the cut. That file holds the second
// record whole, and Open keeps it; a garbage byte that differs tears it.
func TestGarbageThatRestoresTheTornByteKeepsTheRecord(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	s.slack = 1 << 40
	states, ends := []state{dump(s)}, []int64{s.size}
	for _, change := range []func() error{
		func() error {
			return s.StoreLogs([]*raft.Log{
				{Index: 1, Term: 1, Data: make([]byte, 8), AppendedAt: time.Unix(0, 8192)},
				{Index: 2, Term: 1, Data: []byte{0}, AppendedAt: time.Unix(0, 64)},
				{Index: 3, Term: 1, Data: make([]byte, 15)},
			})
		},
		func() error {
			return s.StoreLogs([]*raft.Log{
				{Index: 4, Term: 1, Data: []byte{0, 1, 1, 1, 0xad, 0x38, 1, 0xb5, 0x32, 3}, AppendedAt: time.Unix(0, 1005213)},
				{Index: 5, Term: 2, Type: raft.LogAddPeerDeprecated, Data: []byte{0x46, 0x73, 7, 0x45, 0x6e}, AppendedAt: time.Unix(0, 15)},
				{Index: 6, Term: 2, Type: raft.LogAddPeerDeprecated, Data: []byte{0x7d}, AppendedAt: time.Unix(0, 4)},
				{Index: 7, Term: 2, Type: raft.LogAddPeerDeprecated, Data: []byte{3}, AppendedAt: time.Unix(0, 1)},
			})
		},
		func() error { return s.Set([]byte("LastVoteTerm"), nil) },
		func() error { return s.DeleteRange(1, 7) },
		func() error {
			return s.StoreLogs([]*raft.Log{
				{Index: 8, Term: 4, Type: raft.LogConfiguration, AppendedAt: time.Unix(0, 1)},
				{Index: 9, Term: 4, Type: raft.LogAddPeerDeprecated, AppendedAt: time.Unix(0, 1)},
				{Index: 10, Term: 1, Type: raft.LogRemovePeerDeprecated, AppendedAt: time.Unix(0, 2269)},
			})
		},
		func() error {
			return s.StoreLogs([]*raft.Log{
				{Index: 11, Term: 4, Type: raft.LogAddPeerDeprecated, AppendedAt: time.Unix(0, 6)},
				{Index: 12, Term: 2, Type: raft.LogNoop, AppendedAt: time.Unix(0, 5)},
				{Index: 13, Term: 2, Type: raft.LogRemovePeerDeprecated, AppendedAt: time.Unix(0, 1)},
				{Index: 14, Term: 1, Type: raft.LogBarrier, AppendedAt: time.Unix(0, 225)},
			})
		},
	} {
		require.NoError(t, change())
		states, ends = append(states, dump(s)), append(ends, s.size)
	}
	require.NoError(t, s.Close())
	require.Equal(t, []int64{0, 55, 108}, ends[:3])
	path := filepath.Join(dir, fileName)
	orig, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, byte(0), orig[107], "the second record ends in a zero byte")

	for _, c := range []struct {
		garbage byte
		kept    int
	}{{0x00, 2}, {0xff, 1}} {
		torn := append(append([]byte(nil), orig[:107]...), c.garbage)
		require.NoError(t, os.WriteFile(path, torn, 0o644))
		s, err := Open(dir)
		require.NoError(t, err)
		assert.Empty(t, cmp.Diff(states[c.kept], dump(s)), "garbage %#x", c.garbage)
		assert.Equal(t, ends[c.kept], s.size, "garbage %#x", c.garbage)
		require.NoError(t, s.Close())
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, ends[c.kept], fi.Size(), "garbage %#x: the file is cut where the records end", c.garbage)
	}
}

// TestRewritesKeepTheState runs changes with a slack small enough that the
// file is rewritten often, and checks the store against a model, live and
// after every reopen.
func TestRewritesKeepTheState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp("", "store")
		require.NoError(t, err)
		defer os.RemoveAll(dir)
		slack := rapid.Int64Range(0, 2048).Draw(t, "slack")
		s, err := Open(dir)
		require.NoError(t, err)
		s.slack = slack
		m := newModel()
		for range rapid.IntRange(1, 60).Draw(t, "changes") {
			if rapid.IntRange(0, 9).Draw(t, "reopen") == 0 {
				require.NoError(t, s.Close())
				s, err = Open(dir)
				require.NoError(t, err)
				s.slack = slack
			}
			step(t, s, m)
			require.Empty(t, cmp.Diff(m.state(), dump(s)))
		}
		require.NoError(t, s.Close())
		s, err = Open(dir)
		require.NoError(t, err)
		defer s.Close()
		require.Empty(t, cmp.Diff(m.state(), dump(s)))
	})
}

// step makes one change, drawn as raft makes them, to the store and the
// model.
func step(t *rapid.T, s *Store, m *model) {
	switch rapid.IntRange(0, 3).Draw(t, "change") {
	case 0, 1: // append entries
		var logs []*raft.Log
		for range rapid.IntRange(1, 4).Draw(t, "entries") {
			l := &raft.Log{
				Index: m.last + 1, Term: rapid.Uint64Range(1, 5).Draw(t, "term"),
				Type: raft.LogType(rapid.IntRange(0, 6).Draw(t, "type")),
				Data: rapid.SliceOfN(rapid.Byte(), 0, 80).Draw(t, "data"),
			}
			if len(l.Data) == 0 {
				l.Data = nil
			}
			if at := rapid.Int64Range(0, 1<<50).Draw(t, "appended at"); at != 0 {
				l.AppendedAt = time.Unix(0, at)
			}
			m.put(l)
			logs = append(logs, l)
		}
		require.NoError(t, s.StoreLogs(logs))
	case 2: // delete a prefix or a suffix
		if m.first == 0 {
			return
		}
		at := rapid.Uint64Range(m.first, m.last).Draw(t, "at")
		from, to := m.first, at
		if rapid.Bool().Draw(t, "suffix") {
			from, to = at, m.last
		}
		m.deleteRange(from, to)
		require.NoError(t, s.DeleteRange(from, to))
	case 3: // set a key
		k := rapid.SampledFrom([]string{"CurrentTerm", "LastVoteTerm", "LastVoteCand"}).Draw(t, "key")
		v := rapid.SliceOfN(rapid.Byte(), 0, 16).Draw(t, "value")
		if len(v) == 0 {
			v = nil
		}
		m.kv[k] = v
		require.NoError(t, s.Set([]byte(k), v))
	}
}

// state is what a store holds, comparable with cmp.
type state struct {
	First, Last uint64
	Logs        map[uint64]raft.Log
	KV          map[string][]byte
}

func dump(s *Store) state {
	st := state{Logs: map[uint64]raft.Log{}, KV: map[string][]byte{}}
	st.First, _ = s.FirstIndex()
	st.Last, _ = s.LastIndex()
	for i := st.First; i != 0 && i <= st.Last; i++ {
		var l raft.Log
		if s.GetLog(i, &l) == nil {
			st.Logs[i] = l
		}
	}
	for k := range s.kv {
		v, err := s.Get([]byte(k))
		if err == nil {
			st.KV[k] = v
		}
	}
	return st
}

// model is the obvious store: a map of entries and a map of keys.
type model struct {
	first, last uint64
	logs        map[uint64]raft.Log
	kv          map[string][]byte
}

func newModel() *model { return &model{logs: map[uint64]raft.Log{}, kv: map[string][]byte{}} }

func (m *model) put(l *raft.Log) {
	m.logs[l.Index] = *l
	if m.first == 0 {
		m.first = l.Index
	}
	m.last = l.Index
}

func (m *model) deleteRange(from, to uint64) {
	for i := from; i <= to; i++ {
		delete(m.logs, i)
	}
	switch {
	case len(m.logs) == 0:
		m.first, m.last = 0, 0
	case from <= m.first:
		m.first = to + 1
	case to >= m.last:
		m.last = from - 1
	}
}

func (m *model) state() state {
	st := state{First: m.first, Last: m.last, Logs: map[uint64]raft.Log{}, KV: map[string][]byte{}}
	for i, l := range m.logs {
		st.Logs[i] = l
	}
	for k, v := range m.kv {
		st.KV[k] = v
	}
	return st
}

// TestAFailedRewriteIsTriedAgain: when a change could not be made durable,
// not even by rewriting the file, the store is broken, and the next change
// rewrites the whole state first, so that nothing the store holds is left
// only in memory.
func TestAFailedRewriteIsTriedAgain(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.StoreLog(&raft.Log{Index: 1, Term: 1}))
	// As if the append of entry 2 and the rewrites after it had failed:
	// in memory, not on disk.
	s.mu.Lock()
	s.putLog(&raft.Log{Index: 2, Term: 1})
	s.broken = errors.New("sync failed")
	s.mu.Unlock()
	before := s.rewrites

	require.NoError(t, s.SetUint64([]byte("CurrentTerm"), 1))
	assert.Equal(t, before+1, s.rewrites, "the change rewrote the file")
	assert.NoError(t, s.broken)
	want := dump(s)
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	assert.Empty(t, cmp.Diff(want, dump(s)), "entry 2 reached the disk with the rewrite")
}
