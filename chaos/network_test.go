package chaos_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
)

func TestNetworkPresetsValidate(t *testing.T) {
	assert.NoError(t, chaos.DefaultNetwork().Validate())
	assert.NoError(t, chaos.NoNetworkFaults().Validate())
	assert.NoError(t, chaos.Network{}.Validate(), "the zero Network is a perfect network")
	for seed := range uint64(500) {
		c := chaos.DefaultNetwork().Draw(rand.NewPCG(seed, 1))
		require.NoError(t, c.Validate(), "seed %d", seed)
	}
}

func TestNoFaultsKeepsLatencyAndBuffers(t *testing.T) {
	d := chaos.DefaultNetwork()
	d.SendBuffer = 1234
	d.ZoneLatency, d.DataCenterLatency = time.Millisecond, 20*time.Millisecond
	off := d.NoFaults()
	assert.Equal(t, chaos.Network{
		Latency:           chaos.Latency{Fast: chaos.Range{Min: d.Latency.Fast.Min, Max: d.Latency.Fast.Max}},
		ZoneLatency:       time.Millisecond, // where the hosts are, no fault
		DataCenterLatency: 20 * time.Millisecond,
		SendBuffer:        1234,
		Backlog:           d.Backlog,
		MaxDatagramSize:   d.MaxDatagramSize,
		DatagramBuffer:    d.DatagramBuffer,
	}, off)
	assert.Equal(t, chaos.DefaultNetwork().NoFaults(), chaos.NoNetworkFaults())
}

func TestNetworkDrawComesFromItsSource(t *testing.T) {
	a := chaos.DefaultNetwork().Draw(rand.NewPCG(7, 7))
	b := chaos.DefaultNetwork().Draw(rand.NewPCG(7, 7))
	assert.Equal(t, a, b, "the same stream gives the same configuration")

	// Swarm testing: over many seeds, each family is sometimes on and
	// sometimes off.
	on := map[string]int{}
	const seeds = 400
	for seed := range uint64(seeds) {
		c := chaos.DefaultNetwork().Draw(rand.NewPCG(seed, 0))
		count := func(name string, isOn bool) {
			if isOn {
				on[name]++
			}
		}
		count("slow tail", c.Latency.SlowProb > 0)
		count("exponential", c.Latency.Shape == chaos.LatencyExponential)
		count("pair latency", c.MaxPairLatency > 0)
		count("partitions", c.PartitionInterval > 0)
		count("clogs", c.ClogProb > 0)
		count("random close", c.CloseProb > 0)
		count("partial", c.PartialReadProb > 0)
		count("bit flips", c.BitFlipProb > 0)
		count("connect", c.ConnectFailProb > 0)
		count("clocks", c.MaxClockSkew > 0)
		count("sleeps", c.SleepDelayProb > 0)
		count("datagram loss", c.DatagramLossProb > 0)
		count("datagram duplication", c.DatagramDupProb > 0)
		count("datagram reordering", c.DatagramReorderProb > 0)
	}
	assert.Len(t, on, 14)
	for name, n := range on {
		assert.InDelta(t, seeds/2, n, seeds/8, "%s is on in about half the seeds", name)
	}
}

