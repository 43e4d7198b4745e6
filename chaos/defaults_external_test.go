package chaos_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/moonpool-go/moonpool/chaos"
)

// The presets' values, written out as the field comments, docs/network.md,
// docs/storage.md, docs/reboots.md and docs/buggify.md state them: a
// preset that drifts from its documentation fails here.

func TestDefaultNetworkIsWhatItsDocsSay(t *testing.T) {
	want := chaos.Network{
		Latency: chaos.Latency{
			Shape:    chaos.LatencyUniform,
			Fast:     chaos.Range{Min: 50 * time.Microsecond, Max: 400 * time.Microsecond},
			SlowProb: 0.001,
			Slow:     chaos.Range{Min: 50 * time.Microsecond, Max: 50 * time.Millisecond},
		},
		MaxPairLatency:       500 * time.Microsecond,
		SendBuffer:           64 << 10,
		Backlog:              128,
		PartitionInterval:    60 * time.Second,
		PartitionDuration:    chaos.Range{Min: 200 * time.Millisecond, Max: 2 * time.Second},
		PartitionOneWayProb:  0.25,
		ClogProb:             0.0001,
		ClogDuration:         chaos.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond},
		CloseProb:            0.00001,
		CloseCooldown:        5 * time.Second,
		CloseExplicitProb:    0.3,
		PartialReadProb:      0.01,
		PartialWriteProb:     0.01,
		BitFlipProb:          0,
		ConnectFailProb:      0.01,
		ConnectHangProb:      0.5,
		MaxClockSkew:         100 * time.Millisecond,
		MaxClockDrift:        50e-6,
		SleepDelayProb:       0.25,
		MaxSleepDelay:        100 * time.Millisecond,
		MaxDatagramSize:      1472,
		DatagramBuffer:       208 << 10,
		DatagramLossProb:     0.01,
		DatagramDupProb:      0.001,
		DatagramReorderProb:  0.01,
		DatagramReorderDelay: chaos.Range{Min: time.Millisecond, Max: 10 * time.Millisecond},
	}
	if d := cmp.Diff(want, chaos.DefaultNetwork()); d != "" {
		t.Errorf("DefaultNetwork differs from its docs (-docs +code):\n%s", d)
	}
	noFaults := chaos.Network{
		Latency:         chaos.Latency{Fast: want.Latency.Fast},
		SendBuffer:      want.SendBuffer,
		Backlog:         want.Backlog,
		MaxDatagramSize: want.MaxDatagramSize,
		DatagramBuffer:  want.DatagramBuffer,
	}
	if d := cmp.Diff(noFaults, chaos.NoNetworkFaults()); d != "" {
		t.Errorf("NoNetworkFaults differs from its docs (-docs +code):\n%s", d)
	}
}

func TestDefaultStorageIsWhatItsDocsSay(t *testing.T) {
	want := chaos.Storage{
		IOPS:                 25_000,
		Bandwidth:            150_000_000,
		ReadLatency:          chaos.Range{Min: 50 * time.Microsecond, Max: 200 * time.Microsecond},
		WriteLatency:         chaos.Range{Min: 100 * time.Microsecond, Max: 500 * time.Microsecond},
		SyncLatency:          chaos.Range{Min: time.Millisecond, Max: 5 * time.Millisecond},
		ReadCorruptionProb:   0.001,
		WriteCorruptionProb:  0.001,
		MisdirectedReadProb:  0.0001,
		MisdirectedWriteProb: 0.0001,
		PhantomWriteProb:     0.0002,
		SyncFailureProb:      0.0005,
		TornWriteProb:        0.5,
		Stall:                chaos.StorageEpisode{Prob: 0.0001, Duration: chaos.Range{Min: 10 * time.Millisecond, Max: time.Second}},
		Throttle:             chaos.StorageEpisode{Prob: 0.0001, Duration: chaos.Range{Min: 100 * time.Millisecond, Max: 5 * time.Second}},
		ThrottleFactor:       10,
		UnwrittenGarbage:     true,
	}
	if d := cmp.Diff(want, chaos.DefaultStorage()); d != "" {
		t.Errorf("DefaultStorage differs from its docs (-docs +code):\n%s", d)
	}
}

func TestPresetConfigsAreWhatTheirDocsSay(t *testing.T) {
	attrition := chaos.Attrition{
		Enabled:  true,
		MaxDead:  1,
		Unit:     chaos.Process,
		Graceful: 2, Crash: 2, Wipe: 0, PowerLoss: 1,
		Interval: chaos.Range{Min: time.Second, Max: 5 * time.Second},
		DownFor:  chaos.Range{Min: time.Second, Max: 10 * time.Second},
		Grace:    chaos.Range{Min: 2 * time.Second, Max: 5 * time.Second},
		PauseFor: chaos.Range{Min: 200 * time.Millisecond, Max: 5 * time.Second},
	}
	buggify := chaos.BuggifyConfig{Enabled: true, ActivationProb: 0.5, FireProb: 0.25}
	defaults := chaos.Config{
		Network:   chaos.DefaultNetwork(),
		Storage:   chaos.DefaultStorage(),
		Attrition: attrition,
		Buggify:   buggify,
	}
	if d := cmp.Diff(defaults, chaos.Defaults()); d != "" {
		t.Errorf("Defaults differs from its docs (-docs +code):\n%s", d)
	}

	harsh := defaults
	harsh.Attrition.Wipe = 1
	harsh.Network.BitFlipProb = 0.0001
	if d := cmp.Diff(harsh, chaos.Harsh()); d != "" {
		t.Errorf("Harsh differs from its docs (-docs +code):\n%s", d)
	}

	random := defaults
	random.Randomize = true
	if d := cmp.Diff(random, chaos.Random()); d != "" {
		t.Errorf("Random differs from its docs (-docs +code):\n%s", d)
	}

	off := chaos.Config{Network: chaos.NoNetworkFaults(), Storage: chaos.NoStorageFaults()}
	if d := cmp.Diff(off, chaos.Off()); d != "" {
		t.Errorf("Off differs from its docs (-docs +code):\n%s", d)
	}
}
