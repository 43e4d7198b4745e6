package providers_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

func openOS(t *testing.T) (*providers.OSStorage, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := providers.OpenOSStorage(dir)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func TestOSStorageFiles(t *testing.T) {
	st, dir := openOS(t)
	assert.Equal(t, dir, st.Dir())
	require.NoError(t, st.MkdirAll("wal/segments", 0o755))
	f, err := st.OpenFile("wal/segments/000001", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte("record one\n"))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	_, err = f.WriteAt([]byte("RECORD"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	data, err := os.ReadFile(filepath.Join(dir, "wal", "segments", "000001"))
	require.NoError(t, err)
	assert.Equal(t, "RECORD one\n", string(data), "the files are real files in the directory")

	require.NoError(t, st.Rename("wal/segments/000001", "wal/000001"))
	fi, err := st.Stat("wal/000001")
	require.NoError(t, err)
	assert.Equal(t, int64(11), fi.Size())
	entries, err := st.ReadDir("wal")
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "000001", entries[0].Name())
	assert.Equal(t, "segments", entries[1].Name())

	g, err := st.Open("wal/000001")
	require.NoError(t, err)
	all, err := io.ReadAll(g)
	require.NoError(t, err)
	assert.Equal(t, "RECORD one\n", string(all))
	_, err = g.Write([]byte("x"))
	assert.Error(t, err, "opened read-only")
	require.NoError(t, g.Close())
	_, err = g.Read(make([]byte, 1))
	assert.ErrorIs(t, err, fs.ErrClosed)

	c, err := st.Create("wal/000001")
	require.NoError(t, err)
	fi, err = c.Stat()
	require.NoError(t, err)
	assert.Zero(t, fi.Size(), "Create truncates")
	require.NoError(t, c.Close())

	assert.ErrorIs(t, st.Remove("wal"), fs.ErrExist, "not empty")
	require.NoError(t, st.Remove("wal/000001"))
	require.NoError(t, st.Remove("wal/segments"))
	require.NoError(t, st.Remove("wal"))
	_, err = st.Stat("wal")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, st.Mkdir("a/b", 0o755), fs.ErrNotExist)
}

func TestOSStorageRefusesEscapes(t *testing.T) {
	st, dir := openOS(t)
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600))

	for _, name := range []string{"../secret", "/etc/passwd", "a/../../secret", ".."} {
		_, err := st.Open(name)
		assert.ErrorIs(t, err, providers.ErrOutsideRoot, name)
		_, err = st.Create(name)
		assert.ErrorIs(t, err, providers.ErrOutsideRoot, name)
		assert.ErrorIs(t, st.Remove(name), providers.ErrOutsideRoot, name)
		assert.ErrorIs(t, st.Rename("x", name), providers.ErrOutsideRoot, name)
		_, err = st.Stat(name)
		assert.ErrorIs(t, err, providers.ErrOutsideRoot, name)
	}
	if runtime.GOOS != "windows" {
		// A symbolic link out of the root is refused by os.Root.
		require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")))
		_, err := st.Open("link")
		assert.Error(t, err, "a link out of the root does not open")
	}
}

func TestOSStorageBadInput(t *testing.T) {
	st, _ := openOS(t)
	_, err := st.OpenFile("f", os.O_RDWR|os.O_CREATE|0x40000000, 0o644)
	assert.ErrorIs(t, err, fs.ErrInvalid)
	assert.Contains(t, err.Error(), "unsupported open flags")
	_, err = st.OpenFile("f", os.O_WRONLY|os.O_RDWR|os.O_CREATE, 0o644)
	assert.ErrorIs(t, err, fs.ErrInvalid)
	_, err = st.Open("")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	f, err := st.Create("f")
	require.NoError(t, err)
	_, err = f.ReadAt(make([]byte, 1), -1)
	assert.Error(t, err)
	_, err = f.WriteAt([]byte("x"), -1)
	assert.Error(t, err)
	require.NoError(t, f.Close())
	assert.ErrorIs(t, f.Sync(), fs.ErrClosed)

	_, err = providers.OpenOSStorage(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorContains(t, err, "os.MkdirAll")
}

func TestOSStorageOpensDirectoriesToSync(t *testing.T) {
	st, _ := openOS(t)
	require.NoError(t, st.Mkdir("d", 0o755))
	d, err := st.Open("d")
	require.NoError(t, err)
	require.NoError(t, d.Sync())
	require.NoError(t, d.Close())
	_, err = st.OpenFile("d", os.O_RDWR, 0)
	assert.ErrorIs(t, err, syscall.EISDIR)
}

func TestStorageFS(t *testing.T) {
	st, _ := openOS(t)
	require.NoError(t, st.MkdirAll("dir/sub", 0o755))
	for name, data := range map[string]string{"top.txt": "top", "dir/a.txt": "a", "dir/sub/b.txt": "bbb"} {
		f, err := st.Create(name)
		require.NoError(t, err)
		_, err = f.Write([]byte(data))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	fsys := providers.StorageFS(st)
	require.NoError(t, fstest.TestFS(fsys, "top.txt", "dir/a.txt", "dir/sub/b.txt"))

	_, err := fsys.Open("../x")
	assert.ErrorIs(t, err, fs.ErrInvalid, "io/fs names are stricter than Storage names")
	got, err := fs.ReadFile(fsys, "dir/sub/b.txt")
	require.NoError(t, err)
	assert.Equal(t, "bbb", string(got))
}

// A file of an OSStorage is an *os.File underneath: its descriptor is
// there for what the Storage does not do (mmap, fallocate), and only its
// Name differs, relative to the root.
func TestOSStorageFilesKeepTheirDescriptor(t *testing.T) {
	st, _ := openOS(t)
	f, err := st.Create("x")
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, "x", f.Name())
	fd, ok := f.(interface{ Fd() uintptr })
	require.True(t, ok, "a file has Fd")
	assert.NotEqual(t, ^uintptr(0), fd.Fd(), "an open file has a descriptor")
}
