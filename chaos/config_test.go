package chaos

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetsValidate(t *testing.T) {
	require.NoError(t, Defaults().Validate())
	require.NoError(t, Off().Validate())
	require.NoError(t, Random().Validate())
	assert.False(t, Off().Attrition.Enabled)
	assert.False(t, Off().Buggify.Enabled)
	assert.True(t, Defaults().Attrition.Enabled)
	assert.True(t, Defaults().Buggify.Enabled)
}

func TestBadConfigurationsNameTheField(t *testing.T) {
	c := Defaults()
	c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss = 0, 0, 0, 0
	assert.ErrorContains(t, c.Validate(), "Attrition weights are all zero")

	c = Defaults()
	c.Attrition.Crash = -1
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Crash is -1; a weight is finite and at least zero")

	c = Defaults()
	c.Attrition.PowerLoss = -1
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.PowerLoss is -1; a weight is finite and at least zero")

	c = Defaults()
	c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss = 0, 0, 0, 1
	assert.NoError(t, c.Validate(), "power losses alone are a valid attrition")

	for _, p := range []float64{-0.1, 1.5, math.NaN()} {
		c = Defaults()
		c.Attrition.CrashAtUnsyncedWriteProb = p
		assert.ErrorContains(t, c.Validate(), fmt.Sprintf("chaos: Attrition.CrashAtUnsyncedWriteProb is %v; a probability is in [0, 1]", p))
		c.Attrition.Enabled = false
		assert.Error(t, c.Validate(), "wrong whatever it drives")
	}
	c = Defaults()
	c.Attrition.CrashAtUnsyncedWriteProb = 1
	assert.NoError(t, c.Validate())
	c.Attrition.Unit = Machine
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.CrashAtUnsyncedWriteProb is 1 with Unit machine; it aims the crash of one process, and a unit goes down whole: set it to 0, or Unit to Process")

	c = Defaults()
	c.Attrition.Kill = -1
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Kill is -1; a weight is finite and at least zero")

	c = Defaults()
	c.Attrition.Kill = math.Inf(1)
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Kill is +Inf; a weight is finite and at least zero")

	c = Defaults()
	c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss, c.Attrition.Kill = 0, 0, 0, 0, 1
	assert.NoError(t, c.Validate(), "kills alone are a valid attrition")

	c = Defaults()
	c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss = 0, 0, 0, 0
	assert.ErrorContains(t, c.Validate(), "give at least one of Graceful, Crash, Wipe, PowerLoss, Kill and Pause a positive weight")

	c = Defaults()
	c.Attrition.PowerLoss, c.Attrition.Kill = math.MaxFloat64, math.MaxFloat64
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Graceful, Crash, Wipe, PowerLoss, Kill and Pause sum to +Inf")

	c = Defaults()
	c.Attrition.Pause = -1
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Pause is -1; a weight is finite and at least zero")

	c = Defaults()
	c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.Wipe, c.Attrition.PowerLoss, c.Attrition.Pause = 0, 0, 0, 0, 1
	assert.NoError(t, c.Validate(), "pauses alone are a valid attrition")

	c = Defaults()
	c.Attrition.Pause, c.Attrition.PauseFor = 1, Range{}
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.PauseFor is [0s, 0s] but Pause is 1; give a pause a positive length")

	c = Defaults()
	c.Attrition.PauseFor = Range{5 * time.Second, time.Second}
	assert.ErrorContains(t, c.Validate(), "Attrition.PauseFor is [5s, 1s]; Min must not be above Max")

	c = Defaults()
	c.Attrition.MaxDead = 0
	assert.ErrorContains(t, c.Validate(), "Attrition.MaxDead is 0")

	c = Defaults()
	c.Attrition.DownFor = Range{5 * time.Second, time.Second}
	assert.ErrorContains(t, c.Validate(), "Attrition.DownFor is [5s, 1s]")

	c = Defaults()
	c.Buggify.FireProb = 1.5
	assert.ErrorContains(t, c.Validate(), "Buggify.FireProb is 1.5")

	c = Defaults()
	c.Buggify.ActivationProb = math.NaN()
	assert.ErrorContains(t, c.Validate(), "Buggify.ActivationProb is NaN")

	c = Defaults()
	c.Buggify.FireProb = math.NaN()
	assert.ErrorContains(t, c.Validate(), "Buggify.FireProb is NaN")

	c = Defaults()
	c.Attrition.Enabled = false
	c.Attrition.MaxDead = 0
	assert.NoError(t, c.Validate(), "a disabled family is not checked")
}

