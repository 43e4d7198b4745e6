package chaos_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestBuggifyOutsideSimulationIsOff(t *testing.T) {
	ctx := context.Background()
	for range 100 {
		require.False(t, chaos.Buggify(ctx))
		require.False(t, chaos.BuggifyWithProb(ctx, 1))
		require.Equal(t, 10, chaos.Knob(ctx, 10, 1))
	}
}

// site is one buggify call site.
func site(ctx context.Context) bool { return chaos.Buggify(ctx) }

// other is another.
func other(ctx context.Context) bool { return chaos.Buggify(ctx) }

// fires runs body over seeds and returns, per seed, how often each site
// fired in 100 reaches.
func fires(t *testing.T, cfg chaos.Config, seeds int) [][2]int {
	var out [][2]int
	simtest.Run(t, func(s *simtest.S) {
		var n [2]int
		for range 100 {
			if site(s.Context()) {
				n[0]++
			}
			if other(s.Context()) {
				n[1]++
			}
		}
		out = append(out, n)
	}, simtest.Seeds(seeds), simtest.Chaos(cfg))
	return out
}

func TestBuggifySitesActivatePerRunAndFireSometimes(t *testing.T) {
	got := fires(t, chaos.Defaults(), 200)
	on, off := 0, 0
	for _, n := range got {
		for _, f := range n {
			if f == 0 {
				off++
				continue
			}
			on++
			assert.InDelta(t, 25, f, 20, "an on site fires about a quarter of the time")
		}
	}
	// Each site is on for about half the runs.
	assert.InDelta(t, 200, on, 60)
	assert.InDelta(t, 200, off, 60)
	assert.Equal(t, got, fires(t, chaos.Defaults(), 200), "the seed decides which sites fire and when")
}

func TestBuggifyOffAndCertain(t *testing.T) {
	for _, n := range fires(t, chaos.Off(), 20) {
		assert.Equal(t, [2]int{0, 0}, n)
	}
	always := chaos.Defaults()
	always.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 1}
	for _, n := range fires(t, always, 5) {
		assert.Equal(t, [2]int{100, 100}, n)
	}
}

func TestKnobAndSiteProbability(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 0}
	simtest.Run(t, func(s *simtest.S) {
		assert.Equal(t, 1000, chaos.Knob(s.Context(), 1000, 1), "Fire 0: the knob keeps its normal value")
		assert.True(t, chaos.BuggifyWithProb(s.Context(), 1), "a site's own probability wins")
		assert.False(t, chaos.Buggify(s.Context()))
	}, simtest.Seeds(3), simtest.Chaos(cfg))
}

func BenchmarkBuggifyOutsideSimulation(b *testing.B) {
	ctx := context.WithValue(context.Background(), struct{}{}, 1)
	for b.Loop() {
		if chaos.Buggify(ctx) {
			b.Fatal("fired outside a simulation")
		}
	}
}

func TestBuggifyWithProbRejectsWhatIsNotAProbability(t *testing.T) {
	for _, p := range []float64{-0.5, -1, 1.5, math.NaN(), math.Inf(1)} {
		var msg any
		simtest.Run(t, func(s *simtest.S) {
			defer func() { msg = recover() }()
			chaos.BuggifyWithProb(s.Context(), p)
		}, simtest.Seeds(1), simtest.Chaos(alwaysFire()))
		require.NotNil(t, msg, "p = %v", p)
		assert.Contains(t, msg, fmt.Sprintf("chaos.BuggifyWithProb: p is %v; a firing probability is in [0, 1]", p))
	}
	// Outside a simulation the probability is never looked at.
	assert.False(t, chaos.BuggifyWithProb(context.Background(), -1))
}
