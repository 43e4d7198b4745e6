package testingt

import (
	"context"
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

func noError(t testing.TB, err error) {}

func needsT(t *testing.T) {}

func TestBody(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		t.Cleanup(func() {})   // want `t.Cleanup in a simulation body registers on the test, so the function runs once, after every seed, on worlds that have ended; use s.Cleanup, the seed's`
		dir := t.TempDir()     // want `t.TempDir in a simulation body is the test's, one directory every seed shares; use s.TempDir`
		t.Errorf("in %s", dir) // want `t.Errorf in a simulation body reports to the test, not the seed`
		noError(t, nil)        // want `t, the test's, given to noError in a simulation body reports to the test, not the seed.*; pass s, the seed's`
		needsT(t)              // want `have it take a testing.TB and pass the body's \*simtest.S`
		t.Run("sub", nil)      // want `t.Run in a simulation body starts a subtest, which a seed cannot hold; run the simulation inside the subtest instead`
		_ = t.Name()           // the same as the S's: not reported
		s.Go("task", func(ctx context.Context) error {
			t.Fatal("from a task") // want `t.Fatal in a simulation body reports to the test`
			return nil
		})
		other := t // want `t, the test's \*testing.T, used in a simulation body is the whole test's, not the seed's`
		_ = other
	})
}

func TestShadowed(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		func(s int) {
			t.Log(s) // want `t.Log in a simulation body logs to the test, not the seed's log`
		}(1)
	})
}

func TestUnnamed(t *testing.T) {
	simtest.Run(t, func(*simtest.S) {
		t.Log("x") // want `use the Log of the body's \*simtest.S, the seed's`
	})
}

func BenchmarkBody(b *testing.B) {
	simtest.Run(b, func(s *simtest.S) {
		b.ResetTimer() // want `b.ResetTimer in a simulation body is the whole test.s, not the seed.s; do it before the Run, outside the body`
	})
}

// A helper given a testing.TB may be given an S: not reported.
func helper(tb testing.TB) {
	simtest.Run(tb, func(s *simtest.S) {
		tb.Cleanup(func() {})
	})
}
