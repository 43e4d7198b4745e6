package simdisk

import (
	"bytes"
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// heldPages counts the pages d's files hold: those in its namespace, and
// the removed ones that are still open.
func heldPages(d *Disk) int {
	n := 0
	count := func(c *content) {
		if !c.gone {
			n += len(c.durable) + len(c.over)
		}
	}
	d.walkFiles(func(_ string, c *content) { count(c) })
	for _, o := range d.orphans {
		count(o.c)
	}
	return n
}

// A file removed while open keeps its pages only as long as a handle
// does: the death of the process that held it closes the handle, and the
// pages go to the disk's pool, as a dead process's space is freed on
// Linux.
func TestADeadProcessFreesTheRemovedFilesItHeldOpen(t *testing.T) {
	// The ways a disk's process dies: each ends every handle opened before.
	deaths := []struct {
		name string
		die  func(d *Disk)
	}{
		{"crash", (*Disk).Crash},
		{"kill", (*Disk).Kill},
		{"stop", (*Disk).Stop},
		{"wipe", (*Disk).Wipe},
	}
	for _, death := range deaths {
		t.Run(death.name, func(t *testing.T) {
			run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
				writeFile(t, st, "kept", bytes.Repeat([]byte{1}, pageBytes), true)
				before := heldPages(d)
				writeFile(t, st, "a", bytes.Repeat([]byte{7}, 2*pageBytes), true)
				f, err := st.Open("a")
				require.NoError(t, err)
				require.NoError(t, st.Remove("a"))
				n := f.(*file).n
				require.False(t, n.c.gone, "open: the pages stay")

				death.die(d)

				assert.True(t, n.c.gone, "the handle died with its process: the pages are free")
				assert.Empty(t, d.orphans, "no removed file is held open")
				if death.name != "wipe" {
					assert.Equal(t, before, heldPages(d), "the disk holds what it held before the file")
				}
				pooled := 2 // the removed file's
				if death.name == "wipe" {
					pooled++ // and the kept one's
				}
				assert.Len(t, d.pages.free, pooled, "pages in the disk's pool")
				require.NoError(t, f.Close(), "closing a dead process's handle succeeds")
				assert.True(t, n.c.gone)
			})
		})
	}
}

// A removed file whose sync is under way when its process dies keeps its
// pages until the sync completes, and then frees them: the sync makes
// nothing durable, and the file is no one's.
func TestARemovedFileSyncingAtACrashIsFreedWhenTheSyncEnds(t *testing.T) {
	slow := chaos.Storage{SyncLatency: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}
	w := sim.New(sim.Config{Seed: 7})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", slow)
		require.NoError(t, err)
		st := d.Storage()
		f, err := st.Create("a")
		require.NoError(t, err)
		_, err = f.Write(bytes.Repeat([]byte{9}, pageBytes))
		require.NoError(t, err)
		require.NoError(t, st.Remove("a"))
		var syncErr error
		syncing := p.Task.Go(ctx, "sync", func(context.Context) error {
			syncErr = f.Sync() // waits a millisecond
			return nil
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Microsecond))
		n := f.(*file).n
		d.Crash()
		assert.False(t, n.c.gone, "the sync under way holds the pages")
		require.NoError(t, syncing.Join(ctx))
		assert.ErrorIs(t, syncErr, fs.ErrClosed, "the sync's process died")
		assert.True(t, n.c.gone, "the sync ended: the pages are free")
		assert.Len(t, d.pages.free, 1)
		assert.Empty(t, d.orphans)
		return nil
	})
	require.NoError(t, res.Err)
}

