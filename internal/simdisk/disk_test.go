package simdisk

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run runs body as the root task of a world of seed, with one disk "n1"
// configured by cfg. A failure of the run fails t.
func run(t *testing.T, seed uint64, cfg chaos.Storage, body func(ctx context.Context, d *Disk, st providers.Storage)) sim.Result {
	t.Helper()
	w := sim.New(sim.Config{Seed: seed, Timeline: 1000})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", cfg)
		require.NoError(t, err)
		body(ctx, d, d.Storage())
		return nil
	})
	require.NoError(t, res.Err)
	return res
}

// fast is a disk with no faults that takes no time.
var fast = chaos.Storage{}

func writeFile(t *testing.T, st providers.Storage, name string, data []byte, sync bool) {
	t.Helper()
	f, err := st.Create(name)
	require.NoError(t, err)
	n, err := f.Write(data)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	if sync {
		require.NoError(t, f.Sync())
	}
	require.NoError(t, f.Close())
}

func readFile(t *testing.T, st providers.Storage, name string) []byte {
	t.Helper()
	data, err := fs.ReadFile(providers.StorageFS(st), name)
	require.NoError(t, err)
	return data
}

func timeline(res sim.Result) string {
	var b bytes.Buffer
	for _, e := range res.Timeline {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFileReadWriteSeek(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.OpenFile("a.txt", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		require.NoError(t, err)
		assert.Equal(t, "a.txt", f.Name())

		_, err = f.Write([]byte("hello, world"))
		require.NoError(t, err)
		pos, err := f.Seek(0, io.SeekCurrent)
		require.NoError(t, err)
		assert.Equal(t, int64(12), pos)

		// ReadAt does not move the offset; Read does.
		buf := make([]byte, 5)
		n, err := f.ReadAt(buf, 7)
		require.NoError(t, err)
		assert.Equal(t, "world", string(buf[:n]))
		n, err = f.ReadAt(buf, 10)
		assert.Equal(t, io.EOF, err, "a short ReadAt says io.EOF")
		assert.Equal(t, "ld", string(buf[:n]))

		_, err = f.Seek(0, io.SeekStart)
		require.NoError(t, err)
		all, err := io.ReadAll(f)
		require.NoError(t, err)
		assert.Equal(t, "hello, world", string(all))
		n, err = f.Read(buf)
		assert.Equal(t, 0, n)
		assert.Equal(t, io.EOF, err)

		// A write past the end leaves a hole of zeros.
		_, err = f.WriteAt([]byte("!"), 20)
		require.NoError(t, err)
		got := make([]byte, 21)
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, "hello, world\x00\x00\x00\x00\x00\x00\x00\x00!", string(got))

		fi, err := f.Stat()
		require.NoError(t, err)
		assert.Equal(t, "a.txt", fi.Name())
		assert.Equal(t, int64(21), fi.Size())
		assert.Equal(t, fs.FileMode(0o640), fi.Mode())
		assert.False(t, fi.IsDir())

		// Shrink, then grow: the cut bytes read as zeros.
		require.NoError(t, f.Truncate(3))
		require.NoError(t, f.Truncate(6))
		got = make([]byte, 6)
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, "hel\x00\x00\x00", string(got))

		pos, err = f.Seek(-2, io.SeekEnd)
		require.NoError(t, err)
		assert.Equal(t, int64(4), pos)
		require.NoError(t, f.Close())
	})
}

func TestAppendAndTruncateFlags(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "log", []byte("one\n"), true)
		f, err := st.OpenFile("log", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("two\n"))
		require.NoError(t, err)
		_, err = f.WriteAt([]byte("x"), 0)
		assert.EqualError(t, err, "os: invalid use of WriteAt on file opened with O_APPEND", "WriteAt on an O_APPEND file, as *os.File refuses it")
		require.NoError(t, f.Close())
		assert.Equal(t, "one\ntwo\n", string(readFile(t, st, "log")))

		f, err = st.OpenFile("log", os.O_RDWR|os.O_TRUNC, 0)
		require.NoError(t, err)
		fi, err := f.Stat()
		require.NoError(t, err)
		assert.Zero(t, fi.Size())
		require.NoError(t, f.Close())

		_, err = st.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		assert.ErrorIs(t, err, fs.ErrExist)
	})
}

