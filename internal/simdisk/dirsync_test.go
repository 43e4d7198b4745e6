package simdisk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// losesDirs is a fast disk that loses the namespace changes whose
// directories were not synced.
var losesDirs = chaos.Storage{LoseUnsyncedDirectories: true}

// syncDir opens the directory name and syncs it, as a program does after
// creating or renaming a file in it.
func syncDir(t *testing.T, st providers.Storage, name string) {
	t.Helper()
	f, err := st.Open(name)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

// exists reports whether name is on the disk, as Stat and its directory's
// listing both say.
func exists(t *testing.T, st providers.Storage, name string) bool {
	t.Helper()
	_, err := st.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		_, listed := listing(t, st, dirOf(name))[baseOf(name)]
		assert.False(t, listed, "%s: Stat finds nothing but its directory lists it", name)
		return false
	}
	require.NoError(t, err)
	return true
}

func dirOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}

func baseOf(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

func listing(t *testing.T, st providers.Storage, dir string) map[string]bool {
	t.Helper()
	es, err := st.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	out := map[string]bool{}
	for _, e := range es {
		out[e.Name()] = true
	}
	return out
}

// replaceByRename is the classic way to replace a file atomically: write
// a temporary file, sync it, rename it over the target. It syncs the
// directory after the rename only when told to. Then the disk crashes,
// and it returns what target holds.
func replaceByRename(t *testing.T, seed uint64, cfg chaos.Storage, syncAfter bool) (string, sim.Result) {
	var got string
	res := run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
		writeFile(t, st, "MANIFEST", []byte("old"), true)
		syncDir(t, st, ".")
		require.NoError(t, st.MkdirAll("tmp", 0o755))
		syncDir(t, st, ".")
		writeFile(t, st, "tmp/MANIFEST", []byte("new"), true)
		require.NoError(t, st.Rename("tmp/MANIFEST", "MANIFEST"))
		if syncAfter {
			syncDir(t, st, ".")
			syncDir(t, st, "tmp")
		}
		d.Crash()
		got = string(readFile(t, st, "MANIFEST"))
	})
	return got, res
}

func TestRenameWithoutDirectorySyncCanBeLost(t *testing.T) {
	outcomes := map[string]int{}
	var lost sim.Result
	for seed := range uint64(40) {
		got, res := replaceByRename(t, seed, losesDirs, false)
		outcomes[got]++
		if got == "old" {
			lost = res
		}
	}
	assert.Positive(t, outcomes["old"], "some crashes lose the rename: %v", outcomes)
	assert.Positive(t, outcomes["new"], "some keep it: %v", outcomes)
	assert.Len(t, outcomes, 2, "the target holds one whole version or the other")
	assert.Contains(t, timeline(lost), "disk n1: unsynced-directory: crash lost the rename of tmp/MANIFEST to MANIFEST, over the file there (neither directory was synced after it)")

	for seed := range uint64(40) {
		got, _ := replaceByRename(t, seed, losesDirs, true)
		assert.Equal(t, "new", got, "seed %d: syncing both directories after the rename makes it durable", seed)
		got, res := replaceByRename(t, seed, chaos.Storage{}, false)
		assert.Equal(t, "new", got, "seed %d: without the option, a rename is durable when it returns", seed)
		assert.NotContains(t, timeline(res), "unsynced-directory")
	}
}

func TestLostCreateTakesItsSyncedDataAlong(t *testing.T) {
	vanished := 0
	for seed := range uint64(30) {
		gone := false
		res := run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "f", []byte("synced"), true)
			d.Crash()
			if !exists(t, st, "f") {
				vanished++
				gone = true
				assert.Equal(t, 1, d.Stats().LostDirectoryChanges)
				return
			}
			assert.Equal(t, "synced", string(readFile(t, st, "f")))
		})
		if gone {
			// The file left no unsynced sectors to count: the crash's
			// entry says where it went, not that nothing was lost.
			assert.Contains(t, timeline(res), "disk n1: crash: unsynced changes in 0 files: 0 sectors lost, 0 kept; "+
				"1 create whose directory was not synced (f) lost, and with it the file it made, synced data and all\n")
		} else {
			assert.NotContains(t, timeline(res), "lost, and with")
		}
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "f", []byte("synced"), true)
			syncDir(t, st, ".")
			d.Crash()
			assert.Equal(t, "synced", string(readFile(t, st, "f")), "seed %d: its directory was synced", seed)
			assert.Zero(t, d.Stats().LostDirectoryChanges)
		})
	}
	assert.Positive(t, vanished, "the file's own sync does not make its name durable")
	assert.Less(t, vanished, 30)
}

