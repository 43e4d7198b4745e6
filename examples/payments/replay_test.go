package payments_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedRaceReplays runs the racy processor as a user would and checks
// that the replay line it prints replays the same execution.
func TestPlantedRaceReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/payments", "TestPayments", "-planted")
	assert.Contains(t, out, `"a payment is applied at most once" failed`)
}
