package etcdraft

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/moonpool-go/moonpool/providers"
)

// stream returns the bytes save writes for two batches: entries 1-3 with
// commit 3, then entries 4-10 with commit 10, and where the second begins.
func stream() (data []byte, second int) {
	w := &wal{}
	batch := func(from, to uint64) {
		w.encode(raftpb.HardState{Term: 1, Vote: 1, Commit: to}, entries(from, to))
		data = append(data, w.buf...)
	}
	batch(1, 3)
	second = len(data)
	batch(4, 10)
	return data, second
}

// open writes the copies of the log and reads it.
func open(t *testing.T, data [len(copies)][]byte) recovered {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, data)
	return reopen(t, dir)
}

// write writes the copies of the log in dir.
func write(t *testing.T, dir string, data [len(copies)][]byte) {
	t.Helper()
	for i, name := range copies {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data[i], 0o666))
	}
}

// reopen reads the log in dir, as a boot does.
func reopen(t *testing.T, dir string) recovered {
	t.Helper()
	st, err := providers.OpenOSStorage(dir)
	require.NoError(t, err)
	defer st.Close()
	w, r, err := openWAL(st)
	require.NoError(t, err)
	for _, f := range w.files {
		f.Close()
	}
	return r
}

func TestACutBatchNeverCommitsPastTheLog(t *testing.T) {
	data, second := stream()
	for cut := second; cut <= len(data); cut += 16 { // records are 40-50 bytes
		r := open(t, [...][]byte{data[:cut], data[:second], data[:second]})
		require.NotEmpty(t, r.entries)
		last := r.entries[len(r.entries)-1].Index
		assert.LessOrEqual(t, r.hs.Commit, last, "the log cut at byte %d of %d", cut, len(data))
	}
}

// damaged returns copies of data, each with a bit flipped at the
// offsets given for it.
func damaged(data []byte, offsets ...[]int) (out [len(copies)][]byte) {
	for i := range out {
		out[i] = append([]byte(nil), data...)
		if i < len(offsets) {
			for _, off := range offsets[i] {
				out[i][off] ^= 0x10
			}
		}
	}
	return out
}

func TestARecordLostInSomeCopiesIsReadFromAnother(t *testing.T) {
	data, _ := stream()
	for _, tc := range []struct {
		name    string
		offsets [][]int
		lost    int // records some copy had bad
	}{
		{"one copy, then another further on", [][]int{{100}, {400}}, 2},
		{"two copies, in the same record", [][]int{{100}, {101}}, 1},
		{"every copy, each in another record", [][]int{{100}, {250}, {400}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := open(t, damaged(data, tc.offsets...))
			require.Len(t, r.entries, 10, "every entry, from one copy or another")
			assert.Equal(t, uint64(10), r.hs.Commit)
			assert.Equal(t, tc.lost, r.repaired)
		})
	}
}

// TestARecordLostInEveryCopyEndsTheLog shows what the copies cannot
// tell: the same record damaged in all of them reads as a torn tail.
func TestARecordLostInEveryCopyEndsTheLog(t *testing.T) {
	data, second := stream()
	r := open(t, damaged(data, []int{second + 20}, []int{second + 21}, []int{second + 22}))
	require.Len(t, r.entries, 3, "the first batch, and nothing from the record lost in every copy on")
	assert.Equal(t, uint64(3), r.hs.Commit)
}

// TestARecordInOneCopyIsWrittenBackToTheOthers: a crash left the second
// batch in one copy alone (the others torn before it), and a boot read it
// from there. A later fault in that copy, at that record, must not end the
// log: the boot wrote the record back to the copies that lacked it.
func TestARecordInOneCopyIsWrittenBackToTheOthers(t *testing.T) {
	data, second := stream()
	dir := t.TempDir()
	write(t, dir, [...][]byte{data, data[:second], data[:second]})
	r := reopen(t, dir)
	require.Len(t, r.entries, 10, "the second batch, from the one copy that has it")

	a, err := os.ReadFile(filepath.Join(dir, copies[0]))
	require.NoError(t, err)
	a[second+20] ^= 0x10
	require.NoError(t, os.WriteFile(filepath.Join(dir, copies[0]), a, 0o666))
	r = reopen(t, dir)
	require.Len(t, r.entries, 10, "the second batch, from the copies it was written back to")
	assert.Equal(t, uint64(10), r.hs.Commit)
}

// lostFile is a copy whose disk fails its next fails syncs. What was
// written since its last good sync is then lost, as a crash would lose
// it from the simulated disk: the data a failed sync leaves readable is
// never durable.
type lostFile struct {
	providers.File
	fails   int
	written [][2]int64 // the spans written since the last sync
}

func (f *lostFile) WriteAt(p []byte, off int64) (int, error) {
	f.written = append(f.written, [2]int64{off, int64(len(p))})
	return f.File.WriteAt(p, off)
}

func (f *lostFile) Sync() error {
	defer func() { f.written = nil }()
	if f.fails == 0 {
		return f.File.Sync()
	}
	f.fails--
	for _, w := range f.written {
		if _, err := f.File.WriteAt(make([]byte, w[1]), w[0]); err != nil {
			return err
		}
	}
	return syscall.EIO
}

// entries returns entries from to to, of term 1.
func entries(from, to uint64) []raftpb.Entry {
	var es []raftpb.Entry
	for i := from; i <= to; i++ {
		es = append(es, raftpb.Entry{Term: 1, Index: i, Data: []byte("some data of the entry")})
	}
	return es
}

// A failed sync of one copy is answered by writing the batch to it again
// and syncing once more. A copy that fails twice leaves the batch in the
// other two: the node writes on, and the next boot reads the batch from
// them and writes it back to the copy that lost it. Two copies that fail
// twice are a restart.
func TestAFailedSyncOfOneCopyIsTakenInStride(t *testing.T) {
	dir := t.TempDir()
	st, err := providers.OpenOSStorage(dir)
	require.NoError(t, err)
	defer st.Close()
	w, _, err := openWAL(st)
	require.NoError(t, err)
	w.files[1] = &lostFile{File: w.files[1], fails: 1}
	require.NoError(t, w.save(raftpb.HardState{Term: 1, Commit: 3}, entries(1, 3)))
	assert.Equal(t, 1, w.retried, "written again after its failed sync")
	w.files[2] = &lostFile{File: w.files[2], fails: 2}
	require.NoError(t, w.save(raftpb.HardState{Term: 1, Commit: 10}, entries(4, 10)), "two copies hold the batch")
	assert.Equal(t, 2, w.retried)
	for _, f := range w.files {
		require.NoError(t, f.Close())
	}
	r := reopen(t, dir)
	require.Len(t, r.entries, 10)
	assert.Equal(t, 8, r.repaired, "the second batch's seven entries and hard state, written back to the copy that lost them; the first, synced again, needs none")

	var data [len(copies)][]byte
	for i, name := range copies {
		data[i], err = os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
	}
	assert.Zero(t, open(t, data).repaired, "every copy holds every record again")

	w, _, err = openWAL(st)
	require.NoError(t, err)
	w.files[0] = &lostFile{File: w.files[0], fails: 2}
	w.files[2] = &lostFile{File: w.files[2], fails: 2}
	err = w.save(raftpb.HardState{Term: 1, Commit: 11}, entries(11, 11))
	require.ErrorIs(t, err, syscall.EIO)
	assert.ErrorContains(t, err, "wal: sync wal-a: input/output error, and 1 of the log's other copies failed too")
}