func TestDirectories(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.MkdirAll("a/b/c", 0o755))
		require.NoError(t, st.MkdirAll("a/b", 0o755), "MkdirAll of an existing directory")
		require.NoError(t, st.Mkdir("a/x", 0o700))
		assert.ErrorIs(t, st.Mkdir("a/x", 0o700), fs.ErrExist)
		assert.ErrorIs(t, st.Mkdir("nope/x", 0o700), fs.ErrNotExist)
		writeFile(t, st, "a/file", []byte("f"), false)
		assert.ErrorIs(t, st.MkdirAll("a/file/sub", 0o755), syscall.ENOTDIR)
		assert.ErrorIs(t, st.MkdirAll("a/file", 0o755), fs.ErrExist)
		_, err := st.Create("a/file/sub")
		assert.ErrorIs(t, err, syscall.ENOTDIR)

		entries, err := st.ReadDir("a")
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.Equal(t, []string{"b", "file", "x"}, names, "sorted by name")
		assert.True(t, entries[0].IsDir())
		_, err = st.ReadDir("a/file")
		assert.ErrorIs(t, err, syscall.ENOTDIR)

		fi, err := st.Stat("a/b")
		require.NoError(t, err)
		assert.True(t, fi.IsDir())
		assert.Equal(t, "b", fi.Name())

		_, err = st.OpenFile("a", os.O_RDWR, 0)
		assert.ErrorIs(t, err, syscall.EISDIR)
		dir, err := st.Open("a")
		require.NoError(t, err, "a directory opens read-only")
		require.NoError(t, dir.Sync(), "and can be synced, as programs do after a rename")
		_, err = dir.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.EISDIR)
		require.NoError(t, dir.Close())

		assert.ErrorIs(t, st.Remove("a/b"), fs.ErrExist, "ENOTEMPTY matches fs.ErrExist")
		assert.ErrorIs(t, st.Remove("a/b"), syscall.ENOTEMPTY)
		require.NoError(t, st.Remove("a/b/c"))
		require.NoError(t, st.Remove("a/b"))
		assert.ErrorIs(t, st.Remove("a/b"), fs.ErrNotExist)
		assert.ErrorIs(t, st.Remove("."), syscall.EINVAL)
	})
}

func TestRename(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "old", []byte("new contents"), true)
		writeFile(t, st, "target", []byte("old contents"), true)
		f, err := st.Open("target")
		require.NoError(t, err)

		require.NoError(t, st.Rename("old", "target"), "rename replaces its target")
		assert.Equal(t, "new contents", string(readFile(t, st, "target")))
		_, err = st.Stat("old")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		// The replaced file, still open, keeps its contents.
		got, err := io.ReadAll(f)
		require.NoError(t, err)
		assert.Equal(t, "old contents", string(got))
		require.NoError(t, f.Close())

		require.NoError(t, st.MkdirAll("d1/sub", 0o755))
		require.NoError(t, st.Rename("d1", "d2"), "a directory moves")
		_, err = st.Stat("d2/sub")
		require.NoError(t, err)
		require.NoError(t, st.Mkdir("d3", 0o755))
		assert.ErrorIs(t, st.Rename("d2", "d3"), fs.ErrExist, "as package os, no directory is a target, even an empty one")
		assert.ErrorIs(t, st.Rename("d3", "d3"), fs.ErrExist)
		assert.ErrorIs(t, st.Rename("d2", "d2/sub/x"), syscall.EINVAL)
		assert.ErrorIs(t, st.Rename("target", "d3"), fs.ErrExist)
		assert.ErrorIs(t, st.Rename("d3", "target"), syscall.ENOTDIR)
		assert.ErrorIs(t, st.Rename("missing", "x"), fs.ErrNotExist)
		assert.ErrorIs(t, st.Rename("target", "missing/x"), fs.ErrNotExist)
		var le *os.LinkError
		assert.ErrorAs(t, st.Rename("missing", "x"), &le)
		require.NoError(t, st.Rename("target", "target"))
	})
}

func TestRemoveOpenFileKeepsItWorking(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("tmp")
		require.NoError(t, err)
		require.NoError(t, st.Remove("tmp"))
		_, err = f.Write([]byte("still here"))
		require.NoError(t, err)
		got := make([]byte, 10)
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, "still here", string(got))
		_, err = st.Stat("tmp")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})
}