func TestRandomDrawsPerSeed(t *testing.T) {
	seen := map[bool]int{}
	for seed := range uint64(50) {
		a := Random().ForSeed(rand.NewPCG(seed, 1))
		b := Random().ForSeed(rand.NewPCG(seed, 1))
		assert.Equal(t, a, b, "the same stream draws the same configuration")
		seen[a.Attrition.Enabled]++
		require.NoError(t, a.Validate())
	}
	assert.Len(t, seen, 2, "attrition is on for some seeds, off for others")
}

func TestSwarmSwitchesFamiliesOff(t *testing.T) {
	c := Defaults()
	c.Swarm = true
	off := map[string]int{}
	for seed := range uint64(200) {
		s := c.ForSeed(rand.NewPCG(seed, 2))
		if !s.Attrition.Enabled {
			off["attrition"]++
		}
		if !s.Buggify.Enabled {
			off["buggify"]++
		}
	}
	assert.InDelta(t, 100, off["attrition"], 30)
	assert.InDelta(t, 100, off["buggify"], 30)
	d := Defaults()
	assert.Equal(t, d, d.ForSeed(rand.NewPCG(1, 1)), "without Random or Swarm, ForSeed draws nothing")
}

// A seed's configuration in swarm mode names the families it switched
// off, of those that had faults on, and only those.
func TestSwarmNamesTheFamiliesItSwitchedOff(t *testing.T) {
	c := Defaults()
	c.Swarm = true
	named := map[string]int{}
	for seed := range uint64(200) {
		s := c.ForSeed(rand.NewPCG(seed, 2))
		var want []string
		if s.Network.ClogProb == 0 {
			want = append(want, "Network")
		}
		if s.Storage.ReadCorruptionProb == 0 {
			want = append(want, "Storage")
		}
		if !s.Attrition.Enabled {
			want = append(want, "Attrition")
		}
		if !s.Buggify.Enabled {
			want = append(want, "Buggify")
		}
		require.Equal(t, want, s.SwarmOff, "seed %d", seed)
		for _, f := range s.SwarmOff {
			named[f]++
		}
	}
	assert.Len(t, named, 4, "each family is off on some seed")

	c.Attrition.Enabled, c.Buggify.Enabled = false, false
	c.SwarmOff = []string{"Network"}
	for seed := range uint64(50) {
		s := c.ForSeed(rand.NewPCG(seed, 2))
		assert.NotContains(t, s.SwarmOff, "Attrition", "a family the Run had off is not Swarm's doing")
		assert.NotContains(t, s.SwarmOff, "Buggify")
	}
	assert.Empty(t, Defaults().ForSeed(rand.NewPCG(1, 1)).SwarmOff, "outside swarm mode none")
	c.Swarm = false
	assert.Empty(t, c.ForSeed(rand.NewPCG(1, 1)).SwarmOff, "what a Config given holds is not read")
}

// A seed whose network Swarm switched off does not spike: Spike leaves
// a network without clogs and partitions as it is, and the seed's
// configuration, which its timeline's notes read, says it did not.
func TestASeedWithTheNetworkOffDoesNotSpike(t *testing.T) {
	c := Defaults()
	c.Swarm, c.SpikeProb = true, 0.5
	spiked, off := 0, 0
	for seed := range uint64(200) {
		s := c.ForSeed(rand.NewPCG(seed, 0))
		if slices.Contains(s.SwarmOff, "Network") {
			off++
			require.Zero(t, s.SpikeProb, "seed %d: Swarm switched the network off, yet it spiked", seed)
		}
		if s.SpikeProb == 1 {
			spiked++
			require.Positive(t, s.Network.ClogProb, "seed %d", seed)
		}
	}
	assert.Positive(t, off)
	assert.Positive(t, spiked)
}

func TestRangeDraw(t *testing.T) {
	r := Range{time.Second, 2 * time.Second}
	src := rand.NewPCG(1, 2)
	for range 100 {
		d := r.Draw(src)
		require.GreaterOrEqual(t, d, time.Second)
		require.LessOrEqual(t, d, 2*time.Second)
	}
	assert.Equal(t, time.Second, Range{time.Second, time.Second}.Draw(src))
}

