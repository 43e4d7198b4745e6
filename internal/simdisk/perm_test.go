package simdisk

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
)

// The outcomes below are Linux's for a process that owns the files and is
// not root (os.Root, run as uid 65534): the owner's bits decide.

func requireDenied(t *testing.T, err error, op, path string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.ErrorIs(t, err, syscall.EACCES)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, op, pe.Op)
	assert.Equal(t, path, pe.Path)
	assert.Equal(t, op+" "+path+": permission denied", err.Error())
}

func TestPermissionsOfFiles(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		// Created 0o444 and open for writing: a new file's open is not
		// checked against the mode it gets.
		f, err := st.OpenFile("ro", os.O_CREATE|os.O_WRONLY, 0o444)
		require.NoError(t, err)
		_, err = f.Write([]byte("sealed"))
		require.NoError(t, err)
		require.NoError(t, f.Close())

		_, err = st.OpenFile("ro", os.O_WRONLY, 0)
		requireDenied(t, err, "openat", "ro")
		_, err = st.OpenFile("ro", os.O_RDWR|os.O_CREATE, 0o644)
		requireDenied(t, err, "openat", "ro")
		_, err = st.OpenFile("ro", os.O_RDONLY|os.O_TRUNC, 0)
		requireDenied(t, err, "openat", "ro")
		_, err = st.Create("ro")
		requireDenied(t, err, "openat", "ro")
		_, err = st.OpenFile("ro", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		assert.ErrorIs(t, err, fs.ErrExist, "O_EXCL is checked first")
		assert.Equal(t, "sealed", string(readFile(t, st, "ro")), "a refused O_TRUNC leaves the data")

		// Write-only: reading is refused, writing is not.
		f, err = st.OpenFile("wo", os.O_CREATE|os.O_WRONLY, 0o200)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		_, err = st.Open("wo")
		requireDenied(t, err, "openat", "wo")
		f, err = st.OpenFile("wo", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		require.NoError(t, f.Close())

		// The file can still be renamed over and removed: that is its
		// directory's business.
		require.NoError(t, st.Rename("wo", "ro"))
		require.NoError(t, st.Remove("ro"))
	})
}

func TestPermissionsOfDirectories(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.Mkdir("ro", 0o500))
		_, err := st.Create("ro/x")
		requireDenied(t, err, "openat", "ro/x")
		requireDenied(t, st.Mkdir("ro/x", 0o755), "mkdirat", "ro/x")
		requireDenied(t, st.MkdirAll("ro/x/y", 0o755), "mkdirat", "ro/x")
		require.NoError(t, st.MkdirAll("ro", 0o755), "what exists is not made again")
		require.NoError(t, st.Rename("ro", "ro2"), "renaming it within its parent")
		_, err = st.ReadDir("ro2")
		require.NoError(t, err)

		// A file in it, put there as a chmod would leave it: removing
		// and renaming need the directory's w; reaching it needs x.
		require.NoError(t, st.Mkdir("d", 0o755))
		writeFile(t, st, "d/x", []byte("x"), false)
		require.NoError(t, st.Mkdir("d/sub", 0o755))
		dir := d.root.kids["d"]
		dir.mode = fs.ModeDir | 0o500
		requireDenied(t, st.Remove("d/x"), "removeat", "d/x")
		requireDenied(t, st.Remove("d/sub"), "removeat", "d/sub")
		assert.ErrorIs(t, st.Remove("d/missing"), fs.ErrNotExist, "a missing name is missing first")
		assert.ErrorIs(t, st.Mkdir("d/x", 0o755), fs.ErrExist, "an existing name exists first")
		for _, err := range []error{st.Rename("d/x", "y"), st.Rename("d/x", "d/y")} {
			var le *os.LinkError
			require.ErrorAs(t, err, &le)
			assert.ErrorIs(t, err, fs.ErrPermission)
			assert.Equal(t, "renameat d/x "+le.New+": permission denied", err.Error())
		}
		writeFile(t, st, "y", []byte("y"), false)
		assert.ErrorIs(t, st.Rename("y", "d/y"), fs.ErrPermission)
		f, err := st.OpenFile("d/x", os.O_RDWR, 0)
		require.NoError(t, err, "the files in it keep their own modes")
		require.NoError(t, f.Close())

		// No r: it cannot be listed or opened, and, as os.Root opens
		// each directory it passes through, nothing in it can be
		// reached either (the kernel alone would let x reach it).
		dir.mode = fs.ModeDir | 0o300
		_, err = st.ReadDir("d")
		requireDenied(t, err, "openat", "d")
		_, err = st.Open("d")
		requireDenied(t, err, "openat", "d")
		_, err = st.Stat("d/x")
		requireDenied(t, err, "statat", "d/x")

		// No x: nothing in it can be reached, though it can be stated.
		dir.mode = fs.ModeDir | 0o600
		_, err = st.Stat("d")
		require.NoError(t, err)
		_, err = st.Stat("d/x")
		requireDenied(t, err, "statat", "d/x")
		_, err = st.Open("d/sub/z")
		requireDenied(t, err, "openat", "d/sub/z")
		dir.mode = fs.ModeDir | 0o755

		// A directory moved to another parent changes its "..": it needs
		// its own w.
		d.root.kids["d"].kids["sub"].mode = fs.ModeDir | 0o500
		assert.ErrorIs(t, st.Rename("d/sub", "sub"), fs.ErrPermission)
		require.NoError(t, st.Rename("d/sub", "d/sub2"))
	})
}

