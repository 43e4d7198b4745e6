package simdisk

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// crashEntry returns the timeline's crash entry of disk n1, the one
// crash the body made.
func crashEntry(t *testing.T, tl string) string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(tl, "\n") {
		if strings.Contains(line, "disk n1: crash: ") {
			found = append(found, line[strings.Index(line, "disk n1: crash: "):])
		}
	}
	require.Len(t, found, 1, "one crash entry in:\n%s", tl)
	return found[0]
}

// With LoseUnsyncedDirectories off, the rename a crash could have lost
// survives it, and the crash's entry says a real disk could have lost it.
func TestACrashTellsOfTheRenameARealDiskCouldLose(t *testing.T) {
	for seed := range uint64(10) {
		got, res := replaceByRename(t, seed, chaos.DefaultStorage(), false)
		assert.Equal(t, "new", got, "seed %d: without the option, a rename is durable when it returns", seed)
		entry := crashEntry(t, timeline(res))
		assert.Regexp(t, `^disk n1: crash: unsynced changes in \d+ files?.*: \d+ sectors? lost, \d+ kept; `+
			`1 create and 1 rename whose directory was not synced \(create of tmp/MANIFEST, rename of tmp/MANIFEST -> MANIFEST\) `+
			`kept: a real disk could lose them \(chaos.Storage.LoseUnsyncedDirectories loses such changes\)$`, entry)
		crash, note := CrashNote(entry)
		assert.Regexp(t, `^disk n1: crash: unsynced changes in \d+ files?.*: \d+ sectors? lost, \d+ kept$`, crash)
		assert.True(t, strings.HasPrefix(note, "1 create and 1 rename "), note)
		assert.NotContains(t, timeline(res), "unsynced-directory", "nothing was lost")
	}

	run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "state.tmp", []byte("new"), true)
		syncDir(t, st, ".")
		require.NoError(t, st.Rename("state.tmp", "state"))
		d.Crash()
		assert.Equal(t, "new", string(readFile(t, st, "state")))
		assert.Equal(t, 1, d.Stats().KeptDirectoryChanges)
	})
}

func TestCrashNote(t *testing.T) {
	for _, tc := range []struct{ msg, crash, note string }{
		{"disk a: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept", "disk a: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept", ""},
		{"disk a: crash: unsynced changes in 1 file (x; y): 1 sector lost, 0 kept; 1 create whose directory was not synced (x; y) kept: a real disk could lose it (chaos.Storage.LoseUnsyncedDirectories loses such changes)",
			"disk a: crash: unsynced changes in 1 file (x; y): 1 sector lost, 0 kept",
			"1 create whose directory was not synced (x; y) kept: a real disk could lose it (chaos.Storage.LoseUnsyncedDirectories loses such changes)"},
		{"disk a: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept; 1 create whose directory was not synced (x) lost, and with it the file it made, synced data and all",
			"disk a: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept", ""},
		{"disk a: kill: open files closed; unsynced changes in 0 files kept unsynced", "disk a: kill: open files closed; unsynced changes in 0 files kept unsynced", ""},
	} {
		crash, note := CrashNote(tc.msg)
		assert.Equal(t, tc.crash, crash)
		assert.Equal(t, tc.note, note)
	}
}

// A crash whose changes were all made durable by directory syncs says
// nothing of them; one with the option on says which it lost, and
// nothing of those it kept.
func TestACrashSaysNothingOfSyncedOrKeptChanges(t *testing.T) {
	for seed := range uint64(10) {
		got, res := replaceByRename(t, seed, chaos.DefaultStorage(), true)
		assert.Equal(t, "new", got)
		assert.NotContains(t, timeline(res), unsyncedWhose, "seed %d: both directories were synced", seed)

		got, stats, tl := replaceInPlace(t, seed, losesDirs)
		assert.Contains(t, []string{"old", "new"}, got)
		assert.NotContains(t, tl, keptNote, "seed %d: the option on loses what it loses, and tells it as before", seed)
		if got == "old" {
			// The rename lost, and the create before it sometimes.
			assert.Regexp(t, `crash: unsynced changes in 0 files: 0 sectors lost, 0 kept; `+
				`(1 rename whose directory was not synced \(MANIFEST.tmp -> MANIFEST\) lost|`+
				`1 create and 1 rename whose directory was not synced \(create of MANIFEST.tmp, rename of MANIFEST.tmp -> MANIFEST\) lost, `+
				`and with them the file it made, synced data and all)\n`, tl, "seed %d", seed)
		} else {
			assert.NotContains(t, tl, unsyncedWhose, "seed %d: the crash kept the rename", seed)
		}
		assert.Zero(t, stats.KeptDirectoryChanges)
	}
}

