package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/simtest"
)

// askTheSlowService asks a service outside the simulation, which answers
// after a real sleep of a few hundred milliseconds (a real DNS lookup,
// say), and waits for the answer on a raw channel.
func askTheSlowService(ask chan<- chan struct{}) {
	reply := make(chan struct{})
	ask <- reply
	<-reply
}

// Blocks outside the simulation, each shorter than the watchdog, fail the
// seed once they add up past it, where before the run crawled in silence:
// the report says how many and how long in all, and where.
func TestBlocksOutsideTheSimulationAddUpToTheWatchdog(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ask, done := make(chan chan struct{}), make(chan struct{})
	go func() {
		for {
			select {
			case reply := <-ask:
				time.Sleep(300 * time.Millisecond)
				close(reply)
			case <-done:
				return
			}
		}
	}()
	defer func() {
		close(done)
		goleak.VerifyNone(t, before)
	}()
	res := simtest.Simulate(func(s *simtest.S) {
		h := s.Go("client", func(ctx context.Context) error {
			for range 20 {
				askTheSlowService(ask)
				s.Sleep(time.Second)
			}
			return nil
		})
		_ = h.Join(s.Context())
	}, simtest.Seeds(1), simtest.Watchdog(time.Second), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, `blocked outside the simulation at `)
	assert.Contains(t, res.Report, `in task "client": the seed's tasks have been blocked outside the simulation for `)
	assert.Regexp(t, `of real time in all, in \d+ blocks, each shorter than the watchdog's 1s`, res.Report)
	assert.Contains(t, res.Report, `task "client" waited (chan receive) in github.com/moonpool-go/moonpool/simtest_test.askTheSlowService (blocked_external_test.go:`)
}
