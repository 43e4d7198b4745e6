package simdisk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

func TestCapacityRefusesTruncateNearMaxInt64(t *testing.T) {
	run(t, 1, chaos.Storage{Capacity: 4096}, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("a")
		require.NoError(t, err)
		for _, size := range []int64{math.MaxInt64, math.MaxInt64 - SectorSize + 2} {
			isNoSpace(t, f.Truncate(size))
		}
		fi, err := f.Stat()
		require.NoError(t, err)
		assert.Zero(t, fi.Size(), "a refused truncation leaves the size alone")
		_, err = f.Write(pattern(8192))
		isNoSpace(t, err)
	})
}

func TestLongNameIsRefused(t *testing.T) {
	run(t, 1, chaos.Storage{}, func(ctx context.Context, d *Disk, st providers.Storage) {
		_, err := st.Create(strings.Repeat("x", 256))
		assert.ErrorIs(t, err, syscall.ENAMETOOLONG)
		f, err := st.Create(strings.Repeat("x", 255))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	})
}

func TestCapacityCountsARemovedOpenFile(t *testing.T) {
	run(t, 1, chaos.Storage{Capacity: 4096}, func(ctx context.Context, d *Disk, st providers.Storage) {
		a, err := st.Create("a")
		require.NoError(t, err)
		_, err = a.Write(pattern(4096))
		require.NoError(t, err)
		require.NoError(t, st.Remove("a"))

		// As on a POSIX file system, the space of a removed file is free
		// only once its last handle closes.
		b, err := st.Create("b")
		require.NoError(t, err)
		_, err = b.Write([]byte("x"))
		isNoSpace(t, err)

		require.NoError(t, a.Close())
		_, err = b.Write([]byte("x"))
		assert.NoError(t, err)
	})
}

func TestNameWithNULIsRefused(t *testing.T) {
	run(t, 1, chaos.Storage{}, func(ctx context.Context, d *Disk, st providers.Storage) {
		_, err := st.Create("a\x00b")
		assert.ErrorIs(t, err, syscall.EINVAL, "as package os, which cannot pass the name to the system")
		_, err = st.Stat("a")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})
}

// renameRoot renames from and to the root on st, and returns each
// rename's error.
func renameRoot(t *testing.T, st providers.Storage) []error {
	require.NoError(t, st.Mkdir("d", 0o755))
	f, err := st.Create("f")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	var errs []error
	for _, c := range [][2]string{
		{"f", "."}, {"missing", "."}, {"d", "."}, {".", "x"}, {".", "d"},
		{".", "f"}, {".", "."}, {"nodir/x", "."}, {".", "nodir/x"},
	} {
		errs = append(errs, st.Rename(c[0], c[1]))
	}
	return errs
}

// againstOSStorage makes calls on an OSStorage and on a simulated disk,
// and hands compare the errors of each call on both.
func againstOSStorage(t *testing.T, calls func(*testing.T, providers.Storage) []error, compare func(i int, real, sim error)) {
	t.Helper()
	real, err := providers.OpenOSStorage(t.TempDir())
	require.NoError(t, err)
	defer real.Close()
	want := calls(t, real)
	run(t, 1, chaos.Storage{}, func(ctx context.Context, d *Disk, st providers.Storage) {
		got := calls(t, st)
		require.Len(t, got, len(want))
		for i := range want {
			compare(i, want[i], got[i])
		}
	})
}

func TestRenameRootFailsAsOSStorage(t *testing.T) {
	againstOSStorage(t, renameRoot, func(_ int, real, sim error) {
		var we, ge *os.LinkError
		require.ErrorAs(t, real, &we)
		require.ErrorAs(t, sim, &ge)
		assert.Equal(t, we.Err, ge.Err, "rename %q %q", we.Old, we.New)
	})
}

// invalidArguments makes on st the calls that Linux refuses with EINVAL,
// and returns their errors.
func invalidArguments(t *testing.T, st providers.Storage) []error {
	require.NoError(t, st.Mkdir("d", 0o755))
	f, err := st.Create("f")
	require.NoError(t, err)
	defer f.Close()
	_, badWhence := f.Seek(0, 7)
	_, negative := f.Seek(-1, io.SeekStart)
	_, farWrite := f.WriteAt([]byte("x"), math.MaxInt64)
	return []error{st.Remove("."), st.Rename("d", "d/x"), badWhence, negative, f.Truncate(-1), farWrite}
}

func TestInvalidArgumentsAreEINVALAsOnOSStorage(t *testing.T) {
	againstOSStorage(t, invalidArguments, func(i int, real, sim error) {
		require.ErrorIs(t, real, syscall.EINVAL, "OSStorage, call %d", i)
		assert.ErrorIs(t, sim, syscall.EINVAL, "call %d: %v", i, sim)
		assert.Equal(t, errors.Is(real, fs.ErrInvalid), errors.Is(sim, fs.ErrInvalid), "call %d: fs.ErrInvalid as on OSStorage", i)
	})
}
