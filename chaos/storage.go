package chaos

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Storage configures a simulated disk: how long its operations take, and
// which faults it injects. The faults follow TigerBeetle's storage fault
// model, on 512-byte sectors; the performance model follows FoundationDB's
// simulated files and Moonpool's defaults (a SATA SSD).
//
// Every duration is at least zero and at most [MaxDuration].
//
// A zero Storage is a disk that is infinitely fast and never fails. Start
// from [DefaultStorage], [NoStorageFaults] or [RandomStorage] and change
// fields; [Storage.Validate] checks the result, and the simulation rejects
// a configuration that does not validate.
//
// Every probability is drawn from the run's single random stream, so a
// fault that happens under one seed happens again when the seed is
// replayed. A fault whose probability is 0 draws nothing: switching a fault
// off changes which later draws see which numbers, but never makes a run
// depend on anything but its seed. Each fault that fires is recorded in the
// run's timeline and trace, named as in [StorageFaultNames].
type Storage struct {
	// The performance model. Operations are served one at a time, in the
	// order they are submitted: each occupies the device for
	// max(1s/IOPS, bytes/Bandwidth) of simulated time, and completes a
	// latency later, drawn uniformly from the operation's [Range]. A sync
	// moves the file's unsynced bytes. Zero IOPS or Bandwidth is unlimited.
	IOPS      int
	Bandwidth int64 // bytes per second
	// Capacity is how many bytes the disk holds, 0 for no limit, and
	// otherwise at least one 512-byte sector. Each file takes its size
	// rounded up to whole sectors. A write that needs more space than is
	// free writes what fits and fails with ENOSPC, as a full file system
	// does; a truncation that needs more fails with ENOSPC and changes
	// nothing. A simulated disk holds its files in memory: with no
	// limit, code that writes without end grows the test's memory until
	// the seed ends.
	Capacity     int64
	ReadLatency  Range
	WriteLatency Range // writes, and namespace changes (create, rename, remove, mkdir, truncate)
	SyncLatency  Range

	// ReadCorruptionProb is the probability that a read returns one of its
	// sectors with 1 to 8 bits flipped. The stored data is intact, so
	// reading again may succeed: a bad cable, a flaky controller.
	ReadCorruptionProb float64
	// WriteCorruptionProb is the probability that a write stores one of its
	// sectors with 1 to 8 bits flipped. The write reports success.
	WriteCorruptionProb float64
	// MisdirectedReadProb is the probability that a read returns, for one of
	// its sectors, the contents of a sector 1 to 8 sectors away in the
	// same file.
	MisdirectedReadProb float64
	// MisdirectedWriteProb is the probability that one sector of a write lands
	// 1 to 8 sectors away in the same file, overwriting what was there,
	// while the intended sector keeps its old contents.
	MisdirectedWriteProb float64
	// PhantomWriteProb is the probability that a write reports success but
	// stores nothing (the file's size still grows, as its metadata was
	// written): the device acknowledged a write it lost.
	PhantomWriteProb float64
	// SyncFailureProb is the probability that a sync of a file with unsynced
	// changes fails with EIO. As on Linux since the fsyncgate discussion
	// of 2018, the failure is reported once, to that sync: the file's
	// unsynced writes never reach the durable image and are not retried,
	// though they stay readable until the disk crashes or stops. The
	// next sync succeeds, so a program that retries the sync and goes on
	// has lost data without knowing it.
	SyncFailureProb float64
	// TornWriteProb is, at a crash, the probability that each unsynced sector
	// reaches the durable image anyway, as a device may have written part
	// of its cache before the power went. Sectors are atomic: a sector is
	// kept whole or not at all, and a file whose kept sectors lie past
	// its synced size grows to cover them. A truncation not yet synced
	// reaches it with the same probability, whole, before the sectors, as
	// a file system may commit one with no fsync. With TornWriteProb at 0
	// a crash keeps exactly what was synced.
	TornWriteProb float64
	// Stall: at each operation, when the disk is not already stalled, the
	// probability that it stops serving for a while (a firmware hiccup, a
	// garbage collection pause). Operations submitted meanwhile wait.
	Stall StorageEpisode
	// Throttle: at each operation, when the disk is not already
	// throttled, the probability that it slows down for a while (thermal
	// throttling, a noisy neighbour); each operation then occupies the
	// device ThrottleFactor times longer. ThrottleFactor is finite, and
	// when throttles can happen it is in [1, MaxThrottleFactor].
	Throttle       StorageEpisode
	ThrottleFactor float64
	// Full: at each write, when the disk is not already full, the
	// probability that it fills up for a while (another program's files,
	// a log that grew): writes and truncations that need space the file
	// does not hold yet fail with ENOSPC until the episode ends. Off in
	// every preset: few programs handle a full disk, and those that claim
	// to should switch it on.
	Full StorageEpisode

	// UnwrittenGarbage makes the sectors of a file that were never
	// written read as garbage instead of zeros: bytes that depend only on
	// the seed, the disk, the file and the sector. It covers the space a
	// file grows by through Truncate, the hole a write past the end
	// leaves, and, after a crash, the sectors within the synced size whose
	// data never reached the disk. POSIX promises zeros there, and a file
	// system in its ordered mode keeps the promise; a raw device, a file
	// system that journals metadata only, and a crash in the middle of an
	// append do not, and code that takes zeros for "nothing here yet"
	// (the end of a preallocated log, an empty slot) reads garbage as
	// data. On in [DefaultStorage], off in [NoStorageFaults]. It draws
	// nothing from the run's stream, so it changes a run only where the
	// run reads never-written space; a disk's setting outlives quiescence,
	// as the space stays unwritten. Each read of such space is noted in
	// the timeline.
	UnwrittenGarbage bool

	// LoseUnsyncedDirectories makes a namespace change (creating a file,
	// making a directory, renaming, removing) durable only once the
	// directory it changed is synced: opened and Synced, as fsync(2) of
	// a directory. A file's own Sync makes its data durable, not its
	// name. At a crash the disk keeps, of its changes not yet durable, a
	// prefix drawn from the run's stream (a journal commits in order),
	// and every change a later sync of its directory made durable, with
	// every earlier change to the same directories; it undoes the rest,
	// last first: a lost create makes the file vanish, synced data and
	// all; a lost rename puts the file back under its old name and
	// brings back the file it replaced; a lost remove brings the file
	// back. A rename between two directories is durable once both are
	// synced after it. Each undone change is noted in the timeline.
	// Without it, and in every preset, namespace changes are durable
	// when they return; the write-to-a-temporary-file, sync, rename
	// pattern that forgets to sync the directory goes unfound. Switching
	// it off (SetConfig, Off, quiescing the faults) makes every pending
	// change durable. [Storage.Draw] leaves it as it is.
	LoseUnsyncedDirectories bool

	// Off switches faults off by name (see [StorageFaultNames]), whatever
	// their settings: Off: []string{"phantom-write"}. Validate rejects a
	// name that is not a storage fault.
	Off []string

	// Randomize makes each disk draw its own fault intensities from the
	// run's random stream when it is made, so that seeds differ in the
	// trouble they see: see [Storage.Draw].
	Randomize bool
}