func TestRecurringEventsComeAtLeastMinIntervalApart(t *testing.T) {
	c := Defaults()
	c.Attrition.Interval = Range{time.Nanosecond, time.Nanosecond}
	err := c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "chaos: Attrition.Interval.Min is 1ns")
	assert.Contains(t, err.Error(), "raise Min to 1ms or more")

	c = Defaults()
	c.Attrition.Interval = Range{0, 5 * time.Second}
	assert.ErrorContains(t, c.Validate(), "Attrition.Interval.Min is 0s")

	c = Defaults()
	c.Attrition.Interval = Range{MinInterval, MinInterval}
	assert.NoError(t, c.Validate())

	c = Defaults()
	c.Network.PartitionInterval = time.Microsecond
	assert.ErrorContains(t, c.Validate(), "chaos.Network.PartitionInterval is 1µs; random partitions come at least chaos.MinInterval (1ms) apart")

	c = Defaults()
	c.Attrition.Grace = Range{}
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Grace is [0s, 0s] but Graceful is 2; give a graceful stop a positive grace period")
	c.Attrition.Graceful = 0
	assert.NoError(t, c.Validate(), "no graceful reboots, no grace needed")
}

func TestBadValuesAreRejectedEvenWhenTheFamilyIsOff(t *testing.T) {
	c := Off()
	c.Attrition.Crash = math.NaN()
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.Crash is NaN; a weight is finite and at least zero")

	c = Off()
	c.Attrition.DownFor = Range{0, MaxDuration + 1}
	assert.ErrorContains(t, c.Validate(), "chaos: Attrition.DownFor is [0s, 8760h0m0.000000001s]; durations are at most chaos.MaxDuration")

	c = Off()
	c.Storage.ThrottleFactor = math.Inf(1)
	assert.ErrorContains(t, c.Validate(), "chaos.Storage.ThrottleFactor is +Inf", "a throttle that cannot happen still has a finite factor")
}

func TestRandomChecksAttritionAsOn(t *testing.T) {
	c := Random()
	c.Attrition = Attrition{} // off, but ForSeed switches it on for some seeds
	err := c.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Attrition.MaxDead is 0")
	assert.Contains(t, err.Error(), "Attrition.Interval.Min is 0s")
}

func TestRangeDrawCoversInt64(t *testing.T) {
	src := rand.NewPCG(1, 2)
	assert.NotPanics(t, func() { Range{0, math.MaxInt64}.Draw(src) })
	assert.NotPanics(t, func() { Range{math.MinInt64, math.MaxInt64}.Draw(src) })
	d := Range{time.Second, 2 * time.Second}.Draw(src)
	assert.True(t, d >= time.Second && d <= 2*time.Second)
}

func TestForSeedDrawsANetworkThatRandomizesAlone(t *testing.T) {
	c := Defaults()
	c.Network = RandomNetwork()
	got := c.ForSeed(rand.NewPCG(5, 5))
	assert.Equal(t, DefaultNetwork().Draw(rand.NewPCG(5, 5)), got.Network, "the network's draw comes first")
	assert.False(t, got.Network.Randomize)
	assert.Equal(t, c.Storage, got.Storage, "the other families draw nothing")
	assert.Equal(t, c.Attrition, got.Attrition)
	assert.Equal(t, c.Buggify, got.Buggify)

	r := Random().ForSeed(rand.NewPCG(5, 5))
	assert.False(t, r.Randomize, "a seed's configuration draws no more")
	assert.Equal(t, got.Network, r.Network, "Random draws the network as the network's own Randomize does")
}

func TestAttritionUnit(t *testing.T) {
	a := DefaultAttrition()
	assert.Equal(t, Process, a.Unit, "the zero unit is a process: attrition as it always was")
	a.Unit = Zone
	assert.NoError(t, a.Validate())
	a.Unit = Unit(7)
	assert.ErrorContains(t, a.Validate(), "chaos: Attrition.Unit is Unit(7); use chaos.Process, chaos.Machine, chaos.Zone or chaos.DataCenter")
	a.Enabled = false
	assert.Error(t, a.Validate(), "a unit that is none is wrong whatever it drives")
	assert.Equal(t, "data center", DataCenter.String())
}