func TestLostRemoveBringsTheFileBack(t *testing.T) {
	back := 0
	for seed := range uint64(30) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "f", []byte("durable"), true)
			syncDir(t, st, ".")
			f, err := st.OpenFile("f", os.O_RDWR, 0)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("NOT SYNCED"), 0)
			require.NoError(t, err)
			require.NoError(t, st.Remove("f"))
			_, err = f.Write([]byte("!"))
			require.NoError(t, err, "a removed file goes on working while open")
			d.Crash()
			if exists(t, st, "f") {
				back++
				assert.Equal(t, "durable", string(readFile(t, st, "f")), "it comes back with its durable content")
			}
		})
	}
	assert.Positive(t, back)
	assert.Less(t, back, 30)
}

// A rename between two directories is durable only once both are synced
// after it: the directory it left, and the one it entered.
func TestRenameBetweenDirectoriesNeedsBothSynced(t *testing.T) {
	where := func(seed uint64, sync ...string) string {
		var at string
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			require.NoError(t, st.Mkdir("a", 0o755))
			require.NoError(t, st.Mkdir("b", 0o755))
			syncDir(t, st, ".")
			writeFile(t, st, "a/f", []byte("x"), true)
			syncDir(t, st, "a")
			require.NoError(t, st.Rename("a/f", "b/f"))
			for _, dir := range sync {
				syncDir(t, st, dir)
			}
			d.Crash()
			switch a, b := exists(t, st, "a/f"), exists(t, st, "b/f"); {
			case a && !b:
				at = "a"
			case b && !a:
				at = "b"
			default:
				t.Fatalf("seed %d: a/f %v, b/f %v: the file is in exactly one place", seed, a, b)
			}
		})
		return at
	}
	seen := map[string]map[string]bool{}
	for _, sync := range [][]string{nil, {"a"}, {"b"}, {"a", "b"}, {"b", "a"}} {
		key := strings.Join(sync, "+")
		seen[key] = map[string]bool{}
		for seed := range uint64(20) {
			seen[key][where(seed, sync...)] = true
		}
	}
	for _, key := range []string{"", "a", "b"} {
		assert.Equal(t, map[string]bool{"a": true, "b": true}, seen[key], "synced %q: the rename may be lost or kept", key)
	}
	assert.Equal(t, map[string]bool{"b": true}, seen["a+b"])
	assert.Equal(t, map[string]bool{"b": true}, seen["b+a"])
}

// A directory whose creation was lost takes what was made in it along,
// even what a sync of the directory itself made durable: its entry in its
// parent was never synced.
func TestLostMkdirTakesItsFilesAlong(t *testing.T) {
	gone := 0
	for seed := range uint64(30) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			require.NoError(t, st.MkdirAll("x/y", 0o755))
			writeFile(t, st, "x/y/f", []byte("data"), true)
			syncDir(t, st, "x/y")
			d.Crash()
			if !exists(t, st, "x") {
				gone++
				return
			}
			assert.True(t, exists(t, st, "x/y/f") || !exists(t, st, "x/y"), "a kept directory keeps its synced entries")
		})
	}
	assert.Positive(t, gone)
}

func TestADirectorySyncDuringACrashMakesNothingDurable(t *testing.T) {
	cfg := losesDirs
	cfg.SyncLatency = chaos.Range{Min: time.Second, Max: time.Second}
	kept := 0
	for seed := range uint64(30) {
		run(t, seed, cfg, func(ctx context.Context, d *Disk, st providers.Storage) {
			f, err := st.Create("f")
			require.NoError(t, err)
			require.NoError(t, f.Close())
			dir, err := st.Open(".")
			require.NoError(t, err)
			serr := make(chan error, 1) // written by a task, read after Join
			p := d.w.Providers()
			h := p.Task.Go(ctx, "syncer", func(ctx context.Context) error {
				serr <- dir.Sync()
				return nil
			})
			require.NoError(t, p.Time.Sleep(ctx, 500*time.Millisecond))
			d.Crash()
			require.NoError(t, h.Join(ctx))
			assert.ErrorIs(t, <-serr, fs.ErrClosed, "the crash ends the sync")
			if exists(t, st, "f") {
				kept++
			}
		})
	}
	assert.Less(t, kept, 30, "the sync never completed, so it made nothing durable")
}