// sectorSize is the disk's unit of space and of faults (simdisk.SectorSize).
const sectorSize = 512

// StorageEpisode is a fault that lasts: at each operation, when no episode
// is under way, one starts with probability Prob, and lasts a time drawn
// uniformly from Duration. A stall or a full disk that can start (Prob
// above 0) needs a positive Duration.Max.
type StorageEpisode struct {
	Prob     float64
	Duration Range
}

// The names of the storage faults, as [Storage.Off] takes them and as the
// timeline shows them.
const (
	faultReadCorruption   = "read-corruption"
	faultWriteCorruption  = "write-corruption"
	faultMisdirectedRead  = "misdirected-read"
	faultMisdirectedWrite = "misdirected-write"
	faultPhantomWrite     = "phantom-write"
	faultSyncFailure      = "sync-failure"
	faultTornWrite        = "torn-write"
	faultStall            = "stall"
	faultThrottle         = "throttle"
	faultFull             = "full"
	faultUnsyncedDir      = "unsynced-directory"
)

// StorageFaultNames returns the names of the storage faults, in the order
// in which [Storage.Draw] draws them; the last, unsynced-directory
// (LoseUnsyncedDirectories), is a switch that Draw leaves alone.
func StorageFaultNames() []string {
	return []string{
		faultReadCorruption, faultWriteCorruption, faultMisdirectedRead,
		faultMisdirectedWrite, faultPhantomWrite, faultSyncFailure,
		faultTornWrite, faultStall, faultThrottle, faultFull,
		faultUnsyncedDir,
	}
}

