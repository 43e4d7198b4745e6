package simdisk

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// rewrite replaces name with data the way a log is compacted: written to
// a temporary file, synced, renamed over name, and the old one closed.
func rewrite(t testing.TB, st providers.Storage, old providers.File, name string, data []byte) providers.File {
	f, err := st.OpenFile(name+".tmp", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	_, err = f.WriteAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, st.Rename(name+".tmp", name))
	if old != nil {
		require.NoError(t, old.Close())
	}
	return f
}

// A file rewritten into a new one and renamed over the old, over and
// over, takes the old one's pages: no page is allocated after the first
// rounds.
func TestRewrittenFilesReuseTheirPages(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	data := bytes.Repeat([]byte("record "), 1000) // two pages
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		var f providers.File
		for range 3 {
			f = rewrite(t, st, f, "log", data)
		}
		pages := 0
		d.pages.free = d.pages.free[:0:0] // count what the next rounds take
		for range 10 {
			f = rewrite(t, st, f, "log", data)
			pages = max(pages, len(d.pages.free))
		}
		assert.Positive(t, pages, "the replaced file's pages went back to the disk")
		f.Close()
	})
	const rounds = 20
	var perRewrite uint64
	w := sim.New(sim.Config{Seed: 1})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", chaos.NoStorageFaults())
		if err != nil {
			return err
		}
		st := d.Storage()
		g := rewrite(t, st, nil, "log", data)
		g = rewrite(t, st, g, "log", data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range rounds {
			g = rewrite(t, st, g, "log", data)
		}
		runtime.ReadMemStats(&after)
		perRewrite = (after.TotalAlloc - before.TotalAlloc) / rounds
		return nil
	})
	require.NoError(t, res.Err)
	// The file's two pages are 8 KiB; the handle, the node, its content
	// and maps, and the sync's completion are a few hundred bytes.
	assert.Less(t, perRewrite, uint64(pageBytes), "bytes allocated per rewrite")
}

// A page taken from the pool reads as never written wherever the new file
// did not write it: zeros, or the disk's garbage, never the old file's
// bytes.
func TestPooledPagesHoldNothingOfTheOldFile(t *testing.T) {
	for _, cfg := range []chaos.Storage{fast, garbage} {
		run(t, 3, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			old := bytes.Repeat([]byte{0xAB}, 3*pageBytes)
			writeFile(t, st, "a", old, true)
			require.NoError(t, st.Remove("a"))
			require.NotEmpty(t, d.pages.free, "the removed file's pages are free")

			// Bytes here and there, in part of a sector, of a page, and
			// past a hole.
			f, err := st.Create("b")
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("xyz"), 10)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("tail"), 2*pageBytes+700)
			require.NoError(t, err)
			got := make([]byte, 2*pageBytes+704)
			_, err = f.ReadAt(got, 0)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			synced := make([]byte, len(got))
			_, err = f.ReadAt(synced, 0)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			assert.Equal(t, []byte("xyz"), got[10:13])
			assert.Equal(t, []byte("tail"), got[2*pageBytes+700:])
			assert.NotContains(t, string(got), string([]byte{0xAB, 0xAB}), "the old file's bytes")
			assert.Equal(t, got, synced)
			if !cfg.UnwrittenGarbage {
				assert.Equal(t, make([]byte, 10), got[:10])
				assert.Equal(t, make([]byte, 2*pageBytes+700-13), got[13:2*pageBytes+700])
			}
		})
	}
}

// A removed file that is still open keeps its pages until its last
// handle closes; a crash ends every handle, and a wipe frees every file.
func TestOpenFilesKeepTheirPages(t *testing.T) {
	run(t, 5, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		data := bytes.Repeat([]byte{7}, pageBytes)
		writeFile(t, st, "a", data, true)
		f, err := st.Open("a")
		require.NoError(t, err)
		g, err := st.Open("a")
		require.NoError(t, err)
		require.NoError(t, st.Remove("a"))
		assert.Empty(t, d.pages.free, "open twice: the pages stay")
		require.NoError(t, f.Close())
		assert.Empty(t, d.pages.free, "open once: the pages stay")
		got := make([]byte, pageBytes)
		_, err = g.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, data, got, "a removed file reads as it was while open")
		require.NoError(t, g.Close())
		assert.Len(t, d.pages.free, 1, "closed: the page is free")

		writeFile(t, st, "b", data, true)
		writeFile(t, st, "c", data, true)
		d.Wipe()
		assert.Len(t, d.pages.free, 2, "wiped: every file's page is free")
	})
}

// A file removed while it is being opened keeps its pages for the handle
// the open returns: the open counts its handle before it waits.
func TestAFileRemovedWhileOpeningKeepsItsPages(t *testing.T) {
	slow := chaos.Storage{ReadLatency: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}
	w := sim.New(sim.Config{Seed: 7})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", slow)
		require.NoError(t, err)
		st := d.Storage()
		data := bytes.Repeat([]byte{9}, pageBytes)
		writeFile(t, st, "a", data, true)
		var f providers.File
		var openErr error
		opening := p.Task.Go(ctx, "open", func(context.Context) error {
			f, openErr = st.Open("a") // waits a millisecond
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Microsecond))
		require.NoError(t, st.Remove("a"))
		require.NoError(t, opening.Join(ctx))
		require.NoError(t, openErr)
		assert.Empty(t, d.pages.free, "the handle being opened holds the pages")
		got := make([]byte, pageBytes)
		_, err = f.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, data, got)
		require.NoError(t, f.Close())
		assert.Len(t, d.pages.free, 1)
		return nil
	})
	require.NoError(t, res.Err)
}

// A sync that fails after its file was removed and its last handle closed
// meanwhile still counts the sectors it lost: the file keeps its pages
// until the sync completes.
func TestAFileClosedWhileSyncingKeepsItsPagesUntilTheSyncEnds(t *testing.T) {
	slow := chaos.Storage{SyncLatency: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}, SyncFailureProb: 1}
	w := sim.New(sim.Config{Seed: 7, Timeline: 1000})
	var d *Disk
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		var err error
		d, err = New(w, "n1", slow)
		require.NoError(t, err)
		st := d.Storage()
		f, err := st.Create("a")
		require.NoError(t, err)
		_, err = f.Write(bytes.Repeat([]byte{9}, 2*SectorSize))
		require.NoError(t, err)
		require.NoError(t, st.Remove("a"))
		var syncErr error
		syncing := p.Task.Go(ctx, "sync", func(context.Context) error {
			syncErr = f.Sync() // waits a millisecond
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Microsecond))
		require.NoError(t, f.Close())
		assert.Empty(t, d.pages.free, "the sync under way holds the pages")
		require.NoError(t, syncing.Join(ctx))
		assert.ErrorIs(t, syncErr, syscall.EIO)
		assert.Len(t, d.pages.free, 1, "the sync ended: the page is free")
		return nil
	})
	require.NoError(t, res.Err)
	assert.Contains(t, timeline(res), "disk n1: sync-failure: a: EIO; 2 unsynced sectors will never reach the disk")
}
