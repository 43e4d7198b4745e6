package simdisk

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// Disk is the simulated disk of one address: a directory tree whose files
// keep a durable image and an unsynced overlay, served by a device with a
// performance model and a fault configuration.
type Disk struct {
	w    *sim.World
	addr string
	cfg  chaos.Storage // as acted on: Off applied, Randomize drawn
	root *node
	// gen counts the disk's crashes, kills, stops and wipes; a File opened
	// before the latest one no longer works.
	gen   uint64
	dev   device
	stats Stats
	held  *chaos.Storage // the configuration a pause holds back
	// noise is what never-written sectors hold; files counts the files
	// made, each one's id for it.
	noise *noise
	files uint64
	// pages is the free pages of files that are gone.
	pages pagePool
	// syncs is the free sync completions (file.sync).
	syncs []*syncDone
	// orphans is the files removed while a handle that works holds them:
	// as on a POSIX file system, their space is free only when their last
	// handle closes, or the process that held it dies (handlesEnded).
	orphans []*node
	// pending is the namespace changes not yet durable, in order; nsSeq
	// numbers them. While chaos.Storage.LoseUnsyncedDirectories is off
	// they are durable already, and pending keeps those a real disk could
	// still lose, for a crash to tell of (dirlog.go); untracked counts, by
	// kind, those past its end.
	pending   []nsChange
	nsSeq     uint64
	untracked [nsKinds]int
}

// Stats counts what a disk did and suffered.
type Stats struct {
	Reads, Writes, Syncs    int
	BytesRead, BytesWritten int64
	Crashes, Stops, Wipes   int
	Kills                   int // deaths of the disk's process alone, its machine up

	// Faults, by the names of chaos.StorageFaultNames.
	ReadCorruptions   int
	WriteCorruptions  int
	MisdirectedReads  int
	MisdirectedWrites int
	PhantomWrites     int
	SyncFailures      int
	TornSectors       int // unsynced sectors kept by crashes
	Stalls            int
	Throttles         int
	Fulls             int // episodes of a full disk
	NoSpace           int // writes and truncations that failed with ENOSPC
	// LostDirectoryChanges counts the namespace changes crashes undid
	// (unsynced-directory).
	LostDirectoryChanges int
	// KeptDirectoryChanges counts the namespace changes whose directories
	// were not synced that crashes kept because LoseUnsyncedDirectories
	// was off: a real disk could have lost them.
	KeptDirectoryChanges int
	// TornTruncations counts the truncations not yet synced that crashes
	// carried onto the disk (with chaos.Storage.TornWriteProb); their
	// events are torn writes.
	TornTruncations int
}

// New returns the disk of addr in w, configured by cfg. A cfg with
// Randomize set draws its intensities now, from w's random stream.
func New(w *sim.World, addr string, cfg chaos.Storage) (*Disk, error) {
	d := &Disk{w: w, addr: addr, root: newDir(0o755, 0), noise: newNoise(w.Seed(), addr)}
	if err := d.SetConfig(cfg); err != nil {
		return nil, err
	}
	return d, nil
}

// SetConfig changes the disk's configuration from now on. A cfg with
// Randomize set draws its intensities now, from the run's random stream.
func (d *Disk) SetConfig(cfg chaos.Storage) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("disk %q: %w", d.addr, err)
	}
	if cfg.Randomize {
		cfg = cfg.Draw(d.w.Rand())
	}
	d.act(cfg.Effective())
	d.noise.on = cfg.UnwrittenGarbage
	if d.held != nil { // paused: hold the new faults back too
		d.held = nil
		d.pause(true)
	}
	return nil
}

// act makes cfg, effective, the configuration the disk acts on. Switching
// LoseUnsyncedDirectories either way makes every pending namespace change
// durable: off, a crash loses none of them; on, none made while it was
// off.
func (d *Disk) act(cfg chaos.Storage) {
	if cfg.LoseUnsyncedDirectories != d.cfg.LoseUnsyncedDirectories {
		d.commitNamespace()
	}
	d.cfg = cfg
}

