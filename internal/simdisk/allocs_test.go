package simdisk

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// A read and a write of synced data, in steady state, allocate nothing:
// the task waits on an event the world reuses. A sync allocates once, for
// its completion (what it makes durable, or how it fails).
func TestDiskOpsAllocateNothingInSteadyState(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	buf := make([]byte, 4096)
	var reads, writes float64
	benchRun(t, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		for i := range 16 {
			_, _ = f.WriteAt(buf, int64(i)*4096)
		}
		_ = f.Sync()
		i := 0
		reads = testing.AllocsPerRun(500, func() {
			_, _ = f.ReadAt(buf, int64(i%16)*4096)
			i++
		})
		writes = testing.AllocsPerRun(500, func() {
			_, _ = f.WriteAt(buf, int64(i%16)*4096)
			i++
		})
	})
	assert.Zero(t, reads, "allocations per read")
	assert.Zero(t, writes, "allocations per write")
}

// A log that appends small records and syncs each reuses the page a sync
// copied out, rather than allocating a page for the next append: a write
// and a sync allocate only the sync's completion.
func TestSmallAppendsReuseTheirPage(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	const perPage = 4096 / 100
	rec := make([]byte, 100)
	var allocs float64
	var off int64
	benchRun(t, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		// A page's worth of appends per run: AllocsPerRun rounds down.
		appendSync := func() {
			for range perPage {
				_, _ = f.WriteAt(rec, off)
				_ = f.Sync()
				off += int64(len(rec))
			}
		}
		appendSync()
		allocs = testing.AllocsPerRun(20, appendSync)
	})
	assert.LessOrEqual(t, allocs, float64(perPage+1), "allocations per page of appends, each synced (one a sync)")
}

// A sync's completion is a record the disk reuses: a write and a sync of
// a log that appends allocate nothing in steady state (one a sync before).
func TestASyncAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	rec := make([]byte, 100)
	var allocs float64
	var off int64
	benchRun(t, chaos.NoStorageFaults(), func(ctx context.Context, p providers.Providers, f providers.File) {
		appendSync := func() {
			_, _ = f.WriteAt(rec, off%4096)
			_ = f.Sync()
			off += int64(len(rec))
		}
		for range 100 {
			appendSync()
		}
		allocs = testing.AllocsPerRun(200, appendSync)
	})
	assert.Zero(t, allocs, "allocations per write and sync")
}

// A directory sync allocates nothing, with namespace changes pending or
// not, the option on or off: its completion is a record the disk reuses,
// as a file's is.
func TestADirectorySyncAllocatesNothing(t *testing.T) {
	if testenv.Race {
		t.Skip("the race detector allocates")
	}
	for _, cfg := range []chaos.Storage{chaos.NoStorageFaults(), {LoseUnsyncedDirectories: true}} {
		var renames, renameSyncs, syncs float64
		run(t, 1, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "a", nil, true)
			dir, err := st.Open(".")
			require.NoError(t, err)
			i := 0
			rename := func() {
				// Back and forth: the names are the same strings each time.
				if i%2 == 0 {
					_ = st.Rename("a", "b")
				} else {
					_ = st.Rename("b", "a")
				}
				i++
			}
			for range 10 {
				rename()
				_ = dir.Sync()
			}
			renames = testing.AllocsPerRun(100, rename)
			_ = dir.Sync()
			renameSyncs = testing.AllocsPerRun(100, func() { rename(); _ = dir.Sync() })
			syncs = testing.AllocsPerRun(100, func() { _ = dir.Sync() })
		})
		assert.Equal(t, renames, renameSyncs, "allocations of a directory sync after a rename (option %v)", cfg.LoseUnsyncedDirectories)
		assert.Zero(t, syncs, "allocations of a directory sync with nothing pending (option %v)", cfg.LoseUnsyncedDirectories)
	}
}
