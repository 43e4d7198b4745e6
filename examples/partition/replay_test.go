package partition_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestNaiveClientFailsAndReplays runs the test with the naive client, as a
// user would, checks that a partition broke it, and that the replay line it
// printed replays the same execution.
func TestNaiveClientFailsAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/partition", "TestPingUnderPartitions", "-planted")
	assert.Contains(t, out, "net: random partition", "the story names the partition")
	assert.Contains(t, out, "i/o timeout", "the naive client gave up on a timeout")
}
