package testingt

import (
	"testing"
	"testing/synctest"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestInATestFile(t *testing.T) {
	t.Cleanup(func() {}) // on the test goroutine: not reported
	simtest.Run(t, func(s *simtest.S) {
		t.Cleanup(func() {}) // want `t.Cleanup in a simulation body registers on the test`
	})
}

func TestABubbleInABody(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		synctest.Test(t, func(t *testing.T) {}) // want `t, the test's, given to synctest.Test in a simulation body opens a synctest bubble inside the simulation, whose fake clock and goroutines the simulation does not run; run synctest.Test outside simtest.Run, or call the code from the body`
	})
}