// Switching the option off, pausing the faults or stopping the disk makes
// what is pending durable.
func TestPendingChangesBecomeDurableWhenTheOptionGoesOff(t *testing.T) {
	for seed := range uint64(20) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "a", []byte("a"), true)
			require.NoError(t, d.SetConfig(fast))
			require.NoError(t, d.SetConfig(losesDirs))
			writeFile(t, st, "b", []byte("b"), true)
			d.Stop()
			writeFile(t, st, "c", []byte("c"), true)
			d.pause(true)
			d.pause(false)
			d.Crash()
			assert.True(t, exists(t, st, "a"), "seed %d: made durable when the option went off", seed)
			assert.True(t, exists(t, st, "b"), "seed %d: made durable by the stop", seed)
			assert.True(t, exists(t, st, "c"), "seed %d: made durable by the pause", seed)
		})
	}
}

func TestKillKeepsNamespaceChangesPending(t *testing.T) {
	gone := 0
	for seed := range uint64(30) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			writeFile(t, st, "f", []byte("x"), true)
			d.Kill()
			require.True(t, exists(t, st, "f"), "the machine is up: its kernel still has the entry")
			d.Crash()
			if !exists(t, st, "f") {
				gone++
			}
		})
	}
	assert.Positive(t, gone, "a kill syncs no directory")
}

// The namespace model: a name maps to the content of the file it names;
// every file's data is synced, so only names are at stake.

type dsOp struct {
	Kind       int // 0 create, 1 remove, 2 rename, 3 sync a directory
	Name, Dst  int
	SyncedDirs int
}

var dsNames = []string{"a/x", "a/y", "b/x", "b/y", "z"}
var dsDirs = []string{"a", "b", "."}

type dsChange struct {
	kind       int
	name, dst  string
	content    string
	dirs       []string // the directories it touched
	syncedDirs map[string]bool
}

func (c dsChange) durable() bool {
	for _, d := range c.dirs {
		if !c.syncedDirs[d] {
			return false
		}
	}
	return true
}

