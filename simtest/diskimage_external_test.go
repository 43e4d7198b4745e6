package simtest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// logV1 is release 1 of a process that keeps a log: it appends a record
// every few milliseconds and syncs every third, ignoring the disk's
// failures, as a store that retries would.
func logV1(id simtest.ProcessID) simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		f, err := p.Storage.OpenFile("log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return providers.Wait(ctx, p.Task)
		}
		for i := 0; ; i++ {
			_, _ = fmt.Fprintf(f, "v1 %s boot %d record %d\n", id.Name, id.Boot, i)
			if i%3 == 2 {
				_ = f.Sync()
			}
			if err := p.Time.Sleep(ctx, time.Duration(1+p.Random.IntN(20))*time.Millisecond); err != nil {
				return nil
			}
		}
	})
}

// logV2 is the current release: it reads the log release 1 left and
// notes each boot's count of its records in read, or the error it met.
func logV2(read map[string][]string) func(simtest.ProcessID) simtest.Process {
	return func(id simtest.ProcessID) simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			data, err := fs.ReadFile(providers.StorageFS(p.Storage), "log")
			note := fmt.Sprint(err)
			if err == nil {
				lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
				whole := 0
				for _, l := range lines {
					if strings.HasPrefix(l, "v1 "+id.Name+" ") {
						whole++
					}
				}
				note = fmt.Sprintf("%d v1 records", whole)
			}
			read[id.Name] = append(read[id.Name], note)
			return providers.Wait(ctx, p.Task)
		})
	}
}

// saveV1 runs release 1 in seed 42 under the disks' faults, stops kv-0
// gracefully and crashes kv-1, and returns each disk's image.
func saveV1(t *testing.T) map[string][]byte {
	t.Helper()
	images := map[string][]byte{}
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "kv", Count: 2, NewFor: logV1})
		s.Sleep(2 * time.Second)
		c.Stop("kv-0", simtest.Graceful)
		c.Stop("kv-1", simtest.Crash) // a crashed image: unsynced records lost, or torn
		for _, name := range c.Group("kv") {
			var b bytes.Buffer
			require.NoError(s, s.Disk(name).Save(&b))
			images[name] = b.Bytes()
		}
	}, simtest.Replay(42), simtest.Chaos(chaos.Off()), simtest.Storage(chaos.DefaultStorage()))
	require.Zero(t, res.Failed)
	return images
}

// The same seed saves the same bytes, and a later release booted on the
// images reads release 1's files, with the same trace every time.
func TestDiskImagesCarryAReleasesFilesToTheNext(t *testing.T) {
	images := saveV1(t)
	require.Len(t, images, 2)
	assert.Empty(t, cmp.Diff(images, saveV1(t)), "a seed saves the same images every time")

	boot := func() (simtest.Result, map[uint64]map[string][]string) {
		reads := map[uint64]map[string][]string{}
		res := simtest.Simulate(func(s *simtest.S) {
			read := map[string][]string{}
			for _, name := range []string{"kv-0", "kv-1"} {
				require.NoError(s, s.Disk(name).Load(bytes.NewReader(images[name])))
			}
			s.Boot(simtest.Processes{Name: "kv", Count: 2, NewFor: logV2(read)})
			s.Sleep(time.Second)
			reads[s.Seed()] = read
		}, simtest.Seeds(4), simtest.Storage(chaos.NoStorageFaults()), simtest.CheckDeterminism())
		require.Zero(t, res.Failed)
		return res, reads
	}
	first, reads := boot()
	again, _ := boot()
	require.Len(t, first.PerSeed, 4)
	for i, sr := range first.PerSeed {
		assert.Equal(t, sr.Trace, again.PerSeed[i].Trace, "seed %d loads the same bytes and runs the same trace", sr.Seed)
		read := reads[sr.Seed]
		require.Len(t, read["kv-0"], 1)
		assert.Regexp(t, `^[1-9]\d* v1 records$`, read["kv-0"][0], "release 2 reads what release 1 wrote")
		assert.Regexp(t, `^\d+ v1 records$`, read["kv-1"][0])
	}
}

