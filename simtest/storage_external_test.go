package simtest_test

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func writeAll(s *simtest.S, st providers.Storage, name, data string, sync bool) {
	f, err := st.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(s, err)
	_, err = f.Write([]byte(data))
	require.NoError(s, err)
	if sync {
		require.NoError(s, f.Sync())
	}
	require.NoError(s, f.Close())
}

func TestStorageCrashAndRecover(t *testing.T) {
	r := runIn("TestStorage", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			d := s.Disk("db")
			st := d.Storage()
			writeAll(s, st, "synced", "kept", true)
			writeAll(s, st, "unsynced", "lost", false)
			d.Crash()
			got, err := fs.ReadFile(providers.StorageFS(st), "synced")
			require.NoError(s, err)
			assert.Equal(s, "kept", string(got))
			got, err = fs.ReadFile(providers.StorageFS(st), "unsynced")
			require.NoError(s, err)
			assert.Empty(s, got)
			assert.Equal(s, 1, d.Stats().Crashes)

			_, err = s.Storage().Stat("synced")
			assert.ErrorIs(s, err, fs.ErrNotExist, "the driver's disk is another disk")
			assert.Positive(s, s.Elapsed(), "disk operations take simulated time")
		}, simtest.Seeds(5), simtest.Storage(chaos.NoStorageFaults()), simtest.CheckDeterminism())
	})
	assert.False(t, r.failed, r.output())
}

func TestStorageFaultsShowInTheReport(t *testing.T) {
	r := runIn("TestPhantom", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			st := s.Storage()
			writeAll(s, st, "f", "important", true)
			got, err := fs.ReadFile(providers.StorageFS(st), "f")
			require.NoError(s, err)
			assert.Equal(s, "important", string(got))
		}, simtest.Seeds(3), simtest.Storage(chaos.Storage{PhantomWriteProb: 1}))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "disk driver: phantom-write: f: 9 bytes at 0 acknowledged, not stored")
}

func TestDiskStoragePerAddress(t *testing.T) {
	r := runIn("TestPerAddress", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assert.Equal(s, 1.0, s.Disk("flaky").Config().PhantomWriteProb)
			assert.Zero(s, s.Disk("solid").Config().PhantomWriteProb)
			assert.Equal(s, chaos.NoStorageFaults(), s.Disk("solid").Config())
			require.NoError(s, s.Disk("solid").SetConfig(chaos.Storage{}))
			assert.Zero(s, s.Disk("solid").Config().IOPS)
			assert.Error(s, s.Disk("solid").SetConfig(chaos.Storage{TornWriteProb: 2}))
			assert.Equal(s, "flaky", s.Disk("flaky").Addr())
		}, simtest.Seeds(1), simtest.Storage(chaos.NoStorageFaults()),
			simtest.DiskStorage("flaky", chaos.Storage{PhantomWriteProb: 1}))
	})
	assert.False(t, r.failed, r.output())
}

func TestStorageOptionsValidate(t *testing.T) {
	ran := false
	r := runIn("TestBadStorage", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { ran = true },
			simtest.Storage(chaos.Storage{ReadCorruptionProb: 1.5, Off: []string{"bit-rot"}}))
	})
	require.True(t, r.failed)
	assert.False(t, ran, "no seed runs")
	assert.Contains(t, r.output(), "simtest.Storage: chaos.Storage.ReadCorruptionProb is 1.5; a probability must be in [0, 1]")
	assert.Contains(t, r.output(), `chaos.Storage.Off names "bit-rot", which is not a storage fault`)

	r = runIn("TestBadDisk", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {}, simtest.DiskStorage("n1", chaos.Storage{IOPS: -1}))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), `simtest.DiskStorage("n1"): chaos.Storage.IOPS is -1`)
}

func TestStorageFollowsTheChaosConfiguration(t *testing.T) {
	r := runIn("TestChaosStorage", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assert.Equal(s, chaos.NoStorageFaults(), s.Disk("n1").Config(), "chaos.Off leaves the timing only")
			assert.Equal(s, s.ChaosConfig().Storage, s.Disk("n2").Config())
		}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
	})
	assert.False(t, r.failed, r.output())

	r = runIn("TestStorageAfterChaos", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assert.Equal(s, 1.0, s.Disk("n1").Config().SyncFailureProb)
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.Storage(chaos.Storage{SyncFailureProb: 1}))
	})
	assert.False(t, r.failed, r.output())
}

// replaceManifest replaces MANIFEST by writing a temporary file, syncing
// it and renaming it over, then syncing the directory if told to; then
// the disk loses power, and MANIFEST must hold what replaced it.
func replaceManifest(s *simtest.S, syncDir bool) {
	d := s.Disk("db")
	st := d.Storage()
	writeAll(s, st, "MANIFEST", "old", true)
	dir, err := st.Open(".")
	require.NoError(s, err)
	require.NoError(s, dir.Sync())
	writeAll(s, st, "MANIFEST.tmp", "new", true)
	require.NoError(s, st.Rename("MANIFEST.tmp", "MANIFEST"))
	if syncDir {
		require.NoError(s, dir.Sync())
	}
	require.NoError(s, dir.Close())
	d.Crash()
	got, err := fs.ReadFile(providers.StorageFS(st), "MANIFEST")
	require.NoError(s, err)
	assert.Equal(s, "new", string(got), "the replaced MANIFEST survives the crash")
}

func TestAForgottenDirectorySyncShowsInTheReport(t *testing.T) {
	faults := chaos.NoStorageFaults()
	faults.LoseUnsyncedDirectories = true
	r := runIn("TestManifest", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { replaceManifest(s, false) }, simtest.Seeds(30), simtest.Storage(faults))
	})
	require.True(t, r.failed, "the rename is lost on some seed")
	assert.Contains(t, r.output(), "disk db: unsynced-directory: crash lost the rename of MANIFEST.tmp to MANIFEST, over the file there (its directory was not synced after it)")

	r = runIn("TestManifest", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { replaceManifest(s, true) }, simtest.Seeds(30), simtest.Storage(faults), simtest.CheckDeterminism())
	})
	assert.False(t, r.failed, r.output())
	r = runIn("TestManifest", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { replaceManifest(s, false) }, simtest.Seeds(30), simtest.Storage(chaos.NoStorageFaults()))
	})
	assert.False(t, r.failed, "without the option a rename is durable at once: %s", r.output())
}

// A bad configuration given to a disk names the disk and the field, not a
// package the user never imported.
func TestDiskSetConfigErrorNamesTheDisk(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		bad := chaos.DefaultStorage()
		bad.ReadCorruptionProb = -1
		err := s.Disk("db").SetConfig(bad)
		require.Error(s, err)
		assert.True(s, strings.HasPrefix(err.Error(), `disk "db": chaos.Storage.ReadCorruptionProb is -1`), err.Error())
		assert.NotContains(s, err.Error(), "simdisk")
	}, simtest.Seeds(1))
	require.True(t, res.OK(), res.Report)
}