// Config returns the configuration the disk acts on: faults named in Off
// are at zero, and intensities drawn if Randomize was set.
func (d *Disk) Config() chaos.Storage { return d.cfg }

// Addr returns the address the disk belongs to.
func (d *Disk) Addr() string { return d.addr }

// Stats returns the disk's counters.
func (d *Disk) Stats() Stats { return d.stats }

// Storage returns the disk as a providers.Storage, for the tasks of its
// simulation. Its files belong to no process: they end only when the disk
// crashes, is killed, stops or is wiped. A process's files are opened
// through its own [Disk.Process].
func (d *Disk) Storage() providers.Storage { return storage{d: d} }

// Crash is a power loss: every file loses what was not synced, except
// the truncation and the sectors that torn writes carry onto the durable
// image (see chaos.Storage.TornWriteProb), drawn file by file in path
// order, a file's truncation first, then sector by sector in order.
// Directory metadata survives, unless
// chaos.Storage.LoseUnsyncedDirectories is on: then the namespace changes
// not made durable by syncing their directories may be undone first, and
// the crash's entry tells of those it undid, and of the files and
// directories their creates took along, which leave no unsynced changes
// to count. Otherwise the crash's entry tells of those changes, which it
// keeps and a real disk could lose. Files opened before the crash no longer work, and
// operations under way fail when they complete.
func (d *Disk) Crash() {
	d.stats.Crashes++
	d.gen++
	kept := d.crashNamespace()
	var files namedFiles
	lost, torn, failed := 0, 0, 0
	p := d.cfg.TornWriteProb
	// tear draws whether a torn write carries one more thing onto the
	// disk, and counts it in counted if so.
	tear := func(counted *int) func() bool {
		return func() bool {
			if d.w.Rand().Bool(p) {
				*counted++
				return true
			}
			return false
		}
	}
	cut, keep := tear(&d.stats.TornTruncations), tear(&d.stats.TornSectors)
	var keptSectors []int64
	keptAt := func(s int64) { keptSectors = append(keptSectors, s) }
	d.walkFiles(func(name string, c *content) {
		keptSectors = keptSectors[:0]
		unsynced := c.unsynced()
		var was pending
		if unsynced && files.named() {
			was = c.pending() // before the crash drops it
		}
		cutTo, dirty, k, f := c.crash(cut, keep, keptAt)
		failed += f
		if !unsynced {
			return
		}
		files.add(name, was.String(cutTo != noTrunc))
		lost += dirty - k
		torn += k
		if cutTo != noTrunc {
			d.eventAs("", "torn-write", "%s: a truncate to %d reached the disk without a sync", name, cutTo)
		}
		if k > 0 {
			// Which sectors, for the reader of a torn record; the trace
			// hears how many.
			key := d.about("torn-write") + fmt.Sprintf("%s: %d of %s reached the disk", name, k, plural.Count(dirty, "unsynced sector"))
			msg := key + ": " + sectorRanges(keptSectors)
			if k == dirty && cutTo == noTrunc {
				msg = key + ", " + allReached + ": " + sectorRanges(keptSectors)
			}
			d.w.EventKeyed("", key, msg)
		}
	})
	// The disk's own doing, not the task's that took the power away:
	// it is told at no task, as the network's faults are.
	if failed > 0 {
		// Counted apart from the sectors lost, which the trace hears: a
		// reader who sees none lost here and a file unreadable after it
		// learns where its bytes went.
		kept = strings.TrimPrefix(kept+"; "+failedSyncGone(failed), "; ")
	}
	d.eventNaming("crash", &files, kept, func(files string) string {
		return fmt.Sprintf("unsynced changes in %s: %s lost, %d kept", files, plural.Count(lost, "sector"), torn)
	})
	d.handlesEnded()
}