func TestBadInput(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		for _, name := range []string{"../x", "/etc/passwd", "a/../../x", ".."} {
			_, err := st.Open(name)
			assert.ErrorIs(t, err, providers.ErrOutsideRoot, name)
			var pe *fs.PathError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, name, pe.Path)
			assert.ErrorIs(t, st.Mkdir(name, 0o755), providers.ErrOutsideRoot)
			assert.ErrorIs(t, st.Rename("x", name), providers.ErrOutsideRoot)
		}
		_, err := st.Open("")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		require.NoError(t, st.Mkdir("a", 0o755))
		_, err = st.Create("a/../b") // stays inside: fine
		require.NoError(t, err)

		_, err = st.OpenFile("f", os.O_RDWR|os.O_CREATE|0x40000000, 0o644)
		assert.ErrorIs(t, err, fs.ErrInvalid)
		assert.Contains(t, err.Error(), "unsupported open flags")
		_, err = st.OpenFile("f", os.O_WRONLY|os.O_RDWR|os.O_CREATE, 0o644)
		assert.ErrorIs(t, err, fs.ErrInvalid)
		_, err = st.Open("missing")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.EqualError(t, err, "openat missing: no such file or directory")

		f, err := st.Create("f")
		require.NoError(t, err)
		_, err = f.ReadAt(make([]byte, 1), -1)
		assert.EqualError(t, err, "readat f: negative offset", "as *os.File says it")
		_, err = f.WriteAt([]byte("x"), -1)
		assert.EqualError(t, err, "writeat f: negative offset")
		_, err = f.Seek(-1, io.SeekStart)
		assert.ErrorIs(t, err, syscall.EINVAL)
		_, err = f.Seek(0, 7)
		assert.ErrorIs(t, err, syscall.EINVAL)
		assert.ErrorIs(t, f.Truncate(-1), syscall.EINVAL)
		require.NoError(t, f.Close())

		// Every operation on a closed file says so.
		assert.ErrorIs(t, f.Close(), fs.ErrClosed)
		_, err = f.Read(make([]byte, 1))
		assert.ErrorIs(t, err, fs.ErrClosed)
		_, err = f.Write([]byte("x"))
		assert.ErrorIs(t, err, fs.ErrClosed)
		_, err = f.ReadAt(make([]byte, 1), 0)
		assert.ErrorIs(t, err, fs.ErrClosed)
		_, err = f.WriteAt([]byte("x"), 0)
		assert.ErrorIs(t, err, fs.ErrClosed)
		_, err = f.Seek(0, io.SeekStart)
		assert.ErrorIs(t, err, fs.ErrClosed)
		_, err = f.Stat()
		assert.ErrorIs(t, err, fs.ErrClosed)
		assert.ErrorIs(t, f.Sync(), fs.ErrClosed)
		assert.ErrorIs(t, f.Truncate(0), fs.ErrClosed)

		// Wrong access mode.
		ro, err := st.Open("f")
		require.NoError(t, err)
		_, err = ro.Write([]byte("x"))
		assert.ErrorIs(t, err, syscall.EBADF)
		assert.ErrorIs(t, ro.Truncate(0), syscall.EINVAL)
		wo, err := st.OpenFile("f", os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = wo.Read(make([]byte, 1))
		assert.ErrorIs(t, err, syscall.EBADF)
	})
}

func TestCrashLosesUnsyncedData(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "synced", []byte("kept"), true)
		writeFile(t, st, "unsynced", []byte("lost"), false)
		f, err := st.OpenFile("synced", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte(" and not this"))
		require.NoError(t, err)

		d.Crash()

		_, err = f.Write([]byte("x"))
		assert.ErrorIs(t, err, fs.ErrClosed, "a file opened before the crash is gone")
		assert.Contains(t, err.Error(), "open it again")
		require.NoError(t, f.Close())

		assert.Equal(t, "kept", string(readFile(t, st, "synced")))
		assert.Empty(t, readFile(t, st, "unsynced"), "the file exists (metadata is durable), its data does not")
		assert.Equal(t, 1, d.Stats().Crashes)
	})
}

func TestTruncateIsDurableOnlyAfterSync(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", bytes.Repeat([]byte("a"), 2000), true)
		f, err := st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(700))
		d.Crash()
		assert.Len(t, readFile(t, st, "f"), 2000, "the truncation was not synced")

		f, err = st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(700))
		require.NoError(t, f.Sync())
		require.NoError(t, f.Truncate(1500)) // grow again, unsynced
		d.Crash()
		assert.Equal(t, bytes.Repeat([]byte("a"), 700), readFile(t, st, "f"))

		f, err = st.OpenFile("f", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(1500))
		require.NoError(t, f.Sync())
		d.Crash()
		want := append(bytes.Repeat([]byte("a"), 700), make([]byte, 800)...)
		assert.Equal(t, want, readFile(t, st, "f"), "the cut bytes came back as zeros, not as the old data")
	})
}

