package simdisk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
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
)

// entry is a tar entry as a test compares it.
type entry struct {
	Name    string
	Type    byte
	Mode    int64
	Size    int64
	Data    string
	ModTime time.Time
	Uid     int
	Uname   string
}

func entries(t *testing.T, image []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(image))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		out = append(out, entry{hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Size, string(data), hdr.ModTime.UTC(), hdr.Uid, hdr.Uname})
	}
}

// mkTar makes an archive of hdrs, each file's data its Linkname's bytes
// when the header is a regular file.
func mkTar(t *testing.T, hdrs ...tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		data := ""
		if h.Typeflag == tar.TypeReg {
			data, h.Linkname = h.Linkname, ""
			h.Size = int64(len(data))
		}
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write([]byte(data))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return b.Bytes()
}

func save(t *testing.T, d *Disk) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, d.Save(&b))
	return b.Bytes()
}

// The image holds the durable namespace in path order, directories first,
// with permission bits and synced bytes, and no time, owner or name that
// varies.
func TestSaveWritesTheDurableImage(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.MkdirAll("db/wal", 0o750))
		writeFile(t, st, "db/wal/000001.log", []byte("record one"), true)
		writeFile(t, st, "db/CURRENT", []byte("MANIFEST-1\n"), true)
		writeFile(t, st, "LOCK", nil, true)
		writeFile(t, st, "unsynced", []byte("gone at a crash"), false)

		// Synced, then grown and truncated without a sync: the image keeps
		// the synced bytes.
		f, err := st.OpenFile("grown", os.O_RDWR|os.O_CREATE, 0o600)
		require.NoError(t, err)
		_, err = f.Write([]byte("synced"))
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		_, err = f.Write([]byte(" and not"))
		require.NoError(t, err)
		require.NoError(t, f.Truncate(2))

		want := []entry{
			{Name: "LOCK", Type: tar.TypeReg, Mode: 0o644},
			{Name: "db/", Type: tar.TypeDir, Mode: 0o750},
			{Name: "db/CURRENT", Type: tar.TypeReg, Mode: 0o644, Size: 11, Data: "MANIFEST-1\n"},
			{Name: "db/wal/", Type: tar.TypeDir, Mode: 0o750},
			{Name: "db/wal/000001.log", Type: tar.TypeReg, Mode: 0o644, Size: 10, Data: "record one"},
			{Name: "grown", Type: tar.TypeReg, Mode: 0o600, Size: 6, Data: "synced"},
			{Name: "unsynced", Type: tar.TypeReg, Mode: 0o644},
		}
		for i := range want {
			want[i].ModTime = time.Unix(0, 0).UTC()
		}
		saved := save(t, d)
		assert.Empty(t, cmp.Diff(want, entries(t, saved)), "a Save with a file open")
		assert.Equal(t, "gone at a crash", string(readFile(t, st, "unsynced")), "Save changes nothing on the disk")

		// A graceful stop makes everything written durable.
		d.Stop()
		want[5].Size, want[5].Data = 2, "sy"
		want[6].Size, want[6].Data = 15, "gone at a crash"
		assert.Empty(t, cmp.Diff(want, entries(t, save(t, d))), "a Save after a stop")
	})
}

// What Save wrote, Load brings back on another disk, in another run: the
// files, their bytes and permission bits, empty directories too.
func TestLoadRestoresWhatSaveWrote(t *testing.T) {
	var image []byte
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.MkdirAll("a/empty", 0o700))
		writeFile(t, st, "a/big", bytes.Repeat([]byte("0123456789"), 1000), true)
		f, err := st.OpenFile("a/ro", os.O_WRONLY|os.O_CREATE, 0o444)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		image = save(t, d)
	})
	res := run(t, 2, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "old", []byte("erased by the load"), true)
		require.NoError(t, d.Load(bytes.NewReader(image)))

		assert.Equal(t, bytes.Repeat([]byte("0123456789"), 1000), readFile(t, st, "a/big"))
		fi, err := st.Stat("a/ro")
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o444), fi.Mode())
		fi, err = st.Stat("a/empty")
		require.NoError(t, err)
		assert.Equal(t, fs.ModeDir|0o700, fi.Mode())
		_, err = st.Stat("old")
		assert.ErrorIs(t, err, fs.ErrNotExist)

		d.Crash()
		assert.Len(t, readFile(t, st, "a/big"), 10000, "a loaded file is durable")
		assert.Equal(t, image, save(t, d), "the loaded disk saves to the same bytes")
	})
	assert.Contains(t, timeline(res), "disk n1: load: the image's 2 files and 2 directories (10000 bytes) replace every file")
}