// dsExec runs ops on a disk that loses unsynced directories, crashes it,
// and returns the names left and what each holds, with the changes made.
func dsExec(t *rapid.T, seed uint64, ops []dsOp) (map[string]string, []dsChange, sim.Result) {
	w := sim.New(sim.Config{Seed: seed, Timeline: 1000})
	var got map[string]string
	var changes []dsChange
	live := map[string]string{}
	res := w.Run(func(ctx context.Context, p providers.Providers) error {
		d, err := New(w, "n1", losesDirs)
		if err != nil {
			return err
		}
		st := d.Storage()
		for _, dir := range dsDirs[:2] {
			if err := st.Mkdir(dir, 0o755); err != nil {
				return err
			}
		}
		if err := syncDirErr(st, "."); err != nil {
			return err
		}
		for i, op := range ops {
			name, dst := dsNames[op.Name], dsNames[op.Dst]
			ch := dsChange{kind: op.Kind, name: name, dst: dst, syncedDirs: map[string]bool{}}
			switch op.Kind {
			case 0:
				if _, ok := live[name]; ok {
					continue
				}
				ch.content = fmt.Sprint("file ", i)
				f, err := st.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
				if err != nil {
					return err
				}
				if _, err := f.Write([]byte(ch.content)); err != nil {
					return err
				}
				if err := errors.Join(f.Sync(), f.Close()); err != nil {
					return err
				}
				live[name] = ch.content
				ch.dirs = []string{dirOf(name)}
			case 1:
				if _, ok := live[name]; !ok {
					continue
				}
				if err := st.Remove(name); err != nil {
					return err
				}
				delete(live, name)
				ch.dirs = []string{dirOf(name)}
			case 2:
				if _, ok := live[name]; !ok || name == dst {
					continue
				}
				if err := st.Rename(name, dst); err != nil {
					return err
				}
				live[dst] = live[name]
				delete(live, name)
				ch.dirs = []string{dirOf(name), dirOf(dst)}
			case 3:
				dir := dsDirs[op.SyncedDirs]
				if err := syncDirErr(st, dir); err != nil {
					return err
				}
				for j := range changes {
					if slices.Contains(changes[j].dirs, dir) {
						changes[j].syncedDirs[dir] = true
					}
				}
				continue
			}
			changes = append(changes, ch)
		}
		d.Crash()
		got = map[string]string{}
		for _, name := range dsNames {
			f, err := st.Open(name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			b := make([]byte, 64)
			n, _ := f.Read(b)
			got[name] = string(b[:n])
			_ = f.Close()
		}
		return nil
	})
	if res.Err != nil {
		t.Fatalf("run: %v", res.Err)
	}
	return got, changes, res
}

func syncDirErr(st providers.Storage, name string) error {
	f, err := st.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// dsKept returns the namespace after a crash that kept the first k
// changes, the durable ones, and every change earlier than a kept one
// that touched one of its directories, replayed in order from the empty
// namespace, and how many changes it kept.
func dsKept(changes []dsChange, k int) (map[string]string, int) {
	kept := make([]bool, len(changes))
	for i := range changes {
		kept[i] = i < k || changes[i].durable()
	}
	for j := len(changes) - 1; j >= 0; j-- {
		if !kept[j] {
			continue
		}
		for i := range j {
			for _, dir := range changes[i].dirs {
				if slices.Contains(changes[j].dirs, dir) {
					kept[i] = true
				}
			}
		}
	}
	ns := map[string]string{}
	n := 0
	for i, c := range changes {
		if !kept[i] {
			continue
		}
		n++
		switch c.kind {
		case 0:
			ns[c.name] = c.content
		case 1:
			delete(ns, c.name)
		case 2:
			ns[c.dst] = ns[c.name]
			delete(ns, c.name)
		}
	}
	return ns, n
}

// After a crash the namespace is what replaying some prefix of the
// changes gives, with the changes that directory syncs made durable, and
// never a change without the earlier ones to the same directories. Each
// prefix is as likely: over enough seeds, every one shows.
func TestLostNamespaceChangesModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) dsOp {
			return dsOp{
				Kind:       rapid.IntRange(0, 3).Draw(t, "kind"),
				Name:       rapid.IntRange(0, len(dsNames)-1).Draw(t, "name"),
				Dst:        rapid.IntRange(0, len(dsNames)-1).Draw(t, "dst"),
				SyncedDirs: rapid.IntRange(0, len(dsDirs)-1).Draw(t, "dir"),
			}
		}), 1, 12).Draw(rt, "ops")
		unseen := map[string]bool{}
		for seed := uint64(0); seed < 300 && (seed == 0 || len(unseen) > 0); seed++ {
			got, changes, res := dsExec(rt, seed, ops)
			if seed == 0 {
				for k := range len(changes) + 1 {
					want, _ := dsKept(changes, k)
					unseen[fmt.Sprint(want)] = true
				}
			}
			delete(unseen, fmt.Sprint(got))
			lost := strings.Count(timeline(res), "unsynced-directory: crash lost")
			var diffs []string
			match := false
			for k := len(changes); k >= 0 && !match; k-- {
				want, kept := dsKept(changes, k)
				match = maps.Equal(got, want) && lost == len(changes)-kept
				diffs = append(diffs, fmt.Sprintf("prefix %d (%d lost, %d in the timeline): %s", k, len(changes)-kept, lost, cmp.Diff(want, got)))
			}
			if !match {
				rt.Fatalf("seed %d: the namespace after the crash is no prefix's:\n%s", seed, strings.Join(diffs, "\n"))
			}
		}
		if len(unseen) > 0 {
			rt.Fatalf("300 seeds never gave %v", slices.Sorted(maps.Keys(unseen)))
		}
	})
}

func TestLostNamespaceChangesAreDeterministic(t *testing.T) {
	ops := []dsOp{{Kind: 0, Name: 0}, {Kind: 0, Name: 2}, {Kind: 2, Name: 0, Dst: 3}, {Kind: 3, SyncedDirs: 1},
		{Kind: 0, Name: 4}, {Kind: 1, Name: 2}, {Kind: 2, Name: 4, Dst: 1}, {Kind: 0, Name: 0}}
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		a, _, ra := dsExec(rt, seed, ops)
		b, _, rb := dsExec(rt, seed, ops)
		assert.Equal(rt, a, b)
		assert.Equal(rt, ra.Trace, rb.Trace)
		assert.Equal(rt, timeline(ra), timeline(rb))
	})
}

