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

// A goroutine a seed's task started that runs on after the Run fails the
// test, though not its seeds, with where it was started and how to stop
// it: such goroutines pile up seed after seed, outside the simulation. One
// that ends with its seed does not, nor the goroutine of a task that never
// took a step, nor one that AllowWallClock names.
func TestARunFailsOnGoroutinesLeftRunning(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	res := simtest.Simulate(func(s *simtest.S) {
		go janitor(stop)
	}, simtest.Seeds(3))
	require.False(t, res.OK(), res.Report)
	assert.Equal(t, 3, res.Passed, "the seeds pass; the test fails")
	assert.Regexp(t, `(?m)^simtest: no goroutine may outlive a simulation, and the test fails: 3 goroutines that the seeds' tasks started with go statements still run after the Run, outside the simulation, where such goroutines pile up seed after seed: one was started as \S+janitor\b`, res.Report)
	assert.Contains(t, res.Report, `stop each when its seed ends (give it s.Context(), or the context of the task that starts it), or start the work with p.Task.Go; `+
		`a library that starts its own, a cache's janitor or a ticker, runs in a program (docs/production.md), `+
		`or, when the test cannot change it, simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest_test.janitor") lets it run on`)
	assert.Contains(t, res.Report, "3 seeds, 3 passed, 0 failed, but code that keeps the wall clock fails the test;")

	allowed := simtest.Simulate(func(s *simtest.S) {
		go janitor(stop)
	}, simtest.Seeds(3), simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest_test.janitor"))
	require.True(t, allowed.OK(), allowed.Report)
	assert.NotContains(t, allowed.Report, "still run after the Run")

	clean := simtest.Simulate(func(s *simtest.S) {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
		for range 3 {
			s.Go("never runs", func(context.Context) error { return nil })
		}
	}, simtest.Seeds(3))
	require.True(t, clean.OK(), clean.Report)
	assert.NotContains(t, clean.Report, "still run after the Run")
}

// AllowWallClock names functions; a name that is none fails the test
// before any seed runs.
func TestAllowWallClockRefusesWhatNamesNoFunction(t *testing.T) {
	for _, funcs := range [][]string{nil, {""}, {"a b"}} {
		res := simtest.Simulate(func(s *simtest.S) {}, simtest.AllowWallClock(funcs...))
		require.False(t, res.OK())
		assert.Zero(t, res.Seeds)
		assert.Contains(t, res.Report, "simtest.AllowWallClock")
	}
}

// janitorHelper is a goroutine that a library's janitor starts.
func janitorHelper(stop <-chan struct{}) { <-stop }

// janitorWithHelper is a library's janitor that starts a helper and runs
// on; janitorHandingOff starts one and ends.
func janitorWithHelper(stop <-chan struct{}) {
	go janitorHelper(stop)
	<-stop
}

func janitorHandingOff(stop <-chan struct{}) { go janitorHelper(stop) }

// AllowWallClock lets be the goroutines that an allowed function started,
// and those these started, as well as the allowed function's own: a
// library's janitor may start helpers, which the test cannot name one by
// one.
func TestAllowWallClockLetsBeWhatAnAllowedGoroutineStarted(t *testing.T) {
	// First, while no other helper runs: goroutines of one stack are
	// matched to their starters as one.
	stopHelper := make(chan struct{})
	helper := simtest.Simulate(func(s *simtest.S) {
		go janitorWithHelper(stopHelper)
	}, simtest.Seeds(1), simtest.AllowWallClock("github.com/moonpool-go/moonpool/simtest_test.janitorHandingOff"))
	close(stopHelper)
	require.False(t, helper.OK(), "a janitor not allowed, and its helper, still fail the test")
	assert.Contains(t, helper.Report, "2 goroutines that the seeds' tasks started with go statements still run after the Run")

	stop := make(chan struct{})
	defer close(stop)
	for _, start := range []func(<-chan struct{}){janitorWithHelper, janitorHandingOff} {
		allowed := simtest.Simulate(func(s *simtest.S) {
			go start(stop)
		}, simtest.Seeds(2), simtest.AllowWallClock(
			"github.com/moonpool-go/moonpool/simtest_test.janitorWithHelper",
			"github.com/moonpool-go/moonpool/simtest_test.janitorHandingOff"))
		require.True(t, allowed.OK(), allowed.Report)
		assert.NotContains(t, allowed.Report, "still run after the Run")
	}
}
