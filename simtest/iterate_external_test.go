package simtest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

// fiveLeaders reaches one of five buckets per seed: its coverage (the
// five buckets, and the assertion first true) stops growing once each
// bucket has been seen.
func fiveLeaders(s *simtest.S) {
	s.Sleep(time.Millisecond)
	assertions.SometimesEach(s.Context(), "leader", "node", s.Providers().Random.IntN(5))
}

func TestUntilPlateauStopsWhenCoverageStopsGrowing(t *testing.T) {
	res := simtest.Simulate(fiveLeaders, simtest.BaseSeed(1), simtest.UntilPlateau(30))
	require.True(t, res.OK(), res.Report)
	assert.Greater(t, res.Seeds, 30)
	grew := res.Seeds - 30
	assert.Contains(t, res.Report, fmt.Sprintf("coverage stopped growing (-simplateau=30): 30 seeds reached nothing new; it last grew at seed %d of %d, to 6 things reached", grew, res.Seeds))
	assert.Contains(t, res.Report, "5 buckets")

	two := simtest.Simulate(fiveLeaders, simtest.BaseSeed(1), simtest.UntilPlateau(30), simtest.Workers(2))
	assert.Equal(t, res.PerSeed, two.PerSeed, "where it stops depends on the seeds only")
}

func TestUntilPlateauWithinASeedCount(t *testing.T) {
	res := simtest.Simulate(fiveLeaders, simtest.BaseSeed(1), simtest.UntilPlateau(1000), simtest.Seeds(40))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, 40, res.Seeds, "the count bounds the Run too")
	assert.Contains(t, res.Report, "coverage still growing (-simplateau=1000): it last grew at seed ")
	assert.Contains(t, res.Report, "the count of 40 seeds (simtest.Seeds or -simseeds) ended the Run before its budget")
}

func TestRunForRunsSeedsUntilTheTimeIsSpent(t *testing.T) {
	res := simtest.Simulate(naps, simtest.RunFor(20*time.Millisecond))
	require.True(t, res.OK(), res.Report)
	require.NotZero(t, res.Seeds)
	assert.Contains(t, res.Report, fmt.Sprintf("wall time of 20ms spent (-simfor): %s ran; how many depends on the machine", plural(res.Seeds)))

	whole := simtest.Simulate(naps, simtest.Seeds(res.Seeds))
	assert.Equal(t, whole.PerSeed, res.PerSeed, "the same seeds as a Run of that count")

	bounded := simtest.Simulate(naps, simtest.RunFor(time.Hour), simtest.Seeds(5))
	assert.Equal(t, 5, bounded.Seeds)
	assert.Contains(t, bounded.Report, "5 seeds ran within the wall time of 1h0m0s (-simfor)")
	assert.Contains(t, bounded.Report, "the count of 5 seeds (simtest.Seeds or -simseeds) ended the Run before its budget; give -simseeds a larger count")
	assert.NotContains(t, res.Report, "ended the Run before its budget", "the wall time ended it")
}

func plural(n int) string {
	if n == 1 {
		return "1 seed"
	}
	return fmt.Sprintf("%d seeds", n)
}

func TestBadIteration(t *testing.T) {
	for _, tc := range []struct {
		opts []simtest.Option
		want string
	}{
		{[]simtest.Option{simtest.RunFor(0)}, "simtest.RunFor(0s): the wall time must be positive"},
		{[]simtest.Option{simtest.UntilPlateau(0)}, "simtest.UntilPlateau(0): the number of seeds without new coverage must be at least 1"},
		{[]simtest.Option{simtest.UntilPlateau(5), simtest.Explore(explore.Defaults())}, "an exploration is bounded by its budget of timelines"},
	} {
		res := simtest.Simulate(naps, tc.opts...)
		assert.False(t, res.OK())
		assert.Contains(t, res.Report, tc.want)
	}
}

// A seed runs to its end past a budget of wall time, which is checked
// between seeds: the report says how long the Run took when that is well
// past the budget. No seed ends within a nanosecond.
func TestRunForSaysWhenTheLastSeedRanPastIt(t *testing.T) {
	res := simtest.Simulate(naps, simtest.RunFor(time.Nanosecond))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, 1, res.Seeds)
	assert.Regexp(t, `wall time of 1ns spent \(-simfor\): 1 seed ran; how many depends on the machine, each seed's trace and replay line do not; `+
		`the Run took [0-9.]+[µm]?s in all, past the budget, which is checked between seeds: the last seed ran on past it`, res.Report)
}
