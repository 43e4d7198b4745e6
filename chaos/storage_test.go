package chaos_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
)

func TestStoragePresetsValidate(t *testing.T) {
	for _, s := range []chaos.Storage{{}, chaos.DefaultStorage(), chaos.NoStorageFaults(), chaos.RandomStorage()} {
		assert.NoError(t, s.Validate())
	}
}

func TestNoStorageFaultsKeepsTheTimingOnly(t *testing.T) {
	d, n := chaos.DefaultStorage(), chaos.NoStorageFaults()
	assert.Equal(t, d.IOPS, n.IOPS)
	assert.Equal(t, d.SyncLatency, n.SyncLatency)
	n.IOPS, n.Bandwidth = 0, 0
	n.ReadLatency, n.WriteLatency, n.SyncLatency = chaos.Range{}, chaos.Range{}, chaos.Range{}
	assert.Equal(t, chaos.Storage{}, n, "every fault is off")
	assert.False(t, n.UnwrittenGarbage, "holes read as zeros, as POSIX says")
	assert.True(t, d.UnwrittenGarbage, "by default, never-written sectors read as garbage")
}

func TestStorageValidateNamesEachField(t *testing.T) {
	bad := chaos.Storage{
		IOPS:               -1,
		Bandwidth:          -2,
		ReadLatency:        chaos.Range{Min: 2 * time.Millisecond, Max: time.Millisecond},
		SyncLatency:        chaos.Range{Min: -1},
		ReadCorruptionProb: 1.5,
		TornWriteProb:      math.NaN(),
		Stall:              chaos.StorageEpisode{Prob: -0.1},
		Throttle:           chaos.StorageEpisode{Prob: 0.5},
		Off:                []string{"read-corruption", "gremlins"},
	}
	err := bad.Validate()
	require.Error(t, err)
	for _, want := range []string{
		"chaos.Storage.IOPS is -1; it must be zero (unlimited) or positive",
		"chaos.Storage.Bandwidth is -2 bytes per second",
		"chaos.Storage.ReadLatency is [2ms, 1ms]; Min must not be above Max",
		"chaos.Storage.SyncLatency is [-1ns, 0s]; durations must not be negative",
		"chaos.Storage.ReadCorruptionProb is 1.5; a probability must be in [0, 1]",
		"chaos.Storage.TornWriteProb is NaN",
		"chaos.Storage.Stall.Prob is -0.1",
		"chaos.Storage.ThrottleFactor is 0 but Throttle.Prob is 0.5; a throttled disk is slower, so ThrottleFactor must be at least 1 (or Throttle.Prob 0)",
		`chaos.Storage.Off names "gremlins", which is not a storage fault; the faults are read-corruption, write-corruption,`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), `"read-corruption", which`)
}

func TestEffectiveAppliesOff(t *testing.T) {
	s := chaos.DefaultStorage()
	s.Off = []string{"sync-failure", "stall"}
	e := s.Effective()
	assert.Zero(t, e.SyncFailureProb)
	assert.Zero(t, e.Stall.Prob)
	assert.Equal(t, s.ReadCorruptionProb, e.ReadCorruptionProb)
	assert.Nil(t, e.Off)
}

func TestDrawScalesEachFault(t *testing.T) {
	base := chaos.DefaultStorage()
	base.Off = []string{"phantom-write"}
	r := rand.New(rand.NewPCG(1, 2))
	off, on := 0, 0
	for range 1000 {
		d := base.Draw(r)
		assert.False(t, d.Randomize)
		assert.Equal(t, base.IOPS, d.IOPS, "the performance model is kept")
		assert.Equal(t, base.PhantomWriteProb, d.PhantomWriteProb, "a fault switched off draws nothing")
		require.NoError(t, d.Validate())
		assert.LessOrEqual(t, d.ReadCorruptionProb, 3*base.ReadCorruptionProb)
		assert.LessOrEqual(t, d.TornWriteProb, 1.0, "capped at 1")
		if d.SyncFailureProb == 0 {
			off++
		} else {
			on++
		}
	}
	assert.InDelta(t, 250, off, 60, "a quarter of disks lose each fault")
	assert.Positive(t, on)
}

func TestDrawIsDeterministic(t *testing.T) {
	a := chaos.RandomStorage().Draw(rand.New(rand.NewPCG(7, 7)))
	b := chaos.RandomStorage().Draw(rand.New(rand.NewPCG(7, 7)))
	assert.Equal(t, a, b)
}

