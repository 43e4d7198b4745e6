package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/simtest"
)

// The run-time reports of an escape name the simvet rules that find its
// cause before a test runs.
func TestEscapeReportsNameSimvetRules(t *testing.T) {
	t.Run("watchdog", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		r := runIn("TestEscape", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				h := s.Go("waiter", func(ctx context.Context) error {
					<-release // a raw channel
					return nil
				})
				_ = h.Join(s.Context())
			}, simtest.Seeds(1), simtest.Watchdog(300*time.Millisecond))
		})
		assert.True(t, r.failed)
		assert.Contains(t, r.output(), "simvet's chan, sync, wallclock and osnet rules find this before running")
	})
	t.Run("divergence", func(t *testing.T) {
		calls := 0
		r := runIn("TestNondeterministic", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				calls++ // a package-level counter would do the same
				for range calls % 2 {
					s.Providers().Random.Uint64()
				}
				s.Sleep(time.Second)
			}, simtest.Seeds(1), simtest.CheckDeterminism())
		})
		assert.True(t, r.failed)
		assert.Contains(t, r.output(), "simvet's maporder, goroutine, wallclock, globalrand, osnet and globalstate rules find these before running")
	})
	t.Run("stray goroutine", func(t *testing.T) {
		var kept *simtest.S
		r := runIn("TestLate", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
			kept.Errorf("through a kept S")
		})
		assert.True(t, r.failed)
		assert.Contains(t, r.output(), "simvet's goroutine rule finds raw goroutines before running")
	})
}
