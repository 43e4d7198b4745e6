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