// allReached marks a torn-write entry of a crash that kept every
// unsynced sector of a file, which left it as a sync would have: the
// report counts no torn write for it.
const allReached = "every one, so nothing tore"

// AllReached reports whether msg is a torn-write entry of a crash that
// kept every unsynced sector of its file.
func AllReached(msg string) bool { return strings.Contains(msg, ", "+allReached+": ") }

// maxRangesNamed is how many runs of sectors a torn write's entry names.
const maxRangesNamed = 4

// sectorRanges names sectors, in order, as runs: "sector 7 (bytes
// 3584-4095)", "sectors 6-7 (bytes 3072-4095), sector 9 (...)", the
// first maxRangesNamed runs and a count of the rest.
func sectorRanges(sectors []int64) string {
	var runs []string
	for i := 0; i < len(sectors); {
		j := i
		for j+1 < len(sectors) && sectors[j+1] == sectors[j]+1 {
			j++
		}
		from, to := sectors[i], sectors[j]
		bytes := fmt.Sprintf("bytes %d-%d", from*SectorSize, (to+1)*SectorSize-1)
		if from == to {
			runs = append(runs, fmt.Sprintf("sector %d (%s)", from, bytes))
		} else {
			runs = append(runs, fmt.Sprintf("sectors %d-%d (%s)", from, to, bytes))
		}
		i = j + 1
	}
	if more := len(runs) - maxRangesNamed; more > 0 {
		runs = append(runs[:maxRangesNamed], fmt.Sprintf("and %d more runs", more))
	}
	return strings.Join(runs, ", ")
}

// failedSyncGone tells the sectors a crash or a stop dropped that failed
// syncs had kept from the disk, readable until then.
func failedSyncGone(failed int) string {
	verb := "are"
	if failed == 1 {
		verb = "is"
	}
	return fmt.Sprintf("%s that a failed sync kept from the disk, readable until now, %s gone", plural.Count(failed, "sector"), verb)
}

// maxFilesNamed is how many files a crash or a kill names.
const maxFilesNamed = 3

// eventNaming records a fault of the disk itself, at no task, whose
// message msg tells the files it touched: the timeline names the first
// few, and the trace keeps their count alone, as it did before the names
// were told. A note, when not empty, ends the timeline's message after a
// semicolon, and the trace does not hear it either.
func (d *Disk) eventNaming(what string, files *namedFiles, note string, msg func(files string) string) {
	prefix := d.about(what)
	key := prefix + msg(plural.Count(files.n, "file"))
	told := key // nothing to name
	if files.n > 0 {
		told = prefix + msg(files.String())
	}
	if note != "" {
		told += "; " + note
	}
	d.w.EventKeyed("", key, told)
}

// namedFiles counts files and keeps the names of the first few, each
// with what it had pending, if told.
type namedFiles struct {
	n     int
	first [maxFilesNamed]string
}

// named reports whether the next file added is named.
func (f *namedFiles) named() bool { return f.n < len(f.first) }

func (f *namedFiles) add(name, pending string) {
	if f.named() {
		if pending != "" {
			name += ": " + pending
		}
		f.first[f.n] = name
	}
	f.n++
}

// String counts the files and names the first few: "2 files (a, b)", or,
// told what they had pending, "2 files (a: bytes 0-511; b: a truncate
// to 0)".
func (f *namedFiles) String() string {
	s := plural.Count(f.n, "file")
	if f.n == 0 {
		return s
	}
	shown := f.first[:min(f.n, len(f.first))]
	sep := ", "
	for _, n := range shown {
		if strings.Contains(n, ": ") {
			sep = "; "
		}
	}
	s += " (" + strings.Join(shown, sep)
	if more := f.n - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s + ")"
}

