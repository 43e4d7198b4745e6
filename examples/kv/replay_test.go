package kv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedBugIsFoundAndReplays runs the replicas with their planted bug
// as a user would, within the default seed count, and checks that the
// replay line the failure prints replays the same execution.
func TestPlantedBugIsFoundAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/kv", "TestKV", "-planted")
	assert.Contains(t, out, "is not linearizable", "the check names the key whose history breaks")
}
