package simdisk

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// truncateAndCrash syncs 2000 bytes into log, truncates it to 700
// without a sync, crashes the disk, and returns what log holds then.
func truncateAndCrash(t *testing.T, seed uint64, cfg chaos.Storage) ([]byte, Stats, string) {
	t.Helper()
	var got []byte
	var stats Stats
	res := run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "log", pattern(2000), true)
		f, err := st.OpenFile("log", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(700))
		d.Crash()
		got = readFile(t, st, "log")
		stats = d.Stats()
	})
	return got, stats, timeline(res)
}

// A real file system may commit a truncation with no fsync (ext4 and XFS
// journal it), so a crash may carry one onto the disk, as it carries
// unsynced sectors, and the timeline says so.
func TestAnUnsyncedTruncateMayReachTheDisk(t *testing.T) {
	cfg := chaos.Storage{TornWriteProb: 1}
	got, stats, tl := truncateAndCrash(t, 1, cfg)
	assert.Equal(t, pattern(700), got, "the truncation reached the disk")
	assert.Equal(t, 1, stats.TornTruncations)
	assert.Contains(t, tl, "disk n1: torn-write: log: a truncate to 700 reached the disk without a sync\n")

	got, stats, tl = truncateAndCrash(t, 1, chaos.Storage{})
	assert.Equal(t, pattern(2000), got, "with torn writes off, a crash undoes the truncation")
	assert.Zero(t, stats.TornTruncations)
	assert.NotContains(t, tl, "torn-write")

	// Half the time, at an even chance.
	cfg.TornWriteProb = 0.5
	cut := 0
	for seed := range uint64(40) {
		got, _, _ := truncateAndCrash(t, seed, cfg)
		switch len(got) {
		case 700:
			cut++
		case 2000:
		default:
			t.Fatalf("seed %d: %d bytes after the crash: the truncation reaches the disk whole or not at all", seed, len(got))
		}
	}
	assert.Greater(t, cut, 5)
	assert.Less(t, cut, 35)
}

// The rest of the sector a truncation that reached the disk ends in is
// never-written space, whether or not the crash kept that sector's
// unsynced tail: a file grown again reads zeros (or the disk's garbage)
// there, not the old bytes.
func TestATruncateThatReachedTheDiskLeavesNoOldBytes(t *testing.T) {
	cut := 0
	for seed := range uint64(40) {
		run(t, seed, chaos.Storage{TornWriteProb: 0.5}, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "log", pattern(2000), true)
			f, err := st.OpenFile("log", os.O_RDWR, 0)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(700))
			d.Crash()
			if len(readFile(t, st, "log")) != 700 {
				return
			}
			cut++
			f, err = st.OpenFile("log", os.O_RDWR, 0)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1024))
			got := readFile(t, st, "log")
			assert.Equal(t, pattern(700), got[:700])
			assert.Equal(t, make([]byte, 324), got[700:], "seed %d", seed)
		})
	}
	assert.Greater(t, cut, 5)
}

// Writes after a truncation tear independently of it: a crash may keep the
// truncation and some of them, the truncation alone, or some of them on
// the old contents.
func TestWritesAfterATruncateTearOnEitherSide(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(60) {
		run(t, seed, chaos.Storage{TornWriteProb: 0.5}, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "log", pattern(2048), true)
			f, err := st.Create("log") // O_TRUNC
			require.NoError(t, err)
			_, err = f.Write([]byte("new"))
			require.NoError(t, err)
			d.Crash()
			got := readFile(t, st, "log")
			switch {
			case len(got) == 0:
				seen["truncated"] = true
			case len(got) == 3 && string(got) == "new":
				seen["truncated, then written"] = true
			case len(got) == 2048 && string(got[:3]) == "new":
				assert.Equal(t, pattern(2048)[512:], got[512:])
				seen["written over the old contents"] = true
			case len(got) == 2048:
				assert.Equal(t, pattern(2048), got)
				seen["neither"] = true
			default:
				t.Fatalf("seed %d: %q after the crash", seed, got)
			}
		})
	}
	assert.Len(t, seen, 4, "each outcome in 60 seeds: %v", seen)
}