func TestNetworkValidateNamesEachBadField(t *testing.T) {
	cases := []struct {
		change func(*chaos.Network)
		want   string
	}{
		{func(c *chaos.Network) { c.Latency.Fast.Min = -1 }, "Latency.Fast is [-1ns, 400µs]; durations must not be negative"},
		{func(c *chaos.Network) { c.Latency.Fast.Min, c.Latency.Fast.Max = 2, 1 }, "Latency.Fast is [2ns, 1ns]; Min must not be above Max"},
		{func(c *chaos.Network) { c.Latency.Shape = chaos.LatencyExponential }, "Latency.Mean is 0s but Latency.Shape is exponential; an exponential latency needs a positive mean"},
		{func(c *chaos.Network) { c.Latency.Shape = 9 }, "Latency.Shape is LatencyShape(9)"},
		{func(c *chaos.Network) { c.Latency.SlowProb = 2 }, "Latency.SlowProb is 2; a probability must be between 0 and 1"},
		{func(c *chaos.Network) { c.Latency.Slow.Min = time.Hour }, "Latency.Slow is [1h0m0s, 50ms]; Min must not be above Max"},
		{func(c *chaos.Network) { c.Latency.Slow = chaos.Range{} }, "Latency.Slow is [0s, 0s] but Latency.SlowProb is 0.001; give slow packets a positive delay, or set SlowProb to 0 to turn the slow tail off"},
		{func(c *chaos.Network) { c.MaxPairLatency = -time.Second }, "MaxPairLatency is -1s"},
		{func(c *chaos.Network) { c.ZoneLatency = -time.Millisecond }, "ZoneLatency is -1ms; it is the delay added between zones and cannot be negative: use a positive duration, or 0 for none"},
		{func(c *chaos.Network) { c.DataCenterLatency = -time.Millisecond }, "DataCenterLatency is -1ms; it is the delay added between data centers and cannot be negative"},
		{func(c *chaos.Network) { c.DataCenterLatency = chaos.MaxDuration + 1 }, "DataCenterLatency is 8760h0m0.000000001s; a duration is at most chaos.MaxDuration"},
		{func(c *chaos.Network) { c.SendBuffer = -5 }, "SendBuffer is -5; use a positive size in bytes, or 0 for the default"},
		{func(c *chaos.Network) { c.Backlog = -1 }, "Backlog is -1"},
		{func(c *chaos.Network) { c.PartitionInterval = -1 }, "PartitionInterval is -1ns"},
		{func(c *chaos.Network) { c.PartitionDuration = chaos.Range{} }, "PartitionDuration.Max is 0s but PartitionInterval is 1m0s"},
		{func(c *chaos.Network) { c.PartitionOneWayProb = -0.1 }, "PartitionOneWayProb is -0.1"},
		{func(c *chaos.Network) { c.ClogProb = math.NaN() }, "ClogProb is NaN"},
		{func(c *chaos.Network) { c.ClogDuration = chaos.Range{} }, "ClogDuration.Max is 0s but ClogProb is 0.0001"},
		{func(c *chaos.Network) { c.CloseProb = 1.1 }, "CloseProb is 1.1"},
		{func(c *chaos.Network) { c.CloseCooldown = -1 }, "CloseCooldown is -1ns"},
		{func(c *chaos.Network) { c.CloseExplicitProb = 3 }, "CloseExplicitProb is 3"},
		{func(c *chaos.Network) { c.PartialReadProb = -1 }, "PartialReadProb is -1"},
		{func(c *chaos.Network) { c.PartialWriteProb = -1 }, "PartialWriteProb is -1"},
		{func(c *chaos.Network) { c.BitFlipProb = 7 }, "BitFlipProb is 7"},
		{func(c *chaos.Network) { c.ConnectFailProb = -1 }, "ConnectFailProb is -1"},
		{func(c *chaos.Network) { c.ConnectHangProb = 2 }, "ConnectHangProb is 2"},
		{func(c *chaos.Network) { c.MaxClockSkew = -1 }, "MaxClockSkew is -1ns"},
		{func(c *chaos.Network) { c.MaxClockDrift = 0.9 }, "MaxClockDrift is 0.9; a clock's rate error must be between 0 and 0.5"},
		{func(c *chaos.Network) { c.SleepDelayProb = -0.5 }, "SleepDelayProb is -0.5"},
		{func(c *chaos.Network) { c.MaxSleepDelay = -1 }, "MaxSleepDelay is -1ns"},
		{func(c *chaos.Network) { c.ClogDuration, c.ClogProb, c.Randomize = chaos.Range{}, 0, true }, "ClogDuration.Max is 0s but the settings are drawn per seed (Randomize)"},
		{func(c *chaos.Network) { c.MaxDatagramSize = -1 }, "MaxDatagramSize is -1; use a positive size in bytes, or 0 for the default (1472)"},
		{func(c *chaos.Network) { c.MaxDatagramSize = 70000 }, "MaxDatagramSize is 70000; a UDP datagram carries at most chaos.MaxUDPPayload (65507) bytes"},
		{func(c *chaos.Network) { c.DatagramBuffer = -1 }, "DatagramBuffer is -1"},
		{func(c *chaos.Network) { c.DatagramBuffer = 1000 }, "DatagramBuffer is 1000, less than the largest datagram (1472 bytes, MaxDatagramSize)"},
		{func(c *chaos.Network) { c.DatagramLossProb = 2 }, "DatagramLossProb is 2"},
		{func(c *chaos.Network) { c.DatagramDupProb = -1 }, "DatagramDupProb is -1"},
		{func(c *chaos.Network) { c.DatagramReorderProb = math.NaN() }, "DatagramReorderProb is NaN"},
		{func(c *chaos.Network) { c.DatagramReorderDelay.Min = time.Hour }, "DatagramReorderDelay is [1h0m0s, 10ms]; Min must not be above Max"},
		{func(c *chaos.Network) { c.DatagramReorderDelay = chaos.Range{} }, "DatagramReorderDelay is [0s, 0s] but DatagramReorderProb is 0.01"},
	}
	for _, c := range cases {
		cfg := chaos.DefaultNetwork()
		c.change(&cfg)
		err := cfg.Validate()
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), "chaos.Network."+c.want)
		assert.Equal(t, 1, strings.Count(err.Error(), "chaos.Network."), "one problem, one message: %v", err)
	}

	cfg := chaos.DefaultNetwork()
	cfg.BitFlipProb, cfg.SendBuffer = -1, -1
	err := cfg.Validate()
	assert.Contains(t, err.Error(), "BitFlipProb")
	assert.Contains(t, err.Error(), "SendBuffer", "every problem is reported at once")
}