// replaceInPlace replaces a file by a rename in its directory, syncs no
// directory after, and crashes. It returns what the file holds, the
// disk's counters, and the timeline.
func replaceInPlace(t *testing.T, seed uint64, cfg chaos.Storage) (string, Stats, string) {
	var got string
	var stats Stats
	res := run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "MANIFEST", []byte("old"), true)
		syncDir(t, st, ".")
		writeFile(t, st, "MANIFEST.tmp", []byte("new"), true)
		require.NoError(t, st.Rename("MANIFEST.tmp", "MANIFEST"))
		d.Crash()
		got = string(readFile(t, st, "MANIFEST"))
		stats = d.Stats()
	})
	return got, stats, timeline(res)
}

// The note is the timeline's alone: the run draws and hashes what it did
// before the crash told of the changes it kept.
func TestTheNoteLeavesTheTraceAlone(t *testing.T) {
	body := func(commit bool) func(ctx context.Context, d *Disk, st providers.Storage) {
		return func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "a.tmp", []byte("a"), true)
			require.NoError(t, st.Rename("a.tmp", "a"))
			require.NoError(t, st.Remove("b"), "b")
			if commit {
				d.commitNamespace() // nothing pending for the crash to tell of
			}
			d.Crash()
		}
	}
	for seed := range uint64(5) {
		cfg := chaos.DefaultStorage()
		told := run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "b", nil, true)
			body(false)(ctx, d, st)
		})
		quiet := run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "b", nil, true)
			body(true)(ctx, d, st)
		})
		assert.Contains(t, timeline(told), "; 2 creates, 1 rename and 1 remove whose directory was not synced (create of b, create of a.tmp and 2 more) kept")
		assert.NotContains(t, timeline(quiet), unsyncedWhose)
		assert.Equal(t, quiet.Draws, told.Draws)
		assert.Equal(t, quiet.Trace, told.Trace)
	}
}

// Many changes make a short entry: their count, by kind, and the first
// two. Past the log's room they are counted still, until a directory
// sync, after which none is told of.
func TestManyKeptChangesAreCounted(t *testing.T) {
	const n = maxUnsynced + 44
	create := func(st providers.Storage, dir string) {
		for i := range n {
			f, err := st.Create(fmt.Sprintf("%s/f%03d", dir, i))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}
	}
	res := run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.Mkdir("d", 0o755))
		syncDir(t, st, ".")
		create(st, "d")
		d.Crash()
		assert.Equal(t, n, d.Stats().KeptDirectoryChanges)
		assert.Len(t, listing(t, st, "d"), n, "every create survives the crash")
	})
	assert.Contains(t, crashEntry(t, timeline(res)), fmt.Sprintf("; %d creates whose directory was not synced (d/f000, d/f001 and %d more) kept: a real disk could lose them", n, n-2))

	res = run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.Mkdir("d", 0o755))
		syncDir(t, st, ".")
		create(st, "d")
		syncDir(t, st, "d")
		d.Crash()
		assert.Zero(t, d.Stats().KeptDirectoryChanges)
		assert.Empty(t, d.pending)
	})
	assert.NotContains(t, timeline(res), unsyncedWhose)
}

// What a crash tells of follows the option's rules for what it could
// lose: a rename between directories needs both synced; a kill keeps the
// changes unsynced; a stop, a wipe, and switching the option on make them
// durable; a crash tells of each once.
func TestKeptChangesFollowTheDirectorySyncs(t *testing.T) {
	kept := func(body func(d *Disk, st providers.Storage)) int {
		var n int
		run(t, 1, fast, func(ctx context.Context, d *Disk, st providers.Storage) {
			require.NoError(t, st.Mkdir("a", 0o755))
			require.NoError(t, st.Mkdir("b", 0o755))
			writeFile(t, st, "a/f", []byte("x"), true)
			syncDir(t, st, ".")
			syncDir(t, st, "a")
			body(d, st)
			d.Crash()
			n = d.Stats().KeptDirectoryChanges
		})
		return n
	}
	rename := func(st providers.Storage) { require.NoError(t, st.Rename("a/f", "b/f")) }
	assert.Equal(t, 0, kept(func(d *Disk, st providers.Storage) {}))
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st) }))
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st); syncDir(t, st, "a") }))
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st); syncDir(t, st, "b") }))
	assert.Equal(t, 0, kept(func(d *Disk, st providers.Storage) { rename(st); syncDir(t, st, "b"); syncDir(t, st, "a") }))
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st); d.Kill() }))
	assert.Equal(t, 0, kept(func(d *Disk, st providers.Storage) { rename(st); d.Stop() }))
	assert.Equal(t, 0, kept(func(d *Disk, st providers.Storage) { rename(st); d.Wipe() }))
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st); d.Crash() }), "the second crash has nothing to tell")
	assert.Equal(t, 1, kept(func(d *Disk, st providers.Storage) { rename(st); d.pause(true); d.pause(false) }),
		"a pause leaves the option off as it was")
	assert.Equal(t, 0, kept(func(d *Disk, st providers.Storage) {
		rename(st)
		require.NoError(t, d.SetConfig(losesDirs))
		require.NoError(t, d.SetConfig(fast))
	}), "switching the option on makes what was durable stay so")
}