func TestStopKeepsWhatWasWritten(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", []byte("unsynced but kept"), false)
		d.Stop()
		assert.Equal(t, "unsynced but kept", string(readFile(t, st, "f")))
		d.Crash()
		assert.Equal(t, "unsynced but kept", string(readFile(t, st, "f")), "a stop made it durable")
	})
}

func TestKillKeepsUnsyncedDataUnsynced(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "f", []byte("in the page cache"), false)
		f, err := st.OpenFile("f", os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)

		d.Kill()

		_, err = f.Write([]byte("x"))
		assert.ErrorIs(t, err, fs.ErrClosed, "the killed process's files are closed")
		require.NoError(t, f.Close())
		assert.Equal(t, "in the page cache", string(readFile(t, st, "f")), "a kill keeps every write")
		d.Crash()
		assert.Empty(t, readFile(t, st, "f"), "what the kill kept was still unsynced: a power loss loses it")
	})
}

// Each way a disk goes down is counted apart: a kill is neither a crash
// nor a stop.
func TestEachWayDownIsCounted(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		d.Kill()
		d.Kill()
		d.Crash()
		d.Stop()
		d.Wipe()
		got := d.Stats()
		assert.Equal(t, Stats{Kills: 2, Crashes: 1, Stops: 1, Wipes: 1},
			Stats{Kills: got.Kills, Crashes: got.Crashes, Stops: got.Stops, Wipes: got.Wipes})
	})
}

func TestWipeErasesEverything(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.MkdirAll("a/b", 0o755))
		writeFile(t, st, "a/b/f", []byte("data"), true)
		f, err := st.Open("a/b/f")
		require.NoError(t, err)
		d.Wipe()
		_, err = f.Read(make([]byte, 4))
		assert.ErrorIs(t, err, fs.ErrClosed)
		entries, err := st.ReadDir(".")
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
}

func TestCrashDuringOperationFailsIt(t *testing.T) {
	cfg := chaos.Storage{WriteLatency: chaos.Range{Min: time.Second, Max: time.Second}}
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("f")
		require.NoError(t, err)
		werr := make(chan error, 1) // written by a task, read after Join
		p := d.w.Providers()
		h := p.Task.Go(ctx, "writer", func(ctx context.Context) error {
			_, err := f.Write([]byte("x"))
			werr <- err
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Millisecond))
		d.Crash()
		require.NoError(t, h.Join(ctx))
		assert.ErrorIs(t, <-werr, fs.ErrClosed)
	})
}

func TestTimingModel(t *testing.T) {
	cfg := chaos.Storage{
		IOPS:         1000,    // 1ms per operation
		Bandwidth:    1 << 20, // 1 MiB/s: 64 KiB take 62.5ms
		WriteLatency: chaos.Range{Min: 10 * time.Millisecond, Max: 10 * time.Millisecond},
		SyncLatency:  chaos.Range{Min: 2 * time.Millisecond, Max: 2 * time.Millisecond},
	}
	run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		now := func() time.Duration { return d.w.Now() }
		f, err := st.Create("f") // 1ms service + 10ms latency
		require.NoError(t, err)
		assert.Equal(t, 11*time.Millisecond, now())

		_, err = f.Write(make([]byte, 64<<10))
		require.NoError(t, err)
		assert.Equal(t, 11*time.Millisecond+62500*time.Microsecond+10*time.Millisecond, now())

		start := now()
		require.NoError(t, f.Sync()) // 64 KiB to flush: 62.5ms + 2ms
		assert.Equal(t, 62500*time.Microsecond+2*time.Millisecond, now()-start)

		start = now()
		_, err = f.ReadAt(make([]byte, 512), 0) // 1ms service, no read latency
		require.NoError(t, err)
		assert.Equal(t, time.Millisecond, now()-start)

		// Operations from concurrent tasks queue behind each other.
		p := d.w.Providers()
		start = now()
		var hs []providers.Handle
		for range 3 {
			hs = append(hs, p.Task.Go(ctx, "reader", func(ctx context.Context) error {
				_, err := f.ReadAt(make([]byte, 512), 0)
				return err
			}))
		}
		for _, h := range hs {
			require.NoError(t, h.Join(ctx))
		}
		assert.Equal(t, 3*time.Millisecond, now()-start, "served one at a time")
	})
}

