package etcdraft

import (
	"os"
	"path/filepath"
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
		var es []raftpb.Entry
		for i := from; i <= to; i++ {
			es = append(es, raftpb.Entry{Term: 1, Index: i, Data: []byte("some data of the entry")})
		}
		w.encode(raftpb.HardState{Term: 1, Vote: 1, Commit: to}, es)
		data = append(data, w.buf...)
	}
	batch(1, 3)
	second = len(data)
	batch(4, 10)
	return data, second
}

func open(t *testing.T, a, b []byte) recovered {
	t.Helper()
	dir := t.TempDir()
	//simvet:allow osnet a unit test of the log's recovery, outside any simulation, writes the two copies it reads
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wal-a"), a, 0o666))
	//simvet:allow osnet as above
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wal-b"), b, 0o666))
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
		r := open(t, data[:cut], data[:second])
		require.NotEmpty(t, r.entries)
		last := r.entries[len(r.entries)-1].Index
		assert.LessOrEqual(t, r.hs.Commit, last, "the log cut at byte %d of %d", cut, len(data))
	}
}

func TestARecordLostInOneCopyIsReadFromTheOther(t *testing.T) {
	data, _ := stream()
	a, b := append([]byte(nil), data...), append([]byte(nil), data...)
	a[100] ^= 0x10 // corrupted in one copy
	b[400] ^= 0x10 // and in the other, further on
	r := open(t, a, b)
	require.Len(t, r.entries, 10, "every entry, from one copy or the other")
	assert.Equal(t, uint64(10), r.hs.Commit)
	assert.Equal(t, 2, r.repaired)
}
