package orders_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/examples/internal/replaytest"
)

// TestPlantedRaceReplays runs the racy service as a user would and checks
// that the replay line it prints replays the same execution.
func TestPlantedRaceReplays(t *testing.T) {
	out := replaytest.Found(t, "./examples/orders", "TestOrders", "-planted")
	assert.Contains(t, out, `"each order is taken from the stock once" failed`)
}
