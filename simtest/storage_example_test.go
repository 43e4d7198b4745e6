package simtest_test

import (
	"io/fs"
	"os"
	"testing"

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
