package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// janitor is a library's goroutine that a use starts and nothing stops:
// it ticks on the wall clock until stop closes.
func janitor(stop <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// A goroutine a seed's task started that runs on after the Run is counted
// in the report, with where it was started: such goroutines pile up seed
// after seed, outside the simulation. One that ends with its seed is not,
// nor the goroutine of a task that never took a step.
func TestTheReportCountsGoroutinesLeftRunning(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	res := simtest.Simulate(func(s *simtest.S) {
		go janitor(stop)
	}, simtest.Seeds(3))
	require.True(t, res.OK(), res.Report)
	assert.Regexp(t, `\n    3 goroutines that the seeds' tasks started with go statements still run after the Run, outside the simulation, and pile up seed after seed: .* one was started as \S+janitor\b`, res.Report)

	clean := simtest.Simulate(func(s *simtest.S) {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
		for range 3 {
			s.Go("never runs", func(context.Context) error { return nil })
		}
	}, simtest.Seeds(3))
	assert.NotContains(t, clean.Report, "still run after the Run")
}