// A crash draws for a truncation only when one would shorten the durable
// file: a run with none draws as it did before truncations could reach
// the disk.
func TestATruncateThatCutsNothingDurableDrawsNothing(t *testing.T) {
	draws := func(to int64) uint64 {
		return run(t, 1, chaos.Storage{TornWriteProb: 0.5}, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "log", pattern(1024), true)
			f, err := st.OpenFile("log", os.O_RDWR, 0)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(4096)) // grown, not synced
			require.NoError(t, f.Truncate(to))
			d.Crash()
		}).Draws
	}
	assert.Zero(t, draws(1024), "back to the synced size: nothing durable is cut")
	assert.Equal(t, uint64(1), draws(512), "one draw for the truncation")
}

// Sectors tear independently: a group commit written as several records
// and synced once can lose part of an early record and keep a later one
// whole, from a crash alone. A recovery that takes a valid record after a
// bad one for corruption (right for one record per sync) refuses such a
// log (docs/storage.md).
func TestACrashCanKeepARecordAfterATornOne(t *testing.T) {
	const rec = 700 // each record spans two sectors or part of them
	recs := [][]byte{pattern(rec), pattern(rec + 1)[1:], pattern(rec + 2)[2:]}
	found := false
	for seed := uint64(0); seed < 100 && !found; seed++ {
		run(t, seed, chaos.Storage{TornWriteProb: 0.5}, func(ctx context.Context, d *Disk, st providers.Storage) {
			f, err := st.Create("wal")
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			for _, r := range recs {
				_, err := f.Write(r)
				require.NoError(t, err)
			}
			d.Crash() // before the batch's one sync
			got := readFile(t, st, "wal")
			whole := func(i int) bool {
				end := (i + 1) * rec
				return len(got) >= end && bytes.Equal(got[i*rec:end], recs[i])
			}
			found = !whole(0) && whole(2) || !whole(1) && whole(2)
		})
	}
	assert.True(t, found, "in 100 seeds, no crash kept a record whole after a torn one")
}

// A crash's entry and a kill's say what each file had not synced: a
// truncation, and whether it reached the disk, the unsynced bytes, or a
// size alone.
func TestCrashAndKillTellWhatWasPending(t *testing.T) {
	entry := func(tl, what string) string {
		for _, line := range strings.Split(tl, "\n") {
			if i := strings.Index(line, "disk n1: "+what+": "); i >= 0 {
				return line[i:]
			}
		}
		t.Fatalf("no %s entry in:\n%s", what, tl)
		return ""
	}
	body := func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "a", pattern(4096), true)
		writeFile(t, st, "b", pattern(1024), true)
		writeFile(t, st, "c", nil, true)
		f, err := st.OpenFile("a", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(0))
		_, err = f.Write(pattern(700))
		require.NoError(t, err)
		g, err := st.OpenFile("b", os.O_RDWR, 0)
		require.NoError(t, err)
		for _, off := range []int64{0, 1024, 2048, 3072, 4096} {
			_, err = g.WriteAt([]byte("x"), off)
			require.NoError(t, err)
		}
		h, err := st.OpenFile("c", os.O_RDWR, 0)
		require.NoError(t, err)
		require.NoError(t, h.Truncate(1024))
		d.Kill()
		d.Crash()
	}
	tl := timeline(run(t, 1, chaos.Storage{TornWriteProb: 1}, body))
	assert.Equal(t, "disk n1: kill: open files closed; unsynced changes in 3 files "+
		"(a: a truncate to 0, bytes 0-699; b: bytes 0-511, 1024-1535, 2048-2559 and 2 more; c: its size 1024, 0 synced) kept unsynced", entry(tl, "kill"))
	crash, _ := CrashNote(entry(tl, "crash"))
	assert.Equal(t, "disk n1: crash: unsynced changes in 3 files "+
		"(a: a truncate to 0 that reached the disk without a sync, bytes 0-699; b: bytes 0-511, 1024-1535, 2048-2559 and 2 more; c: its size 1024, 0 synced): "+
		"0 sectors lost, 7 kept", crash)

	tl = timeline(run(t, 1, chaos.Storage{}, body))
	crash, _ = CrashNote(entry(tl, "crash"))
	assert.Equal(t, "disk n1: crash: unsynced changes in 3 files "+
		"(a: a truncate to 0, bytes 0-699; b: bytes 0-511, 1024-1535, 2048-2559 and 2 more; c: its size 1024, 0 synced): "+
		"7 sectors lost, 0 kept", crash)
}
