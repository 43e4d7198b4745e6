package assertctx

import (
	"context"
	"testing"

	"github.com/moonpool-go/moonpool/assertions"
)

func TestLedger(t *testing.T) {
	// On the test goroutine, outside any simulation: not reported.
	assertions.Reachable(context.Background(), "the test's")
	task := func() {
		assertions.Reachable(context.Background(), "a task's") // want `assertions.Reachable finds`
	}
	task()
}