func TestServiceTimeDoesNotOverflow(t *testing.T) {
	assert.Equal(t, time.Duration(0), serviceTime(0, 0, 1<<40))
	assert.Equal(t, 1024*time.Second, serviceTime(0, 1<<30, 1<<40))
	assert.Equal(t, time.Millisecond, serviceTime(1000, 1<<30, 1))
	assert.Positive(t, serviceTime(0, 1, 1<<62), "huge transfers do not wrap around")
}

func TestFSOverSimulatedStorage(t *testing.T) {
	run(t, 1, chaos.NoStorageFaults(), func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.MkdirAll("dir/sub", 0o755))
		writeFile(t, st, "top.txt", []byte("top"), false)
		writeFile(t, st, "dir/a.txt", []byte("a"), false)
		writeFile(t, st, "dir/sub/b.txt", bytes.Repeat([]byte("b"), 3000), false)
		require.NoError(t, fstest.TestFS(providers.StorageFS(st), "top.txt", "dir/a.txt", "dir/sub/b.txt"))
	})
}

func TestSparseFilesCostWhatTheyHold(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		f, err := st.Create("huge")
		require.NoError(t, err)
		const tib = 1 << 40
		_, err = f.WriteAt([]byte("end"), tib-3)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		_, err = f.WriteAt([]byte("start"), 0)
		require.NoError(t, err)
		fi, err := f.Stat()
		require.NoError(t, err)
		assert.Equal(t, int64(tib), fi.Size())
		c := f.(*file).n.c
		assert.Equal(t, 1, len(c.durable)+len(c.over)-1, "one page each, not a terabyte")
		buf := make([]byte, 3)
		_, err = f.ReadAt(buf, tib-3)
		require.NoError(t, err)
		assert.Equal(t, "end", string(buf))
	})
}

func TestDisksPerAddress(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		ds, err := NewDisks(w, chaos.Storage{})
		require.NoError(t, err)
		require.NoError(t, ds.Configure("slow", chaos.Storage{IOPS: 10}))
		assert.Error(t, ds.Configure("bad", chaos.Storage{ReadCorruptionProb: 2}))
		a, b := ds.Disk("n2"), ds.Disk("slow")
		assert.Same(t, a, ds.Disk("n2"))
		assert.Equal(t, 10, b.Config().IOPS)
		assert.Equal(t, []string{"n2", "slow"}, ds.Addrs())
		writeFile(t, a.Storage(), "only-on-n2", []byte("x"), true)
		_, err = b.Storage().Stat("only-on-n2")
		assert.ErrorIs(t, err, fs.ErrNotExist, "each address has its own disk")

		require.NoError(t, ds.Configure("n2", chaos.Storage{IOPS: 5}), "a made disk is reconfigured")
		assert.Equal(t, 5, a.Config().IOPS)
		require.NoError(t, ds.SetDefault(chaos.Storage{IOPS: 7}))
		assert.Equal(t, 7, ds.Disk("n3").Config().IOPS)
		return nil
	})
	require.NoError(t, res.Err)
}

func TestNewRejectsBadConfig(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	_, err := New(w, "n1", chaos.Storage{PhantomWriteProb: -0.5, Off: []string{"typo"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `disk "n1"`)
	assert.Contains(t, err.Error(), "PhantomWriteProb is -0.5")
	assert.Contains(t, err.Error(), `"typo"`)
	_, err = NewDisks(w, chaos.Storage{Bandwidth: -1})
	assert.ErrorContains(t, err, "Bandwidth")
}

func TestDisksQuiesce(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		faulty := chaos.DefaultStorage()
		ds, err := NewDisks(w, faulty)
		require.NoError(t, err)
		require.NoError(t, ds.Configure("made", faulty))
		require.NoError(t, ds.Configure("later", faulty))
		made := ds.Disk("made")
		ds.Quiesce()
		quiet := chaos.NoStorageFaults()
		kept := quiet
		kept.UnwrittenGarbage = true
		assert.Equal(t, kept, made.Config(), "a disk already made, whose unwritten space stays garbage")
		assert.Equal(t, quiet, ds.Disk("later").Config(), "a disk configured by address, made after")
		assert.Equal(t, quiet, ds.Disk("other").Config(), "a disk made after, by default")
		return nil
	})
	require.NoError(t, res.Err)
}