// OSStorage's os.Root opens every directory a path passes through
// O_RDONLY|O_DIRECTORY, so each needs r as well as x: a -wx or --x
// directory refuses what plain Linux would let through it.
func TestADirectoryPassedThroughNeedsReadAndSearch(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		for _, m := range []fs.FileMode{0o300, 0o100} {
			p := fmt.Sprintf("d%03o", m)
			require.NoError(t, st.Mkdir(p, m))
			_, err := st.Create(p + "/x")
			requireDenied(t, err, "openat", p+"/x")
			requireDenied(t, st.Mkdir(p+"/y", 0o755), "mkdirat", p+"/y")
			requireDenied(t, st.MkdirAll(p+"/z/w", 0o755), "openat", p)
			requireDenied(t, st.Remove(p+"/missing"), "removeat", p+"/missing")
			_, err = st.Stat(p + "/missing")
			requireDenied(t, err, "statat", p+"/missing")
			writeFile(t, st, "g"+p, nil, false)
			err = st.Rename("g"+p, p+"/g")
			assert.ErrorIs(t, err, fs.ErrPermission)
			assert.Equal(t, "renameat g"+p+" "+p+"/g: permission denied", err.Error())
			_, err = st.Stat(p)
			require.NoError(t, err, "the directory itself is reached through the root")
		}

		// MkdirAll makes the first and cannot open it to go on.
		requireDenied(t, st.MkdirAll("m300/a/b", 0o300), "openat", "m300")
		requireDenied(t, st.MkdirAll("m100/a/b", 0o100), "openat", "m100")
		fi, err := st.Stat("m300")
		require.NoError(t, err)
		assert.Equal(t, fs.ModeDir|0o300, fi.Mode())
		require.NoError(t, st.MkdirAll("m700/a/b", 0o700))

		// A directory with r but no x is opened, and what is made in it
		// is refused by the mkdirat, as os.Root's MkdirAll names it.
		require.NoError(t, st.Mkdir("r", 0o700))
		d.root.kids["r"].mode = fs.ModeDir | 0o600
		requireDenied(t, st.MkdirAll("r/a", 0o755), "mkdirat", "r/a")
		requireDenied(t, st.MkdirAll("r/a/b", 0o755), "openat", "r/a")
	})
}

func TestUmask(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "created", nil, false)
		f, err := st.OpenFile("all", os.O_CREATE|os.O_WRONLY, 0o777)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.NoError(t, st.Mkdir("dir", 0o777))
		require.NoError(t, st.MkdirAll("a/b", 0o775))
		want := map[string]fs.FileMode{
			"created": 0o644, "all": 0o755,
			"dir": fs.ModeDir | 0o755, "a": fs.ModeDir | 0o755, "a/b": fs.ModeDir | 0o755,
		}
		for name, mode := range want {
			fi, err := st.Stat(name)
			require.NoError(t, err)
			assert.Equal(t, mode, fi.Mode(), name)
			assert.Equal(t, mode.String(), fi.Mode().String(), name)
		}
	})
}