// DefaultStorage returns the configuration a simulated disk has unless told
// otherwise: a SATA SSD (25,000 IOPS, 150 MB/s, reads in 50-200µs, writes
// in 100-500µs, syncs in 1-5ms, Moonpool's defaults) with every fault on
// at the top of the range the Rust Moonpool draws from per seed (here
// [Storage.Draw] scales each by a factor in [0, 3)): 0.1% of reads and
// writes corrupted, 0.01% misdirected, 0.02% phantom writes, 0.05% of
// syncs failing; at a crash, half the unsynced sectors torn onto the disk;
// a stall of 10ms-1s at 0.01% of operations, a throttle to a tenth of
// the speed for 100ms-5s at 0.01% of operations, and garbage in
// never-written sectors.
//
// These rates find bugs of careless storage code within a hundred seeds of
// a few thousand operations each; a program that keeps a single copy of
// its data cannot survive every one of them, and should switch off those
// it does not claim to handle ([Storage.Off]).
func DefaultStorage() Storage {
	return Storage{
		IOPS:                 25_000,
		Bandwidth:            150_000_000,
		ReadLatency:          Range{50 * time.Microsecond, 200 * time.Microsecond},
		WriteLatency:         Range{100 * time.Microsecond, 500 * time.Microsecond},
		SyncLatency:          Range{time.Millisecond, 5 * time.Millisecond},
		ReadCorruptionProb:   0.001,
		WriteCorruptionProb:  0.001,
		MisdirectedReadProb:  0.0001,
		MisdirectedWriteProb: 0.0001,
		PhantomWriteProb:     0.0002,
		SyncFailureProb:      0.0005,
		TornWriteProb:        0.5,
		Stall:                StorageEpisode{0.0001, Range{10 * time.Millisecond, time.Second}},
		Throttle:             StorageEpisode{0.0001, Range{100 * time.Millisecond, 5 * time.Second}},
		ThrottleFactor:       10,
		UnwrittenGarbage:     true,
	}
}

// NoStorageFaults returns [DefaultStorage]'s performance model with every
// fault off: a disk that is slow like a real one but never misbehaves,
// whose never-written sectors read as zeros, as POSIX promises. A crash
// still loses what was not synced; that is not a fault but the contract
// of a disk.
func NoStorageFaults() Storage { return DefaultStorage().NoFaults() }

// HasFaults reports whether s injects any of the faults that
// [Storage.NoFaults] drops: whether it is other than s.NoFaults().
func (s Storage) HasFaults() bool { return !reflect.DeepEqual(s, s.NoFaults()) }

// NoFaults returns s with every fault off: it keeps the performance model
// (IOPS, Bandwidth, the latencies) and Capacity, a limit rather than a
// fault, and drops the fault probabilities, the episodes, UnwrittenGarbage,
// LoseUnsyncedDirectories, Off and Randomize. Swarm mode ([Config].Swarm)
// switches a seed's disk faults off with it.
func (s Storage) NoFaults() Storage {
	return Storage{
		IOPS:         s.IOPS,
		Bandwidth:    s.Bandwidth,
		Capacity:     s.Capacity,
		ReadLatency:  s.ReadLatency,
		WriteLatency: s.WriteLatency,
		SyncLatency:  s.SyncLatency,
	}
}

// RandomStorage returns [DefaultStorage] with Randomize set: each disk draws
// its own intensities from the run's random stream (see [Storage.Draw]).
func RandomStorage() Storage {
	s := DefaultStorage()
	s.Randomize = true
	return s
}

// Draw returns s with fault intensities drawn from r, as a disk made with
// Randomize set does, once, when it is made, and as [Config.ForSeed] does
// for the whole run under [Random]. It draws one number u in
// [0, 1) per fault, in the order of [StorageFaultNames]: the fault is off on
// this disk when u < 1/4, and otherwise its probability is scaled by
// 4u-1, a factor in [0, 3), and capped at 1. Faults already off, by a zero
// probability or by Off, draw nothing, and so do the switches
// (UnwrittenGarbage, LoseUnsyncedDirectories), kept as they are. The
// performance model is kept. The result has Randomize cleared.
func (s Storage) Draw(r interface{ Float64() float64 }) Storage {
	s.Off = slices.Clone(s.Off)
	for _, f := range s.probabilities() {
		if *f.p == 0 || s.isOff(f.name) {
			continue
		}
		u := r.Float64()
		if u < 0.25 {
			*f.p = 0
			continue
		}
		*f.p = min(1, *f.p*(4*u-1))
	}
	s.Randomize = false
	return s
}

// Effective returns s with the faults named in Off set to zero probability
// (or switched off), Off emptied: the settings a disk acts on.
func (s Storage) Effective() Storage {
	for _, f := range s.probabilities() {
		if s.isOff(f.name) {
			*f.p = 0
		}
	}
	if s.isOff(faultUnsyncedDir) {
		s.LoseUnsyncedDirectories = false
	}
	s.Off = nil
	return s
}