// Stop is a graceful shutdown: everything written reaches the durable
// image, except what failed syncs lost, and every namespace change is
// durable. Files opened before the stop no longer work.
func (d *Disk) Stop() {
	d.stats.Stops++
	d.gen++
	d.commitNamespace()
	failed := 0
	d.walkFiles(func(_ string, c *content) { failed += c.stop() })
	d.handlesEnded()
	key := d.about("stop") + "unsynced data written out"
	told := key
	if failed > 0 {
		// The trace keeps what the entry said before it told the loss,
		// as Crash's note is kept from it.
		told += "; " + failedSyncGone(failed)
	}
	d.w.EventKeyed(d.w.CurrentTask(), key, told)
}

// Kill is the death of the process that used the disk, its machine still
// up: every write stays, as the kernel's page cache keeps it, and what was
// not synced stays unsynced, so that a later Crash can still lose it,
// namespace changes whose directories were not synced too. A sync under
// way makes nothing more durable. Files opened before the kill
// no longer work.
func (d *Disk) Kill() {
	d.stats.Kills++
	d.gen++
	var files namedFiles
	d.walkFiles(func(name string, c *content) {
		if !c.unsynced() {
			return
		}
		var was pending
		if files.named() {
			was = c.pending()
		}
		files.add(name, was.String(false))
	})
	d.eventNaming("kill", &files, "", func(files string) string {
		return "open files closed; unsynced changes in " + files + " kept unsynced"
	})
	d.handlesEnded()
}

// Wipe erases the disk: no file or directory is left. Files opened before
// the wipe no longer work.
func (d *Disk) Wipe() {
	d.stats.Wipes++
	d.gen++
	d.commitNamespace()
	// Every handle ended with the generation: the files' pages are free.
	d.walkFiles(func(_ string, c *content) { c.release() })
	d.handlesEnded()
	d.root = newDir(0o755, d.w.Now())
	d.eventAs("", "wipe", "every file erased")
}

// walkFiles calls f for every file reachable from the root, in path order.
func (d *Disk) walkFiles(f func(name string, c *content)) {
	var walk func(prefix string, n *node)
	walk = func(prefix string, n *node) {
		for _, name := range slices.Sorted(maps.Keys(n.kids)) {
			k := n.kids[name]
			if k.dir {
				walk(prefix+name+"/", k)
			} else {
				f(prefix+name, k.c)
			}
		}
	}
	walk("", d.root)
}

// free returns how many bytes of new space a write may take now, or -1 for
// no limit. A full episode may start first: its coin (when
// Full.Prob > 0 and none is under way), then its length.
func (d *Disk) free() int64 {
	cfg := &d.cfg
	now := d.w.Now()
	if now >= d.dev.fullEnd && d.w.Rand().Bool(cfg.Full.Prob) {
		d.w.FaultBegins(sim.Fault{Kind: "disk full", At: d.w.Rand().Draws(), On: d.addr})
		dur := d.span(cfg.Full.Duration.Min, cfg.Full.Duration.Max)
		d.dev.fullEnd = now + dur
		d.stats.Fulls++
		d.event("full", "the disk is full for %v", dur)
	}
	switch {
	case now < d.dev.fullEnd:
		return 0
	case cfg.Capacity <= 0:
		return -1
	}
	var used int64
	var sum func(n *node)
	sum = func(n *node) {
		for _, k := range n.kids {
			if k.dir {
				sum(k)
			} else {
				used += ceilSectors(k.c.size) * SectorSize
			}
		}
	}
	sum(d.root)
	for _, n := range d.orphans {
		used += ceilSectors(n.c.size) * SectorSize
	}
	return max(cfg.Capacity-used, 0)
}

// fits returns how many bytes of a write of n bytes at off fit in the
// space free to a file of the given size, whose last sector is whole.
func fits(free, size, off int64, n int) int {
	if free < 0 {
		return n
	}
	limit := max(ceilSectors(size)*SectorSize, size) + free // the file may grow to this size
	switch {
	case off >= limit:
		return 0
	case off+int64(n) > limit:
		return int(limit - off)
	}
	return n
}

// event records what happened to the disk in the run's timeline and trace,
// attributed to the current task.
func (d *Disk) event(what, format string, args ...any) {
	d.eventAs(d.w.CurrentTask(), what, format, args...)
}