// With every change made durable by a directory sync before the crash,
// the option draws nothing and notes nothing: the run is the run without
// it.
func TestNothingPendingDrawsNothing(t *testing.T) {
	body := func(ctx context.Context, d *Disk, st providers.Storage) {
		require.NoError(t, st.Mkdir("d", 0o755))
		writeFile(t, st, "d/f", []byte("x"), true)
		require.NoError(t, st.Rename("d/f", "d/g"))
		syncDir(t, st, ".")
		syncDir(t, st, "d")
		d.Crash()
		assert.True(t, exists(t, st, "d/g"))
	}
	for seed := range uint64(5) {
		cfg := chaos.DefaultStorage()
		off := run(t, seed, cfg, body)
		cfg.LoseUnsyncedDirectories = true
		on := run(t, seed, cfg, body)
		assert.Equal(t, off.Draws, on.Draws)
		assert.Equal(t, timeline(off), timeline(on))
		assert.Equal(t, off.Trace, on.Trace)
	}
}

func TestLostNamespaceChangesAreTheSameUnderAnyGOMAXPROCS(t *testing.T) {
	workload := func(seed uint64) sim.Result {
		w := sim.New(sim.Config{Seed: seed, Record: true, Timeline: 10000})
		return w.Run(func(ctx context.Context, p providers.Providers) error {
			cfg := chaos.DefaultStorage()
			cfg.LoseUnsyncedDirectories = true
			crashed := false
			d, err := New(w, "n1", cfg)
			if err != nil {
				return err
			}
			st := d.Storage()
			var hs []providers.Handle
			for i := range 3 {
				hs = append(hs, p.Task.Go(ctx, fmt.Sprint("worker", i), func(ctx context.Context) error {
					dir := fmt.Sprint("d", i)
					if err := st.Mkdir(dir, 0o755); err != nil {
						return nil // the disk crashed
					}
					for !crashed {
						name := fmt.Sprintf("%s/f%d", dir, p.Random.IntN(4))
						if p.Random.IntN(3) == 0 {
							_ = syncDirErr(st, dir)
						}
						f, err := st.Create(name + ".tmp")
						if err != nil {
							return nil
						}
						_, _ = f.Write([]byte(name))
						_ = f.Sync()
						_ = f.Close()
						if st.Rename(name+".tmp", name) != nil {
							return nil
						}
						if p.Random.IntN(5) == 0 {
							_ = st.Remove(fmt.Sprintf("%s/f%d", dir, p.Random.IntN(4)))
						}
					}
					return nil
				}))
			}
			_ = p.Time.Sleep(ctx, 20*time.Millisecond)
			d.Crash()
			crashed = true
			for _, h := range hs {
				_ = h.Join(ctx)
			}
			return nil
		})
	}
	for i, a := range sameUnderAnyGOMAXPROCS(t, workload) {
		assert.Contains(t, timeline(a), "unsynced-directory: crash lost the ", "seed %d", i+1)
	}
}

// A directory is removed once empty: a crash that keeps its removal keeps
// the changes that emptied it, or what they moved out would vanish with it.
func TestAKeptRmdirKeepsWhatEmptiedIt(t *testing.T) {
	for seed := range uint64(30) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			require.NoError(t, st.Mkdir("p", 0o755))
			require.NoError(t, st.Mkdir("q", 0o755))
			syncDir(t, st, ".")
			writeFile(t, st, "p/x", []byte("x"), true)
			syncDir(t, st, "p")
			require.NoError(t, st.Rename("p/x", "q/x"))
			syncDir(t, st, "q")
			require.NoError(t, st.Remove("p"))
			syncDir(t, st, ".")
			d.Crash()
			assert.False(t, exists(t, st, "p"), "seed %d: its removal was synced", seed)
			assert.True(t, exists(t, st, "q/x"), "seed %d: the rename that emptied p is kept with p's removal", seed)
		})
	}
}

// A directory moved to another parent is undone only with everything
// after it: otherwise a kept later move of its old parent into it would
// hang it under itself.
func TestADirectoryNeverEndsUpUnderItself(t *testing.T) {
	for seed := range uint64(40) {
		run(t, seed, losesDirs, func(ctx context.Context, d *Disk, st providers.Storage) {
			require.NoError(t, st.MkdirAll("a/p1/d", 0o755))
			require.NoError(t, st.Mkdir("p2", 0o755))
			for _, dir := range []string{".", "a", "a/p1", "a/p1/d", "p2"} {
				syncDir(t, st, dir)
			}
			require.NoError(t, st.Rename("a/p1/d", "p2/d")) // p1 and p2 never synced
			require.NoError(t, st.Mkdir("p2/d/y", 0o755))
			syncDir(t, st, "p2/d")
			require.NoError(t, st.Rename("a", "p2/d/y/a"))
			syncDir(t, st, ".")
			syncDir(t, st, "p2/d/y")
			d.Crash()
			assert.True(t, exists(t, st, "p2/d/y/a/p1"), "seed %d: the later move is durable, and the earlier one is kept with it", seed)
			assert.False(t, exists(t, st, "a"), "seed %d", seed)
		})
	}
}