func TestNetworkDrawKeepsWhatItDoesNotDraw(t *testing.T) {
	base := chaos.RandomNetwork()
	base.SendBuffer, base.Backlog = 1234, 7
	base.ClogDuration = chaos.Range{Min: time.Second, Max: 2 * time.Second}
	base.ZoneLatency, base.DataCenterLatency = time.Millisecond, 20*time.Millisecond
	for seed := range uint64(50) {
		d := base.Draw(rand.NewPCG(seed, 1))
		assert.False(t, d.Randomize, "a drawn configuration draws no more")
		assert.Equal(t, 1234, d.SendBuffer)
		assert.Equal(t, time.Millisecond, d.ZoneLatency)
		assert.Equal(t, 20*time.Millisecond, d.DataCenterLatency)
		assert.Equal(t, 7, d.Backlog)
		assert.Equal(t, base.ClogDuration, d.ClogDuration)
		require.NoError(t, d.Validate(), "seed %d", seed)
	}
	assert.Equal(t, chaos.DefaultNetwork().Draw(rand.NewPCG(3, 3)), chaos.RandomNetwork().Draw(rand.NewPCG(3, 3)),
		"Randomize changes only when the draw happens, not what it gives")
}

// HasFaults tells a network or a disk that injects something from one
// NoFaults made: what it keeps (latency between zones, the performance
// model) is no fault.
func TestHasFaults(t *testing.T) {
	assert.True(t, chaos.DefaultNetwork().HasFaults())
	assert.False(t, chaos.NoNetworkFaults().HasFaults())
	n := chaos.NoNetworkFaults()
	n.ZoneLatency = time.Millisecond
	assert.False(t, n.HasFaults(), "latency between zones is where the hosts are")
	n.ClogProb = 0.01
	assert.True(t, n.HasFaults())

	assert.True(t, chaos.DefaultStorage().HasFaults())
	assert.False(t, chaos.NoStorageFaults().HasFaults())
	s := chaos.NoStorageFaults()
	s.Capacity = 1 << 20
	assert.False(t, s.HasFaults(), "a capacity is a limit")
}