// eventAs is event, attributed to task: for effects that land on the
// scheduler, after the task that caused them parked.
func (d *Disk) eventAs(task, what, format string, args ...any) {
	d.w.Event(task, d.about(what)+fmt.Sprintf(format, args...))
}

// about begins the message of an event of the disk's: "disk kv-0: crash: ".
func (d *Disk) about(what string) string { return "disk " + d.addr + ": " + what + ": " }

// Disks are the disks of a simulation, one per address, each made on
// first use.
type Disks struct {
	w      *sim.World
	def    chaos.Storage
	per    map[string]chaos.Storage
	disks  map[string]*Disk
	paused bool
}

// NewDisks returns the disks of w, configured by def unless [Disks.Configure]
// says otherwise for an address.
func NewDisks(w *sim.World, def chaos.Storage) (*Disks, error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	return &Disks{w: w, def: def, per: map[string]chaos.Storage{}, disks: map[string]*Disk{}}, nil
}

// SetDefault changes the configuration of the disks not yet made and not
// configured by address.
func (ds *Disks) SetDefault(cfg chaos.Storage) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ds.def = cfg
	return nil
}

// Pause stops every disk's faults, or restores them: a paused disk keeps
// its performance model and draws no fault. A disk made while paused starts
// paused.
func (ds *Disks) Pause(paused bool) {
	ds.paused = paused
	for _, addr := range ds.Addrs() {
		ds.disks[addr].pause(paused)
	}
}

func (d *Disk) pause(paused bool) {
	switch {
	case paused && d.held == nil:
		held := d.cfg
		d.held = &held
		quiet := d.cfg
		quiet.Off = chaos.StorageFaultNames()
		d.act(quiet.Effective())
	case !paused && d.held != nil:
		d.act(*d.held)
		d.held = nil
	}
}

// Quiesce turns the faults of every disk off from now on, keeping the
// default performance model ([chaos.NoStorageFaults]): the disks already
// made, and those made later, whatever [Disks.Configure] said for their
// address. A workload calls it before checking that the system recovers.
// It draws nothing and records no event.
func (ds *Disks) Quiesce() {
	quiet := chaos.NoStorageFaults()
	ds.def = quiet
	clear(ds.per)
	for _, addr := range ds.Addrs() {
		// What was never written reads as it did: the disk's garbage
		// is not a fault that stops.
		quiet := quiet
		quiet.UnwrittenGarbage = ds.disks[addr].cfg.UnwrittenGarbage
		if err := ds.disks[addr].SetConfig(quiet); err != nil {
			panic(err) // NoStorageFaults validates
		}
	}
}

// Configure sets the configuration of the disk of addr, made or not.
func (ds *Disks) Configure(addr string, cfg chaos.Storage) error {
	if d, ok := ds.disks[addr]; ok {
		return d.SetConfig(cfg)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("disk %q: %w", addr, err)
	}
	ds.per[addr] = cfg
	return nil
}

// Disk returns the disk of addr, making it on first use.
func (ds *Disks) Disk(addr string) *Disk {
	if d, ok := ds.disks[addr]; ok {
		return d
	}
	cfg, ok := ds.per[addr]
	if !ok {
		cfg = ds.def
	}
	d, err := New(ds.w, addr, cfg)
	if err != nil {
		panic(err) // validated when it was given
	}
	d.pause(ds.paused)
	ds.disks[addr] = d
	return d
}

// NoSpace counts the writes and truncations that the disks refused for
// lack of space (Stats.NoSpace), all told.
func (ds *Disks) NoSpace() int {
	n := 0
	for _, d := range ds.disks { // a sum: the order does not matter
		n += d.stats.NoSpace
	}
	return n
}

// Addrs returns the addresses of the disks made so far, sorted.
func (ds *Disks) Addrs() []string { return slices.Sorted(maps.Keys(ds.disks)) }
