package raftkv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedBugIsFoundAndReplays runs the nodes with their planted bug,
// stale reads, as a user would, within the default seed count, and checks
// that the replay line the failure prints replays the same execution.
func TestPlantedBugIsFoundAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/raftkv", "TestRaftKV", "-planted")
	assert.Contains(t, out, "is not linearizable", "the check names the key whose history breaks")
}

// TestUnsyncedSnapshotDirectoryIsFoundAndReplays runs the fixed nodes on
// disks that lose the directory entries never synced, and checks that
// hashicorp/raft's unsynced snapshot directory is found and replays.
func TestUnsyncedSnapshotDirectoryIsFoundAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/raftkv", "TestRaftKV", "-lose-unsynced-dirs")
	assert.Contains(t, out, "meta.json: No such file or directory", "the snapshot's metadata is gone")
	assert.Contains(t, out, "panic: log not found", "the node finds neither snapshot nor log to start from")
}
