package simtest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestReplayRunsSeveralSeedsInOrder(t *testing.T) {
	var ran []uint64
	res := simtest.Simulate(func(s *simtest.S) { ran = append(ran, s.Seed()) }, simtest.Replay(7, 3, 99))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, []uint64{7, 3, 99}, ran)
	assert.Equal(t, 3, res.Seeds)
}

func TestReplayOfSeveralSeedsStopsAtTheFirstFailingOneUnlessKeepGoing(t *testing.T) {
	body := func(ran *[]uint64) func(s *simtest.S) {
		return func(s *simtest.S) {
			*ran = append(*ran, s.Seed())
			if s.Seed()%2 == 0 {
				s.Errorf("even seed")
			}
		}
	}
	var ran []uint64
	res := simtest.Simulate(body(&ran), simtest.Replay(1, 2, 3, 4))
	assert.Equal(t, []uint64{1, 2}, ran)
	assert.Equal(t, uint64(2), res.FirstFailing)

	ran = nil
	res = simtest.Simulate(body(&ran), simtest.Replay(1, 2, 3, 4), simtest.KeepGoing())
	assert.Equal(t, []uint64{1, 2, 3, 4}, ran)
	assert.Equal(t, []uint64{2, 4}, res.Failing())
}

func TestReplayOfOneSeedIsTheSameRunAsBefore(t *testing.T) {
	body := func(s *simtest.S) { s.Sleep(s.Elapsed() + 1) }
	a := simtest.Simulate(body, simtest.Seeds(3))
	for _, sr := range a.PerSeed {
		b := simtest.Simulate(body, simtest.Replay(sr.Seed))
		require.Len(t, b.PerSeed, 1)
		assert.Equal(t, sr.Trace, b.PerSeed[0].Trace)
	}
	several := simtest.Simulate(body, simtest.Replay(a.PerSeed[2].Seed, a.PerSeed[0].Seed))
	assert.Equal(t, a.PerSeed[2].Trace, several.PerSeed[0].Trace)
	assert.Equal(t, a.PerSeed[0].Trace, several.PerSeed[1].Trace)
}

func TestReplayWithNoSeedIsAnError(t *testing.T) {
	ran := false
	res := simtest.Simulate(func(s *simtest.S) { ran = true }, simtest.Replay())
	assert.False(t, ran)
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.Replay(): no seed given; pass the seeds to replay")
}

func TestSlowSeedNamesSeedsWithoutFailingThem(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(3), simtest.SlowSeed(1))
	require.True(t, res.OK(), "a slow seed does not fail")
	assert.Contains(t, res.Report, "3 seeds took longer than 1ns of real time (-simslow, simtest.SlowSeed):")
	for _, sr := range res.PerSeed {
		assert.Contains(t, res.Report, fmt.Sprintf("seed=%d (", sr.Seed))
	}

	res = simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(3), simtest.SlowSeed(0))
	assert.NotContains(t, res.Report, "of real time", "SlowSeed(0) names none")
	res = simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(3))
	assert.NotContains(t, res.Report, "of real time", "a fast seed is not named under the default")

	res = simtest.Simulate(func(s *simtest.S) {}, simtest.SlowSeed(-1))
	assert.False(t, res.OK())
	assert.Contains(t, res.Report, "simtest.SlowSeed(-1ns): the duration must not be negative; pass 0 to name no seed")
}

func TestSlowSeedListsTenAndCountsTheRest(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {}, simtest.Seeds(12), simtest.SlowSeed(1))
	assert.Contains(t, res.Report, "12 seeds took longer than 1ns")
	assert.Contains(t, res.Report, " and 2 more")
}
