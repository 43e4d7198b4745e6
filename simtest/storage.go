package simtest

import (
	"fmt"
	"io"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/simdisk"
	"github.com/moonpool-go/moonpool/providers"
)

// Storage sets the disk faults of every seed: the Storage part of the
// chaos configuration, [chaos.DefaultStorage] (a SATA SSD with every fault
// on) unless [Chaos] says otherwise. [chaos.NoStorageFaults] turns the
// faults off and keeps the timing. It replaces the storage part of
// [Chaos]'s configuration whether it comes before or after it among the
// options; under [chaos.Random] the disks'
// intensities are drawn per seed all the same. [DiskStorage] configures
// one address apart. A configuration that does not validate fails the
// test before any seed runs.
func Storage(cfg chaos.Storage) Option {
	return optionFunc(func(c *config) error {
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest.Storage: %w", err)
		}
		c.storage = &cfg
		return nil
	})
}

// DiskStorage configures the simulated disk of one address, whatever the
// seed's chaos configuration says for the others: a process's host, or
// [DriverDisk].
func DiskStorage(addr string, cfg chaos.Storage) Option {
	return optionFunc(func(c *config) error {
		if addr == "" {
			return fmt.Errorf("simtest.DiskStorage(\"\"): the address is empty; name the disk's address: a process's host, or simtest.DriverDisk")
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("simtest.DiskStorage(%q): %w", addr, err)
		}
		if c.diskDirLoss == nil {
			c.diskDirLoss = map[string]bool{}
		}
		c.diskDirLoss[addr] = cfg.Effective().LoseUnsyncedDirectories
		c.devices = append(c.devices, func(s *S) { _ = s.diskSet().Configure(addr, cfg) })
		return nil
	})
}

// DriverDisk is the address of the test driver's own disk, the one behind
// [S.Storage].
const DriverDisk = "driver"

// Storage returns the Storage of the test driver's own disk, at address
// [DriverDisk].
func (s *S) Storage() providers.Storage { return s.Disk(DriverDisk).Storage() }

// Disk returns the simulated disk of addr, made on first use. Each address
// has its own disk, which lives as long as the seed: a process restarted
// at the same address finds its disk as the restart left it.
func (s *S) Disk(addr string) *Disk { return &Disk{d: s.diskSet().Disk(addr), s: s} }

// diskSet returns the seed's disks, made on first use from the seed's
// chaos configuration. It draws nothing from the seed's stream; a disk
// whose configuration has Randomize set draws when it is made.
func (s *S) diskSet() *simdisk.Disks {
	if s.disks == nil {
		ds, err := simdisk.NewDisks(s.w, s.chaos.Storage)
		if err != nil {
			panic(fmt.Sprintf("simtest: the seed's storage configuration does not validate: %v", err))
		}
		s.disks = ds
	}
	return s.disks
}

// Disk is the simulated disk of one address. Its storage and faults are
// described on [providers.Storage] and [chaos.Storage].
type Disk struct {
	d *simdisk.Disk
	s *S
}

// Addr returns the address the disk belongs to.
func (d *Disk) Addr() string { return d.d.Addr() }

// Storage returns the disk as a providers.Storage, to hand to the code
// under test.
func (d *Disk) Storage() providers.Storage { return d.d.Storage() }

// Crash cuts the disk's power: every file loses what was not synced, but
// for torn writes ([chaos.Storage.TornWriteProb]: unsynced sectors, and
// a truncation not yet synced, may reach the disk anyway), and with
// [chaos.Storage.LoseUnsyncedDirectories] creates, renames and removes
// whose directory was not synced may be undone. Files opened before the
// crash fail from then on with an error matching fs.ErrClosed, and
// operations under way fail when they complete. The tasks that used the
// disk are not stopped: end them, then start again as a rebooted process
// would, opening the files anew. For a power loss of a Cluster's process
// with its disk, which takes the process down and boots it again, use
// [Cluster.Reboot] with [PowerLoss]. A process that asks to be restarted
// ([providers.ErrRestart]) each time its files close meets the restart
// limit ([RestartBurst]) when its disk crashes more often than that.
// The report counts the call among the faults the test injected.
func (d *Disk) Crash() { d.byTest(diskCrash, "Disk.Crash", d.d.Crash) }

// Stop shuts the disk down gracefully: everything written is kept, except
// what failed syncs lost. Files opened before fail from then on.
func (d *Disk) Stop() { d.byTest(notAFault, "Disk.Stop", d.d.Stop) }

// Kill closes the files of the disk's process as its death by kill -9
// does, its machine still up: every write stays, and what was not synced
// stays unsynced, for a later Crash to lose. Files opened before fail
// from then on. The report counts the call among the faults the test
// injected.
func (d *Disk) Kill() { d.byTest(diskKill, "Disk.Kill", d.d.Kill) }