// A disk whose never-written sectors hold garbage saves it as a read
// returns it; the same seed saves the same bytes every time.
func TestSaveIsDeterministic(t *testing.T) {
	cfg := chaos.NoStorageFaults()
	cfg.UnwrittenGarbage = true
	image := func(seed uint64) []byte {
		var out []byte
		run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			f, err := st.Create("sparse")
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("end"), 3000)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			require.NoError(t, f.Close())
			writeFile(t, st, "b", []byte("data"), true)
			d.Crash()
			got := readFile(t, st, "sparse")
			out = save(t, d)
			assert.Equal(t, string(got), entries(t, out)[1].Data, "a hole saves as it reads")
		})
		return out
	}
	first := image(7)
	assert.Equal(t, first, image(7))
	assert.NotEqual(t, first, image(8), "garbage depends on the seed")
}

// A crash first makes the image what the crash kept, torn writes too.
func TestSaveAfterACrashKeepsTornWrites(t *testing.T) {
	cfg := chaos.Storage{TornWriteProb: 1}
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "wal", []byte("synced|"), true)
		f, err := st.OpenFile("wal", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("torn"))
		require.NoError(t, err)
		d.Crash()
		got := entries(t, save(t, d))
		require.Len(t, got, 1)
		assert.Equal(t, "synced|torn", got[0].Data)
	})
}

func TestSaveRefusesPendingNamespaceChanges(t *testing.T) {
	cfg := chaos.Storage{LoseUnsyncedDirectories: true}
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "a", []byte("x"), true)
		err := d.Save(io.Discard)
		require.Error(t, err)
		assert.Equal(t, "disk n1: 1 namespace change whose directories were not synced may be undone by a crash, so the disk has no one durable image (LoseUnsyncedDirectories is on); Stop or Crash the disk before Save, or sync the directories", err.Error())

		dir, err := st.Open(".")
		require.NoError(t, err)
		require.NoError(t, dir.Sync())
		require.NoError(t, dir.Close())
		got := entries(t, save(t, d))
		require.Len(t, got, 1)
		assert.Equal(t, "x", got[0].Data)
	})
}

func TestLoadRefusesWhileFilesAreOpen(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		image := save(t, d)
		p := d.Process()
		f, err := p.Storage().Create("held")
		require.NoError(t, err)
		err = d.Load(bytes.NewReader(image))
		require.Error(t, err)
		assert.Equal(t, "disk n1: 1 file (held) is open; load the image before the processes that use the disk boot, or take them down first", err.Error())
		_, err = f.Write([]byte("still works"))
		require.NoError(t, err)

		p.Exit() // the process went down
		require.NoError(t, d.Load(bytes.NewReader(image)))
		_, err = st.Stat("held")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})
}

