package simtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestSimulateStopsAtTheFirstFailingSeed(t *testing.T) {
	res := simtest.Simulate(rareBug, simtest.Seeds(1000), simtest.BaseSeed(1))
	require.False(t, res.OK())
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, res.Seeds-1, res.Passed)
	assert.Equal(t, []uint64{res.FirstFailing}, res.Failing())
	assert.Contains(t, res.Report, "replay: simtest.Replay(")
	assert.Contains(t, res.Report, "the planted bug fired")

	again := simtest.Simulate(rareBug, simtest.Replay(res.FirstFailing), simtest.BaseSeed(1)) // the base gives the seed its place
	assert.Equal(t, 1, again.Seeds)
	assert.Equal(t, 1, again.Failed, "the replay fails again")
	assert.Equal(t, res.PerSeed[len(res.PerSeed)-1], again.PerSeed[0], "the same run: trace, time, steps")
}

func TestSimulatePasses(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Sleep(1) }, simtest.Seeds(5))
	assert.True(t, res.OK(), res.Report)
	assert.Equal(t, 5, res.Passed)
	assert.Empty(t, res.Replay)
	assert.Contains(t, res.String(), "5 seeds, 5 passed, 0 failed")
}

func TestSimulateBadInput(t *testing.T) {
	res := simtest.Simulate(nil)
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.Simulate: the body is nil")

	res = simtest.Simulate(func(*simtest.S) {}, simtest.Seeds(0))
	assert.False(t, res.OK())
	assert.Zero(t, res.Seeds)
	assert.Contains(t, res.Report, "simtest.Seeds(0)")
}

func TestSimulateSkip(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) { s.Skip("not today") })
	assert.True(t, res.Skipped)
	assert.True(t, res.OK())
	assert.Contains(t, res.Report, "not today")
}