// Two processes share a machine's disk; one removes a file both hold
// open, and dies. As on Linux, the other's handle still reads the file,
// and the space is free once that handle closes too.
func TestAProcessThatExitsClosesOnlyItsOwnFiles(t *testing.T) {
	run(t, 1, chaos.Storage{Capacity: 2 * pageBytes}, func(ctx context.Context, d *Disk, st providers.Storage) {
		a, b := d.Process(), d.Process()
		data := bytes.Repeat([]byte{7}, pageBytes)
		writeFile(t, a.Storage(), "f", data, true)
		before := heldPages(d)
		fa, err := a.Storage().Open("f")
		require.NoError(t, err)
		fb, err := b.Storage().Open("f")
		require.NoError(t, err)
		require.NoError(t, a.Storage().Remove("f"))
		n := fa.(*file).n

		a.Exit()

		_, err = fa.ReadAt(make([]byte, 1), 0)
		assert.ErrorIs(t, err, fs.ErrClosed, "the dead process's file is closed")
		assert.ErrorContains(t, err, "by a process that has since ended")
		got := make([]byte, pageBytes)
		_, err = fb.ReadAt(got, 0)
		require.NoError(t, err, "the other process's file still works")
		assert.Equal(t, data, got, "and reads the removed file")
		assert.False(t, n.c.gone, "the other process holds the pages")
		g, err := st.Create("g")
		require.NoError(t, err)
		_, err = g.Write(bytes.Repeat([]byte{1}, 2*pageBytes))
		isNoSpace(t, err)

		require.NoError(t, fb.Close())
		require.NoError(t, fa.Close(), "closing a dead process's file succeeds")
		assert.True(t, n.c.gone, "the last handle closed: the pages are free")
		assert.Empty(t, d.orphans)
		_, err = g.WriteAt(bytes.Repeat([]byte{1}, pageBytes), pageBytes)
		assert.NoError(t, err, "and so is the space")
		assert.Equal(t, before+1, heldPages(d), "the disk holds g's pages alone")

		_, err = a.Storage().Open("g")
		assert.ErrorIs(t, err, fs.ErrClosed, "a dead process opens nothing")
		a.Exit() // twice is harmless
	})
}

// A process killed while an open of it waits on the device never gets
// the handle, which the open has counted already: its exit closes it.
func TestAProcessKilledWhileOpeningLeavesNoHandle(t *testing.T) {
	slow := chaos.Storage{ReadLatency: chaos.Range{Min: time.Millisecond, Max: time.Millisecond}}
	w := sim.New(sim.Config{Seed: 7})
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", slow)
		require.NoError(t, err)
		writeFile(t, d.Storage(), "f", bytes.Repeat([]byte{9}, pageBytes), true)
		proc := d.Process()
		g := w.NewGroup("proc")
		opened := false
		g.Go(ctx, "open", func(context.Context) error {
			_, err := proc.Storage().Open("f") // waits a millisecond
			opened = err == nil
			return err
		})
		require.NoError(t, p.Time.Sleep(ctx, 500*time.Microsecond))
		g.Crash()
		proc.Exit()
		assert.False(t, opened, "the open never returned")
		n := d.root.kids["f"]
		require.NoError(t, d.Storage().Remove("f"))
		assert.True(t, n.c.gone, "no handle holds the removed file: its pages are free")
		return nil
	})
	require.NoError(t, res.Err)
}

// A process's files that a crash of the disk ended are closed by its
// exit without counting twice: another process's handle opened after the
// crash keeps the file.
func TestAnExitAfterACrashLeavesLaterHandlesAlone(t *testing.T) {
	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		a, b := d.Process(), d.Process()
		writeFile(t, st, "f", []byte("data"), true)
		fa, err := a.Storage().Open("f")
		require.NoError(t, err)
		d.Crash()
		fb, err := b.Storage().Open("f")
		require.NoError(t, err)
		require.NoError(t, st.Remove("f"))
		n := fb.(*file).n
		a.Exit()
		require.NoError(t, fa.Close())
		assert.False(t, n.c.gone, "b's handle holds the file")
		got := make([]byte, 4)
		_, err = fb.ReadAt(got, 0)
		require.NoError(t, err)
		assert.Equal(t, "data", string(got))
		b.Exit()
		assert.True(t, n.c.gone)
	})
}