func TestLoadRefusesBadImages(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(mkTar(t, tar.Header{Name: "a", Typeflag: tar.TypeReg}))
	require.NoError(t, zw.Close())
	file := func(name, data string) tar.Header {
		return tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Linkname: data}
	}
	dir := func(name string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755} }
	full := mkTar(t, file("a", strings.Repeat("x", 2000)))
	for _, tc := range []struct {
		name  string
		image []byte
		want  string
	}{
		{"empty", nil, "disk n1: the image is empty (0 bytes); give Load an archive that Save wrote, or one made by tar -cf"},
		{"gzip", gz.Bytes(), "disk n1: the image is gzip-compressed; decompress it first (gzip.NewReader), or save it uncompressed"},
		{"not tar", bytes.Repeat([]byte("not a tar archive\n"), 40),
			"disk n1: the image is not a readable tar archive: archive/tar: invalid tar header; give Load an archive that Save wrote, or one made by tar -cf"},
		{"cut short", full[:1024],
			`disk n1: the image's file "a" is cut short (unexpected EOF); the archive is truncated: save it again`},
		{"dot dot", mkTar(t, file("../etc/passwd", "x")),
			`disk n1: the image's entry "../etc/passwd" is outside the disk's root; make the archive from inside the directory it copies (tar -C dir -cf image.tar .), with no absolute path or .. in a name`},
		{"absolute", mkTar(t, dir("/var/")),
			`disk n1: the image's entry "/var/" is outside the disk's root; make the archive from inside the directory it copies (tar -C dir -cf image.tar .), with no absolute path or .. in a name`},
		{"symlink", mkTar(t, tar.Header{Name: "CURRENT", Typeflag: tar.TypeSymlink, Linkname: "MANIFEST-1"}),
			`disk n1: the image's entry "CURRENT" is a symbolic link; a disk's image holds regular files and directories alone: put a copy of what it points to in its place, or leave it out of the archive`},
		{"device", mkTar(t, tar.Header{Name: "null", Typeflag: tar.TypeChar}),
			`disk n1: the image's entry "null" is a device; a disk's image holds regular files and directories alone: put a copy of what it points to in its place, or leave it out of the archive`},
		{"twice", mkTar(t, file("a", "1"), file("./a", "2")),
			`disk n1: the image's entry "./a" names a a second time; keep one entry per path in the archive`},
		{"file under a file", mkTar(t, file("a", "1"), file("a/b", "2")),
			`disk n1: the image's entry "a/b": a is a file in the archive, not a directory; keep one entry per path in the archive`},
		{"file over a directory", mkTar(t, file("a/b", "1"), file("a", "2")),
			`disk n1: the image's entry "a" is a file where an earlier entry made a directory; keep one entry per path in the archive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
				writeFile(t, st, "kept", []byte("as it was"), true)
				err := d.Load(bytes.NewReader(tc.image))
				require.Error(t, err)
				assert.Equal(t, tc.want, err.Error())
				assert.Equal(t, "as it was", string(readFile(t, st, "kept")), "a refused Load changes nothing")
			})
		})
	}
}

// An image larger than the disk is refused.
func TestLoadRefusesAnImageLargerThanTheDisk(t *testing.T) {
	image := mkTar(t, tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644, Linkname: strings.Repeat("x", 1000)})
	run(t, 1, chaos.Storage{Capacity: 512}, func(ctx context.Context, d *Disk, st providers.Storage) {
		err := d.Load(bytes.NewReader(image))
		require.Error(t, err)
		assert.Equal(t, "disk n1: the image's files take 1024 bytes in whole sectors, more than the disk's capacity of 512; raise chaos.Storage.Capacity for this disk (simtest.DiskStorage)", err.Error())
		require.NoError(t, d.SetConfig(chaos.Storage{Capacity: 1024}))
		require.NoError(t, d.Load(bytes.NewReader(image)))
	})
}

// An archive made by tar -C dir -cf: a "./" entry, names under "./",
// directories it does not list, and a PAX global header all load.
func TestLoadTakesArchivesOfTar(t *testing.T) {
	image := mkTar(t,
		tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "v1"}},
		tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o700},
		tar.Header{Name: "./x/y/z", Typeflag: tar.TypeReg, Mode: 0o600, Linkname: "deep"},
	)
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, d.Load(bytes.NewReader(image)))
		assert.Equal(t, "deep", string(readFile(t, st, "x/y/z")))
		fi, err := st.Stat(".")
		require.NoError(t, err)
		assert.Equal(t, fs.ModeDir|0o755, fi.Mode(), "the root is 0755 on every disk")
		fi, err = st.Stat("x/y")
		require.NoError(t, err)
		assert.Equal(t, fs.ModeDir|0o755, fi.Mode())
	})
}
