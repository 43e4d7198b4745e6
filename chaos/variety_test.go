package chaos

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// counting is a rand.Source that counts its draws.
type counting struct {
	src   rand.Source
	draws int
}

func (c *counting) Uint64() uint64 { c.draws++; return c.src.Uint64() }

func TestNewSettingsDrawNothingWhenUnset(t *testing.T) {
	for _, c := range []Config{Defaults(), Random(), func() Config { c := Random(); c.Swarm = true; return c }()} {
		a, b := &counting{src: rand.NewPCG(3, 3)}, &counting{src: rand.NewPCG(3, 3)}
		plain := c.ForSeed(a)
		c.SpikeProb, c.Attrition.Swarm = 0, false
		require.Equal(t, plain, c.ForSeed(b))
		assert.Equal(t, a.draws, b.draws)
		// The new draws come after the old ones: a seed's other settings
		// are the same with them.
		c.SpikeProb, c.Attrition.Swarm = 1, true
		d := &counting{src: rand.NewPCG(3, 3)}
		spiked := c.ForSeed(d)
		assert.Greater(t, d.draws, a.draws)
		assert.Equal(t, plain.Storage, spiked.Storage)
		assert.Equal(t, plain.Buggify, spiked.Buggify)
	}
}

func TestSpikeProbSpikesSomeSeeds(t *testing.T) {
	c := Defaults()
	c.SpikeProb = 0.1
	spiked := 0
	for seed := range uint64(2000) {
		got := c.ForSeed(rand.NewPCG(seed, 7))
		switch got.Network {
		case c.Network:
		case c.Network.Spike():
			spiked++
		default:
			t.Fatalf("seed %d: the network is neither the configured one nor its spike: %+v", seed, got.Network)
		}
	}
	assert.InDelta(t, 200, spiked, 60, "about one seed in ten spikes")
}

func TestSpikePushesClogsAndPartitionsToExtremes(t *testing.T) {
	n := DefaultNetwork()
	s := n.Spike()
	assert.Equal(t, 0.01, s.ClogProb)
	assert.Equal(t, Range{time.Second, 3 * time.Second}, s.ClogDuration)
	assert.Equal(t, 6*time.Second, s.PartitionInterval)
	assert.Equal(t, Range{2 * time.Second, 20 * time.Second}, s.PartitionDuration)
	require.NoError(t, s.Validate())

	off := NoNetworkFaults()
	assert.Equal(t, off, off.Spike(), "a spike does not switch faults on")

	big := DefaultNetwork()
	big.ClogProb, big.ClogDuration = 0.5, Range{MaxDuration / 2, MaxDuration}
	big.PartitionInterval = MinInterval
	s = big.Spike()
	assert.Equal(t, 1.0, s.ClogProb)
	assert.Equal(t, Range{MaxDuration, MaxDuration}, s.ClogDuration)
	assert.Equal(t, MinInterval, s.PartitionInterval)
	require.NoError(t, s.Validate())
}

func TestSpikeProbIsAProbability(t *testing.T) {
	for _, p := range []float64{-0.1, 1.5, math.NaN()} {
		c := Defaults()
		c.SpikeProb = p
		err := c.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "SpikeProb is")
		assert.Contains(t, err.Error(), "a probability is in [0, 1]")
	}
}

func TestAttritionSwarmDrawsRegimes(t *testing.T) {
	c := Defaults() // graceful 2, crash 2, power loss 1
	c.Attrition.Swarm = true
	regimes := map[[4]bool]int{}
	never := 0
	const seeds = 2000
	for seed := range uint64(seeds) {
		a := c.ForSeed(rand.NewPCG(seed, 9)).Attrition
		assert.False(t, a.Swarm, "the seed's configuration is resolved")
		if !a.Enabled {
			never++
			continue
		}
		require.NoError(t, a.Validate())
		assert.Zero(t, a.Wipe, "a kind off in the Config stays off")
		k := [4]bool{a.Graceful > 0, a.Crash > 0, a.Wipe > 0, a.PowerLoss > 0}
		regimes[k]++
		if a.Graceful > 0 {
			assert.Equal(t, 2.0, a.Graceful, "a kept kind keeps its weight")
		}
	}
	assert.InDelta(t, seeds/4, never, seeds/20, "a quarter of the seeds never reboot")
	assert.Len(t, regimes, 7, "every non-empty subset of three kinds: %v", regimes)
	for k, n := range regimes {
		assert.InDelta(t, seeds*3/4/7, n, 80, "regime %v", k)
	}
}