// Wipe erases the disk: no file or directory is left. Files opened before
// fail from then on. The report counts the call among the faults the test
// injected.
func (d *Disk) Wipe() { d.byTest(diskWipe, "Disk.Wipe", d.d.Wipe) }

// byTest runs fn, the test's call named call, which closes the disk's
// files: the report counts it as fault f the test injected (none for a
// graceful stop), and a restart its process asks for next is blamed on it.
// The effects the call has by the chaos configuration (a torn write) are
// the configuration's, as they are at a Cluster's reboot.
func (d *Disk) byTest(f fault, call string, fn func()) {
	fn()
	s := d.s
	if o := s.obs; o != nil && f != notAFault {
		o.faults.add(f)
		o.byHand.add(f)
	}
	if s.diskCalls == nil {
		s.diskCalls = make(map[string]diskCalls)
	}
	c := s.diskCalls[d.d.Addr()]
	c.n++
	c.last = call
	s.diskCalls[d.d.Addr()] = c
}

// diskCalls counts the test's calls that closed a disk's files (Disk.Crash,
// Kill, Wipe, Stop), and names the last.
type diskCalls struct {
	n    int
	last string
}

// Save writes the disk's durable image to w, a tar archive that tar -tvf
// lists and tar -xf unpacks: a directory entry for each directory and a
// regular file for each file, in path order, with their permission bits
// and contents, every entry's time the Unix epoch and its owner 0, so
// that the same disk saves to the same bytes. The image is what a power
// loss now would keep if it tore no write: each file's synced bytes up to
// its synced size. What was written and not synced is left out, whether
// its file is open or closed, and so is a removed file still held open.
// A graceful [Disk.Stop] first makes the image everything written: a
// process's graceful stop does it for a disk the process holds alone, and
// a Topology machine's disk, which its processes share, needs its own
// Stop once they are down. A [Disk.Crash] first makes the image what that
// crash kept, torn writes and all. With
// [chaos.Storage.LoseUnsyncedDirectories] on and namespace changes whose
// directories were not synced, which of them a crash keeps is drawn:
// Save refuses then. A never-written stretch of a file is saved as the
// bytes a read of it returns, every byte of the file's size: a sparse
// file of a terabyte makes an image of a terabyte. Save draws nothing and
// records nothing.
//
// A test that boots a later release on the disks an earlier one wrote
// keeps the images under testdata; see [Disk.Load].
func (d *Disk) Save(w io.Writer) error {
	if err := d.d.Save(w); err != nil {
		return fmt.Errorf("simtest: Disk.Save: %w", err)
	}
	return nil
}

// Load replaces everything on the disk with the image read from r, a tar
// archive of regular files and directories such as [Disk.Save] writes or
// tar -cf makes (uncompressed, its names relative to the root): the files
// and directories are durable at once, with the archive's permission bits;
// a directory the archive does not list is made 0755, and an entry for the
// root itself ("./") is passed over. Call it before the processes that use
// the disk boot, or once they are down: Load refuses while a file on the
// disk is open. It refuses too, leaving the disk as it was, an archive it
// cannot read, a name outside the root or one given twice, an entry of
// another kind (a link, a device), and an image larger than the disk's
// [chaos.Storage.Capacity]. The disk keeps its configuration and faults;
// the loaded files' times are the Load's. Load draws nothing from the
// seed's stream; the timeline and the trace hear it, as they do a wipe, so
// a seed that loads the same bytes into the same disks, in the same order,
// runs the same trace.
func (d *Disk) Load(r io.Reader) error {
	if err := d.d.Load(r); err != nil {
		return fmt.Errorf("simtest: Disk.Load: %w", err)
	}
	return nil
}

// SetConfig changes the disk's configuration from now on.
func (d *Disk) SetConfig(cfg chaos.Storage) error { return d.d.SetConfig(cfg) }

// Config returns the configuration the disk acts on: faults named in Off
// are at zero, and intensities are drawn if Randomize was set.
func (d *Disk) Config() chaos.Storage { return d.d.Config() }

// Stats returns what the disk did and suffered so far.
func (d *Disk) Stats() DiskStats { return DiskStats(d.d.Stats()) }

// DiskStats counts what a disk did and suffered.
type DiskStats struct {
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
	// KeptDirectoryChanges counts the creates, renames and removes whose
	// directories were not synced that crashes kept because
	// chaos.Storage.LoseUnsyncedDirectories was off: a real disk could
	// have lost them, and a store that needs them is worth a run with it
	// on.
	KeptDirectoryChanges int
	// TornTruncations counts the truncations not yet synced that crashes
	// carried onto the disk, as a file system may commit one with no
	// fsync (with chaos.Storage.TornWriteProb); the faults line counts
	// each among the torn writes.
	TornTruncations int
}

// noSpace counts the writes and truncations that the seed's disks refused
// for lack of space.
func (s *S) noSpace() int {
	if s == nil || s.disks == nil {
		return 0
	}
	return s.disks.NoSpace()
}