func TestStorageFaultNames(t *testing.T) {
	names := chaos.StorageFaultNames()
	assert.Len(t, names, 11)
	names[0] = "changed"
	assert.Equal(t, "read-corruption", chaos.StorageFaultNames()[0], "a fresh slice each time")
	for _, n := range chaos.StorageFaultNames() {
		assert.NoError(t, chaos.Storage{Off: []string{n}}.Validate(), n)
	}
}

// A test that claims to survive crashes but not data loss at rest starts
// from the defaults and switches off, by name, what a single copy of the
// data cannot survive.
func ExampleStorage() {
	faults := chaos.DefaultStorage()
	faults.Off = []string{"write-corruption", "misdirected-write", "phantom-write"}
	fmt.Println(faults.Validate())

	faults.Off = append(faults.Off, "bitrot")
	fmt.Println(faults.Validate())
	// Output:
	// <nil>
	// chaos.Storage.Off names "bitrot", which is not a storage fault; the faults are read-corruption, write-corruption, misdirected-read, misdirected-write, phantom-write, sync-failure, torn-write, stall, throttle, full, unsynced-directory
}

// A disk reads its settings at every boot: making them effective
// allocates nothing, and checking them allocates once.
func TestStorageSettingsAllocateLittle(t *testing.T) {
	s := chaos.Harsh().Storage
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.Effective() }))
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { _ = s.Validate() }), 1.0)
}

func TestStorageEpisodeThatCanStartNeedsALength(t *testing.T) {
	for _, c := range []struct {
		set  func(s *chaos.Storage)
		want string
	}{
		{func(s *chaos.Storage) { s.Stall = chaos.StorageEpisode{Prob: 0.01} },
			"chaos.Storage.Stall.Duration is [0s, 0s] but Stall.Prob is 0.01; give stalls a positive length, or set Stall.Prob to 0 to turn them off"},
		{func(s *chaos.Storage) { s.Full = chaos.StorageEpisode{Prob: 1} },
			"chaos.Storage.Full.Duration is [0s, 0s] but Full.Prob is 1; give full disks a positive length, or set Full.Prob to 0 to turn them off"},
	} {
		s := chaos.DefaultStorage()
		c.set(&s)
		err := s.Validate()
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
	s := chaos.DefaultStorage()
	s.Full = chaos.StorageEpisode{Duration: chaos.Range{}} // off: no length needed
	assert.NoError(t, s.Validate())
}

func TestStorageCapacityHoldsAtLeastOneSector(t *testing.T) {
	for _, c := range []int64{1, 100, 511} {
		s := chaos.NoStorageFaults()
		s.Capacity = c
		err := s.Validate()
		require.Error(t, err, "capacity %d", c)
		assert.Contains(t, err.Error(), fmt.Sprintf("chaos.Storage.Capacity is %d bytes, less than one 512-byte sector, so no file could hold a byte; raise it to 512 or more, or set it to 0 for no limit", c))
	}
	for _, c := range []int64{0, 512, 1000} {
		s := chaos.NoStorageFaults()
		s.Capacity = c
		assert.NoError(t, s.Validate(), "capacity %d", c)
	}
}

func TestLoseUnsyncedDirectoriesIsOptIn(t *testing.T) {
	for name, s := range map[string]chaos.Storage{
		"DefaultStorage": chaos.DefaultStorage(), "NoStorageFaults": chaos.NoStorageFaults(),
		"RandomStorage": chaos.RandomStorage(), "Defaults": chaos.Defaults().Storage,
		"Harsh": chaos.Harsh().Storage, "Random": chaos.Random().Storage,
	} {
		assert.False(t, s.LoseUnsyncedDirectories, "%s leaves it off: it would change every existing run", name)
	}

	on := chaos.DefaultStorage()
	on.LoseUnsyncedDirectories = true
	require.NoError(t, on.Validate())
	r := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		assert.True(t, on.Draw(r).LoseUnsyncedDirectories, "Draw keeps it on")
		assert.False(t, chaos.RandomStorage().Draw(r).LoseUnsyncedDirectories, "Draw never switches it on")
	}
	// It draws nothing: the same stream gives the same intensities with it or without.
	a := on.Draw(rand.New(rand.NewPCG(5, 6)))
	b := chaos.DefaultStorage().Draw(rand.New(rand.NewPCG(5, 6)))
	a.LoseUnsyncedDirectories = false
	assert.Equal(t, b, a)

	assert.True(t, on.Effective().LoseUnsyncedDirectories)
	on.Off = []string{"unsynced-directory"}
	require.NoError(t, on.Validate())
	assert.False(t, on.Effective().LoseUnsyncedDirectories, "Off switches it off by name")
	assert.False(t, on.NoFaults().LoseUnsyncedDirectories)
}
