package lease_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestUnfencedStoreFailsAndReplays runs the test with the store that does
// not fence, as a user would, checks that a pause broke it, and that the
// replay line it printed replays the same execution.
func TestUnfencedStoreFailsAndReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/lease", "TestLease", "-planted")
	assert.Contains(t, out, "pause: client-", "the story names the pause")
	assert.Contains(t, out, "a paused holder wrote after its lease ran out")
}