// A Topology machine's disk is addressed by the machine's name, and its
// processes boot on the image loaded there.
func TestDiskLoadOnAMachine(t *testing.T) {
	var image bytes.Buffer
	res := simtest.Simulate(func(s *simtest.S) {
		writeAll(s, s.Storage(), "log", "v1 kv-0 boot 1 record 0\nv1 kv-1 boot 1 record 0\n", true)
		require.NoError(s, s.Disk(simtest.DriverDisk).Save(&image))
	}, simtest.Seeds(1))
	require.Zero(t, res.Failed)

	res = simtest.Simulate(func(s *simtest.S) {
		read := map[string][]string{}
		require.NoError(s, s.Disk("dc0-z0-m0").Load(bytes.NewReader(image.Bytes())))
		s.Boot(simtest.Processes{Name: "kv", Count: 2, Topology: simtest.Topology{PerMachine: 2}, NewFor: logV2(read)})
		s.Sleep(time.Second)
		assert.Equal(s, map[string][]string{"kv-0": {"1 v1 records"}, "kv-1": {"1 v1 records"}}, read)
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	assert.Zero(t, res.Failed)
}

// Load refuses while a process has a file open, and names the fix.
func TestDiskLoadRefusesWhileAProcessRuns(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "kv", NewFor: logV1})
		s.Sleep(time.Second)
		err := s.Disk("kv-0").Load(strings.NewReader("x"))
		require.Error(s, err)
		assert.Equal(s, "simtest: Disk.Load: disk kv-0: 1 file (log) is open; load the image before the processes that use the disk boot, or take them down first", err.Error())

		c.Stop("kv-0", simtest.Graceful)
		var b bytes.Buffer
		require.NoError(s, s.Disk("kv-0").Save(&b))
		require.NoError(s, s.Disk("kv-0").Load(&b))
		c.Start("kv-0") // appends to the log it left
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	assert.Zero(t, res.Failed)
}

// Save refuses under LoseUnsyncedDirectories while changes are pending,
// and the error says what to do.
func TestDiskSaveRefusesUndurableNamespaces(t *testing.T) {
	cfg := chaos.NoStorageFaults()
	cfg.LoseUnsyncedDirectories = true
	res := simtest.Simulate(func(s *simtest.S) {
		writeAll(s, s.Storage(), "a", "x", true)
		err := s.Disk(simtest.DriverDisk).Save(io.Discard)
		require.Error(s, err)
		assert.Contains(s, err.Error(), "simtest: Disk.Save: disk driver: 1 namespace change")
		s.Disk(simtest.DriverDisk).Stop()
		require.NoError(s, s.Disk(simtest.DriverDisk).Save(io.Discard))
	}, simtest.Seeds(1), simtest.Storage(cfg))
	assert.Zero(t, res.Failed)
}

// A Load draws nothing from the seed's stream: what the seed draws after
// it is what it draws without it, though the trace hears the load.
func TestDiskLoadDrawsNothing(t *testing.T) {
	var image bytes.Buffer
	res := simtest.Simulate(func(s *simtest.S) {
		writeAll(s, s.Storage(), "a", "from another binary", true)
		require.NoError(s, s.Storage().MkdirAll("d/e", 0o755))
		require.NoError(s, s.Disk(simtest.DriverDisk).Save(&image))
	}, simtest.Seeds(1))
	require.Zero(t, res.Failed)

	draws := func(load bool) ([]uint64, uint64) {
		var got []uint64
		res := simtest.Simulate(func(s *simtest.S) {
			if load {
				require.NoError(s, s.Disk("db").Load(bytes.NewReader(image.Bytes())))
			}
			for range 3 {
				got = append(got, s.Providers().Random.Uint64())
			}
		}, simtest.Replay(5))
		require.Zero(t, res.Failed)
		return got, res.PerSeed[0].Trace
	}
	loaded, loadedTrace := draws(true)
	plain, plainTrace := draws(false)
	assert.Equal(t, plain, loaded)
	assert.NotEqual(t, plainTrace, loadedTrace, "the trace hears the load")
}