func TestAttritionOutages(t *testing.T) {
	a := DefaultAttrition()
	assert.False(t, a.Outages.On(), "no preset has outages")
	a.Outages = Outages{Unit: Zone, Interval: Range{Min: time.Minute, Max: 5 * time.Minute}, DownFor: Range{Min: 30 * time.Second, Max: time.Minute}}
	require.True(t, a.Outages.On())
	assert.NoError(t, a.Validate())
	for _, tc := range []struct {
		name string
		edit func(a *Attrition)
		want string
	}{
		{"a process", func(a *Attrition) { a.Outages.Unit = Process }, "chaos: Attrition.Outages.Unit is process; an outage takes down a chaos.Machine, a chaos.Zone or a chaos.DataCenter"},
		{"no larger than a reboot's", func(a *Attrition) { a.Unit = Zone }, "chaos: Attrition.Outages.Unit is zone but Unit is zone: an outage takes down a unit larger than one reboot does"},
		{"too frequent", func(a *Attrition) { a.Outages.Interval.Min = 0 }, "chaos: Attrition.Outages.Interval.Min is 0s; outage attempts come at least chaos.MinInterval"},
		{"a negative time down", func(a *Attrition) { a.Outages.DownFor.Min = -time.Second }, "chaos: Attrition.Outages.DownFor is [-1s, 1m0s]; durations must not be negative"},
		{"attrition off", func(a *Attrition) { a.Enabled = false }, "chaos: Attrition.Outages is set but Enabled is false, and outages come only while attrition is on"},
	} {
		b := a
		tc.edit(&b)
		assert.ErrorContains(t, b.Validate(), tc.want, tc.name)
	}
	off := a
	off.Outages.Interval = Range{}
	off.Outages.Unit = Process
	assert.NoError(t, off.Validate(), "no outages: their unit is not looked at")
}

func TestSwarmKeepsTheDisksPerformanceAndCapacity(t *testing.T) {
	c := Defaults()
	c.Swarm = true
	c.Storage.IOPS, c.Storage.Bandwidth, c.Storage.Capacity = 150, 100_000_000, 64<<20
	c.Storage.SyncLatency = Range{5 * time.Millisecond, 20 * time.Millisecond}
	c.Storage.Off = []string{"phantom-write"}
	want := Storage{
		IOPS: 150, Bandwidth: 100_000_000, Capacity: 64 << 20,
		ReadLatency: c.Storage.ReadLatency, WriteLatency: c.Storage.WriteLatency, SyncLatency: c.Storage.SyncLatency,
	}
	off := 0
	for seed := range uint64(50) {
		s := c.ForSeed(rand.NewPCG(seed, 3))
		if s.Storage.ReadCorruptionProb == 0 {
			off++
			require.Equal(t, want, s.Storage, "seed %d: a disk whose faults swarm mode switched off is still the configured disk", seed)
		}
	}
	assert.Positive(t, off, "some seeds switch the disks' faults off")
	assert.Equal(t, want, c.Storage.NoFaults())
}

// Kills and pauses came after the presets' seeds were drawn: a preset
// with a kill or pause weight would draw its seeds' reboots anew.
func TestPresetsHaveNoKills(t *testing.T) {
	for name, c := range map[string]Config{"Defaults": Defaults(), "Harsh": Harsh(), "Off": Off(), "Random": Random()} {
		assert.Zero(t, c.Attrition.Kill, name)
		assert.Zero(t, c.Attrition.Pause, name)
	}
	assert.Zero(t, DefaultAttrition().Kill)
	assert.Zero(t, DefaultAttrition().Pause)
}

func TestSwarmKeepsKillsAmongTheKinds(t *testing.T) {
	c := Defaults()
	c.Attrition.Swarm = true
	c.Attrition.Kill = 1
	only := 0
	for seed := range uint64(200) {
		a := c.ForSeed(rand.NewPCG(seed, 3)).Attrition
		if a.Enabled && a.Kill > 0 && a.Graceful+a.Crash+a.Wipe+a.PowerLoss == 0 {
			only++
		}
	}
	assert.Positive(t, only, "some seeds reboot by kills only")
}

func TestSwarmKeepsPausesAmongTheKinds(t *testing.T) {
	c := Defaults()
	c.Attrition.Swarm = true
	c.Attrition.Pause = 1
	only, none := 0, 0
	for seed := range uint64(200) {
		a := c.ForSeed(rand.NewPCG(seed, 3)).Attrition
		switch {
		case !a.Enabled:
		case a.Pause > 0 && a.Graceful+a.Crash+a.Wipe+a.PowerLoss+a.Kill == 0:
			only++
		case a.Pause == 0:
			none++
		}
	}
	assert.Positive(t, only, "some seeds only pause")
	assert.Positive(t, none, "some seeds never pause")
}
