package ledger_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedApplyTwiceReplays runs the ledger with its planted bug as a
// user would and checks that the replay line it prints replays the same
// execution.
func TestPlantedApplyTwiceReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/ledger", "TestLedger", "-planted")
	assert.Contains(t, out, `"a deposit is applied at most once" failed`)
}
