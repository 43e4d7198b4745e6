package etcdraft

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A crash of a disk that loses the changes of directories not synced
// undoes the creates of the log's copies unless the boot synced their
// directory: the records synced into them would go with the files.
func TestTheLogKeepsItsFilesWhenCrashesLoseDirectoryChanges(t *testing.T) {
	lossy := chaos.NoStorageFaults()
	lossy.LoseUnsyncedDirectories = true
	simtest.Run(t, func(s *simtest.S) {
		disk := s.Disk("raft-0")
		w, _, err := openWAL(disk.Storage())
		require.NoError(s, err)
		require.NoError(s, w.save(raftpb.HardState{Term: 1, Commit: 3}, entries(1, 3)))
		disk.Crash()
		_, r, err := openWAL(disk.Storage())
		require.NoError(s, err)
		require.Len(s, r.entries, 3, "the entries synced before the crash")
		require.Equal(s, uint64(3), r.hs.Commit)
	}, simtest.Storage(lossy), simtest.Seeds(20))
}
