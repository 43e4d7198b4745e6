package simtest_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A write that was synced survives a crash; one that was not is gone.
func ExampleS_Disk() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		disk := s.Disk("db")
		st := disk.Storage() // hand this to the code under test

		f, err := st.OpenFile("data", os.O_WRONLY|os.O_CREATE, 0o644)
		require.NoError(s, err)
		_, err = f.Write([]byte("durable"))
		require.NoError(s, err)
		require.NoError(s, f.Sync())
		_, err = f.Write([]byte(" and lost"))
		require.NoError(s, err)

		disk.Crash()

		got, err := fs.ReadFile(providers.StorageFS(st), "data")
		require.NoError(s, err)
		assert.Equal(s, "durable", string(got))
	}, simtest.Storage(chaos.NoStorageFaults()))
}

// A kill of the disk's process keeps what it wrote and did not sync, as
// the page cache does; a crash after it loses that write all the same.
func ExampleDisk_Kill() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		disk := s.Disk("db")
		st := disk.Storage()

		f, err := st.Create("data")
		require.NoError(s, err)
		_, err = f.Write([]byte("unsynced"))
		require.NoError(s, err)

		disk.Kill()
		_, err = f.Write([]byte(" more"))
		assert.ErrorIs(s, err, fs.ErrClosed, "the process that opened it is gone")
		got, err := fs.ReadFile(providers.StorageFS(st), "data")
		require.NoError(s, err)
		assert.Equal(s, "unsynced", string(got))

		disk.Crash()
		got, err = fs.ReadFile(providers.StorageFS(st), "data")
		require.NoError(s, err)
		assert.Empty(s, got)
		assert.Equal(s, 1, disk.Stats().Kills)
	}, simtest.Storage(chaos.NoStorageFaults()))
}

// The disks of every seed get the default faults but those a program that
// keeps one copy of its data cannot survive; the disk of "cache" gets none.
func ExampleStorage() {
	var t *testing.T // the test's own, in a real test function

	faults := chaos.DefaultStorage()
	faults.Off = []string{"write-corruption", "misdirected-write", "phantom-write"}
	simtest.Run(t, func(s *simtest.S) {
		// ... s.Disk("db").Storage(), s.Disk("cache").Storage() ...
	}, simtest.Storage(faults), simtest.DiskStorage("cache", chaos.NoStorageFaults()))
}

// A rename whose directory was not synced survives a crash when
// chaos.Storage.LoseUnsyncedDirectories is off, as in every preset; the
// disk counts it, and the crash's timeline entry names it, as one a real
// disk could have lost.
func ExampleDiskStats() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		disk := s.Disk("db")
		st := disk.Storage()

		f, err := st.Create("state.tmp")
		require.NoError(s, err)
		_, err = f.Write([]byte("new"))
		require.NoError(s, err)
		require.NoError(s, f.Sync())
		require.NoError(s, f.Close())
		require.NoError(s, st.Rename("state.tmp", "state"))
		// No sync of the directory ".": the bug.

		disk.Crash()
		got, err := fs.ReadFile(providers.StorageFS(st), "state")
		require.NoError(s, err)
		assert.Equal(s, "new", string(got))
		assert.Equal(s, 2, disk.Stats().KeptDirectoryChanges, "the create and the rename")
	}, simtest.Storage(chaos.NoStorageFaults()))
}

// A restarting test across releases. Once, while release 1 is still in the
// build, a run behind a flag saves its disks to testdata; from then on
// every seed boots the current release on them, and the workload's Check
// proves it still reads release 1's files. The image of a crash, not a
// graceful stop, is the torn case: c.Stop(name, simtest.Crash), then Save.
func ExampleDisk_Save() {
	var t *testing.T           // the test's own, in a real test function
	updateImages := false      // flag.Bool("update-images", false, "save release 1's disks to testdata") in a real test file
	kvV1, kv := waiter, waiter // release 1's process, and the current one

	dir := filepath.Join("testdata", "images", "v1")
	if updateImages { // go test -run TestUpgradeFromV1 -update-images
		saved := map[string][]byte{} // kept for after the Run: the body touches no real file
		simtest.Run(t, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: kvV1})
			c.Run(simtest.Phases{Chaos: 30 * time.Second}, idle{}) // release 1's workload
			for _, name := range c.Group("kv") {
				c.Stop(name, simtest.Graceful) // everything written is on the disk
			}
			for _, name := range c.Group("kv") {
				var image bytes.Buffer
				require.NoError(s, s.Disk(name).Save(&image))
				saved[name] = image.Bytes()
			}
		}, simtest.Replay(1)) // one seed's disks
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for name, image := range saved {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name+".tar"), image, 0o644))
		}
	}

	// Read once, loaded by every seed in the same order (Glob sorts): a
	// seed that loads the same bytes runs the same trace.
	paths, _ := filepath.Glob(filepath.Join(dir, "*.tar"))
	images := make([][]byte, len(paths))
	for i, path := range paths {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		images[i] = data
	}
	simtest.Run(t, func(s *simtest.S) {
		for i, path := range paths {
			name := strings.TrimSuffix(filepath.Base(path), ".tar")           // kv-0
			require.NoError(s, s.Disk(name).Load(bytes.NewReader(images[i]))) // before the processes boot
		}
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: kv})
		c.Run(simtest.Phases{Chaos: 30 * time.Second}, idle{}) // its Check reads release 1's data
	})
}