// snapshot lists the namespace from the root: each path, with "dir" for a
// directory and a file's content. It lists as problems a node that shows
// up twice (a directory under itself, or one file under two names) and a
// removed file that is reachable.
func snapshot(d *Disk) (map[string]string, []string) {
	out := map[string]string{}
	var problems []string
	seen := map[*node]bool{}
	var walk func(prefix string, n *node)
	walk = func(prefix string, n *node) {
		for _, name := range slices.Sorted(maps.Keys(n.kids)) {
			k := n.kids[name]
			switch {
			case seen[k]:
				problems = append(problems, prefix+name+": the node shows up twice")
				continue
			case !k.dir && k.unlinked:
				problems = append(problems, prefix+name+": a removed file is reachable")
			}
			seen[k] = true
			if k.dir {
				out[prefix+name] = "dir"
				walk(prefix+name+"/", k)
				continue
			}
			b := make([]byte, k.c.size)
			k.c.readAt(b, 0)
			out[prefix+name] = string(b)
		}
	}
	walk("", d.root)
	return out, problems
}

// Random trees of directories and files, changed at random and crashed:
// the namespace stays a tree whatever the crash keeps, and once every
// directory is synced the crash keeps it all.
func TestLostNamespaceChangesKeepATree(t *testing.T) {
	dirs := []string{"a", "b", "a/c", "b/c"}
	files := []string{"x", "a/x", "b/x", "a/c/x", "b/y"}
	all := append(slices.Clone(dirs), files...)
	type treeOp struct {
		kind     int
		name, to string
	}
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		syncAll := rapid.Bool().Draw(rt, "syncAll")
		ops := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) treeOp {
			switch k := rapid.IntRange(0, 5).Draw(t, "op"); k {
			case 0:
				return treeOp{kind: k, name: rapid.SampledFrom(dirs).Draw(t, "dir")}
			case 1:
				return treeOp{kind: k, name: rapid.SampledFrom(all).Draw(t, "name")}
			case 2:
				return treeOp{kind: k, name: rapid.SampledFrom(files).Draw(t, "file")}
			case 3, 4:
				return treeOp{kind: 3, name: rapid.SampledFrom(all).Draw(t, "from"), to: rapid.SampledFrom(all).Draw(t, "to")}
			default:
				return treeOp{kind: k, name: rapid.SampledFrom(append([]string{"."}, dirs...)).Draw(t, "sync")}
			}
		}), 20, 60).Draw(rt, "ops")
		var before, after map[string]string
		var problems []string
		w := sim.New(sim.Config{Seed: seed})
		res := w.Run(func(ctx context.Context, p providers.Providers) error {
			d, err := New(w, "n1", losesDirs)
			if err != nil {
				return err
			}
			st := d.Storage()
			for _, dir := range dirs { // made and durable
				_ = st.Mkdir(dir, 0o755)
				_ = syncDirErr(st, dir)
				_ = syncDirErr(st, dirOf(dir))
			}
			for i, op := range ops {
				switch op.kind {
				case 0:
					_ = st.Mkdir(op.name, 0o755)
				case 1:
					_ = st.Remove(op.name)
				case 2:
					f, err := st.OpenFile(op.name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
					if err == nil {
						_, _ = f.Write([]byte(fmt.Sprint("file ", i)))
						_ = errors.Join(f.Sync(), f.Close())
					}
				case 3:
					_ = st.Rename(op.name, op.to)
				case 5:
					_ = syncDirErr(st, op.name)
				}
			}
			before, problems = snapshot(d)
			if syncAll {
				for _, name := range slices.Sorted(maps.Keys(before)) {
					if before[name] == "dir" {
						if err := syncDirErr(st, name); err != nil {
							return err
						}
					}
				}
				if err := syncDirErr(st, "."); err != nil {
					return err
				}
			}
			d.Crash()
			var more []string
			after, more = snapshot(d)
			problems = append(problems, more...)
			return nil
		})
		require.NoError(rt, res.Err)
		require.Empty(rt, problems)
		if syncAll {
			require.Empty(rt, cmp.Diff(before, after), "every directory was synced")
		}
		for name, what := range after {
			if what != "dir" {
				assert.True(rt, strings.HasPrefix(what, "file "), "%s holds %q", name, what)
			}
		}
	})
}
