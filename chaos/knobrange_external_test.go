package chaos_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestKnobRangeOutsideSimulationIsNormal(t *testing.T) {
	ctx := context.Background()
	require.Equal(t, 1000, chaos.KnobRange(ctx, 1000, 1, 16))
	require.Equal(t, time.Second, chaos.KnobRange(ctx, time.Second, time.Millisecond, 10*time.Second))
	require.Equal(t, 7, chaos.KnobRange(ctx, 7, 9, 1), "outside a simulation a reversed range costs nothing")
}

// alwaysFire is buggify with every site on and firing.
func alwaysFire() chaos.Config {
	c := chaos.Off()
	c.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 1}
	return c
}

func TestKnobRangeDrawsAcrossTheRange(t *testing.T) {
	seen := map[int]int{}
	var durs, floats []float64
	simtest.Run(t, func(s *simtest.S) {
		for range 100 {
			v := chaos.KnobRange(s.Context(), 1000, 1, 16)
			seen[v]++
			d := chaos.KnobRange(s.Context(), time.Second, time.Millisecond, 10*time.Millisecond)
			durs = append(durs, float64(d))
			f := chaos.KnobRange(s.Context(), 0.5, 0.25, 0.75)
			floats = append(floats, f)
		}
	}, simtest.Seeds(5), simtest.Chaos(alwaysFire()))
	assert.Len(t, seen, 16, "every value of [1, 16] is drawn, and nothing else: %v", seen)
	for v := range seen {
		assert.True(t, v >= 1 && v <= 16, "%d is outside [1, 16]", v)
	}
	for _, d := range durs {
		assert.True(t, d >= float64(time.Millisecond) && d <= float64(10*time.Millisecond), "%v is outside [1ms, 10ms]", time.Duration(d))
	}
	for _, f := range floats {
		assert.True(t, f >= 0.25 && f < 0.75, "%v is outside [0.25, 0.75)", f)
	}
}

func TestKnobRangeIsNormalUnlessItsSiteFires(t *testing.T) {
	var got []int
	simtest.Run(t, func(s *simtest.S) {
		for range 20 {
			got = append(got, chaos.KnobRange(s.Context(), 1000, 1, 16))
		}
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
	for _, v := range got {
		require.Equal(t, 1000, v)
	}
}

func TestKnobRangeIsDecidedBySeed(t *testing.T) {
	run := func() []int64 {
		var got []int64
		simtest.Run(t, func(s *simtest.S) {
			for range 50 {
				got = append(got, chaos.KnobRange(s.Context(), int64(0), -1<<63, 1<<63-1))
			}
		}, simtest.Seeds(4), simtest.Chaos(chaos.Defaults()))
		return got
	}
	a := run()
	assert.Equal(t, a, run())
	assert.Contains(t, a, int64(0), "some reaches do not fire")
	assert.NotEqual(t, len(a), countOf(a, 0), "some reaches fire, over the whole of int64")
}

func countOf[T comparable](xs []T, x T) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestKnobRangeReversedPanicsNamingTheFix(t *testing.T) {
	var msg any
	simtest.Run(t, func(s *simtest.S) {
		defer func() { msg = recover() }()
		chaos.KnobRange(s.Context(), 5, 10, 1)
	}, simtest.Seeds(1), simtest.Chaos(alwaysFire()))
	require.NotNil(t, msg)
	assert.Contains(t, msg, "lo (10) is above hi (1); pass the range's low end first")
}

func TestKnobRangeWithABoundThatIsNotANumberPanicsNamingTheFix(t *testing.T) {
	for _, b := range [][2]float64{{math.NaN(), 2}, {1, math.NaN()}, {0, math.Inf(1)}, {math.Inf(-1), 0}, {math.Inf(-1), math.Inf(1)}} {
		var msg any
		simtest.Run(t, func(s *simtest.S) {
			defer func() { msg = recover() }()
			chaos.KnobRange(s.Context(), 1.5, b[0], b[1])
		}, simtest.Seeds(1), simtest.Chaos(alwaysFire()))
		require.NotNil(t, msg, "bounds %v", b)
		assert.Contains(t, msg, fmt.Sprintf("chaos.KnobRange: the range is [%v, %v]; a float range has finite bounds", b[0], b[1]))
	}
}

func TestKnobRangeSpansTheWholeFloatRange(t *testing.T) {
	var got []float64
	simtest.Run(t, func(s *simtest.S) {
		got = append(got, chaos.KnobRange(s.Context(), 0, -math.MaxFloat64, math.MaxFloat64))
	}, simtest.Seeds(20), simtest.Chaos(alwaysFire()))
	lo := 0
	for _, v := range got {
		require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "KnobRange drew %v", v)
		if v == -math.MaxFloat64 {
			lo++
		}
	}
	assert.Less(t, lo, 2, "a range as wide as float64's is drawn across, not pinned to its low end: %v", got)
}