func (s Storage) isOff(name string) bool { return slices.Contains(s.Off, name) }

type namedProbability struct {
	name, field string
	p           *float64
}

// probabilities lists the fault probabilities of s, in the order of
// StorageFaultNames; the pointers write into s. An array, not a slice: a
// disk's settings are read at every boot, and a slice (with s behind its
// pointers) would be allocated each time.
func (s *Storage) probabilities() [10]namedProbability {
	return [10]namedProbability{
		{faultReadCorruption, "ReadCorruptionProb", &s.ReadCorruptionProb},
		{faultWriteCorruption, "WriteCorruptionProb", &s.WriteCorruptionProb},
		{faultMisdirectedRead, "MisdirectedReadProb", &s.MisdirectedReadProb},
		{faultMisdirectedWrite, "MisdirectedWriteProb", &s.MisdirectedWriteProb},
		{faultPhantomWrite, "PhantomWriteProb", &s.PhantomWriteProb},
		{faultSyncFailure, "SyncFailureProb", &s.SyncFailureProb},
		{faultTornWrite, "TornWriteProb", &s.TornWriteProb},
		{faultStall, "Stall.Prob", &s.Stall.Prob},
		{faultThrottle, "Throttle.Prob", &s.Throttle.Prob},
		{faultFull, "Full.Prob", &s.Full.Prob},
	}
}

// Validate reports every problem with s, each naming its field and what it
// takes, or returns nil.
func (s Storage) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("chaos.Storage."+format, args...))
	}
	if s.IOPS < 0 {
		bad("IOPS is %d; it must be zero (unlimited) or positive", s.IOPS)
	}
	if s.Bandwidth < 0 {
		bad("Bandwidth is %d bytes per second; it must be zero (unlimited) or positive", s.Bandwidth)
	}
	span := func(field string, r Range) {
		if err := r.check(); err != "" {
			bad("%s is [%v, %v]; %s", field, r.Min, r.Max, err)
		}
	}
	span("ReadLatency", s.ReadLatency)
	span("WriteLatency", s.WriteLatency)
	span("SyncLatency", s.SyncLatency)
	for _, f := range s.probabilities() {
		if !(*f.p >= 0 && *f.p <= 1) { // written so that NaN fails too
			bad("%s is %v; a probability must be in [0, 1]", f.field, *f.p)
		}
	}
	span("Stall.Duration", s.Stall.Duration)
	span("Throttle.Duration", s.Throttle.Duration)
	span("Full.Duration", s.Full.Duration)
	// A stall or a full disk of no length changes nothing: one that can
	// start would be a fault that looks on and never happens. (A throttle
	// of no length still slows the operation that starts it.)
	for _, e := range []struct {
		name, what string
		e          StorageEpisode
	}{{"Stall", "stalls", s.Stall}, {"Full", "full disks", s.Full}} {
		if e.e.Prob > 0 && e.e.Duration.isZero() {
			bad("%s.Duration is [0s, 0s] but %s.Prob is %v; give %s a positive length, or set %s.Prob to 0 to turn them off", e.name, e.name, e.e.Prob, e.what, e.name)
		}
	}
	switch {
	case s.Capacity < 0:
		bad("Capacity is %d bytes; it must be zero (no limit) or positive", s.Capacity)
	case s.Capacity > 0 && s.Capacity < sectorSize:
		bad("Capacity is %d bytes, less than one %d-byte sector, so no file could hold a byte; raise it to %d or more, or set it to 0 for no limit", s.Capacity, sectorSize, sectorSize)
	}
	switch f := s.ThrottleFactor; {
	case math.IsNaN(f) || math.IsInf(f, 0) || f < 0:
		bad("ThrottleFactor is %v; it is a finite factor of at least 1 (or 0 when Throttle.Prob is 0)", f)
	case s.Throttle.Prob > 0 && f < 1:
		bad("ThrottleFactor is %v but Throttle.Prob is %v; a throttled disk is slower, so ThrottleFactor must be at least 1 (or Throttle.Prob 0)", f, s.Throttle.Prob)
	case s.Throttle.Prob > 0 && f > MaxThrottleFactor:
		bad("ThrottleFactor is %v; a throttled disk is at most chaos.MaxThrottleFactor (%v) times slower: lower it", f, float64(MaxThrottleFactor))
	}
	names := StorageFaultNames()
	for _, name := range s.Off {
		if !slices.Contains(names, name) {
			bad("Off names %q, which is not a storage fault; the faults are %s", name, strings.Join(names, ", "))
		}
	}
	return errors.Join(errs...)
}
