package testingt

import (
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestInATestFile(t *testing.T) {
	t.Cleanup(func() {}) // on the test goroutine: not reported
	simtest.Run(t, func(s *simtest.S) {
		t.Cleanup(func() {}) // want `t.Cleanup in a simulation body registers on the test`
	})
}
