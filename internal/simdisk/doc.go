// Package simdisk is the simulated disk: one per address, behind the
// providers.Storage of the processes that live there, with the timing of a
// real device and TigerBeetle-style faults.
//
// # Model
//
// A disk holds a directory tree. Directory metadata (creating, renaming,
// removing files, making directories) is durable as soon as the operation
// returns, unless chaos.Storage.LoseUnsyncedDirectories is on: then each
// such change waits in an ordered log of the disk until a sync of the
// directories it changed, completed, makes it durable. With the option
// off the disk logs them all the same, drawing nothing, so that a crash can
// tell of those a real disk could have lost. A file's data is
// kept in 512-byte sectors, in two layers:
//
//   - the durable image, what a crash keeps, with the durable size;
//   - the overlay, what was written since the last sync (the page cache),
//     with the size readers see.
//
// Reads see the overlay over the durable image. Writes go to the overlay,
// and become visible to every reader at once. A successful sync moves the
// file's overlay, and its size, into the durable image. Both layers are
// sparse, stored in pages of eight sectors in maps: a terabyte file with a
// few sectors written costs a few pages. No outcome depends on map order:
// code that draws or records as it visits entries (a crash, walking the
// files and their unsynced sectors) visits them in sorted order; the rest
// handles each entry alone.
//
// A sector never written (a hole past the end, the space a truncation
// adds, what a crash left within the synced size) reads as zeros, or,
// with chaos.Storage.UnwrittenGarbage, as bytes that depend only on the
// seed, the disk, the file and the sector: no draw is made for them.
//
// # Crash, kill, stop, wipe
//
// [Disk.Crash] is a power loss: with LoseUnsyncedDirectories, the
// namespace changes not yet durable are undone but for a prefix of them;
// then each file goes back to its durable image, except that a truncation
// since its last sync that would cut it shorter may reach it anyway (as
// ext4 and XFS may commit one with no fsync), cutting it to the lowest
// size truncated to, and then each unsynced sector may reach it anyway
// (a torn write), whole, and the file then grows to cover it; both with
// chaos.Storage.TornWriteProb. Without the option, the
// crash keeps every namespace change, and its timeline entry counts those
// whose directories were not synced and names the first two (not in the
// trace, which stays what it was before it told them). A kill keeps the
// pending namespace changes pending; a stop, a wipe, and switching the
// option on or off make them durable.
// A crash's timeline entry, and a kill's, name the first files with
// unsynced changes and what each had pending: the bytes of its unsynced
// sectors, a truncation (and, at a crash, whether it reached the disk),
// or else its size (not in the trace either).
// [Disk.Stop] is a graceful shutdown: everything written is kept. [Disk.Wipe]
// erases everything. [Disk.Kill] is the death of the disk's process, its
// machine up: everything written stays, and what was not synced stays
// unsynced. After any of them, files opened before fail with an error
// matching fs.ErrClosed: their process is gone.
//
// A file removed while open keeps its pages, and its space on a disk with
// a Capacity, until no handle holds it: its last one closes, or the
// handles end with the disk's crash, kill, stop or wipe, or with the exit
// of the process that opened them ([Process.Exit]), on a disk that other
// processes of its machine go on using.
//
// # Images
//
// [Disk.Save] writes the durable image as a tar archive (tarimage.go):
// what a crash that tore nothing would keep, in path order, with nothing
// that varies, so the same disk saves to the same bytes. [Disk.Load]
// replaces the disk's files with an archive's, durable, once no file is
// open. Neither draws; a load records an event, as a wipe does.
//
// # Timing
//
// Every operation that reaches the device (reads, writes, syncs, namespace
// operations) parks the calling task until it completes in simulated time.
// The device serves operations one at a time in submission order; each
// occupies it for max(1s/IOPS, bytes/Bandwidth), ThrottleFactor times that
// during a throttle episode, and none starts during a stall episode; each
// completes its drawn latency after its service ends. Seek, Name, Stat of
// an open File and Close take no time.
//
// A read copies what the disk holds when it is submitted, and a write
// changes it when it is submitted: a concurrent reader may see a write
// before the writer's call returns, as on a real system. A sync takes
// effect when it completes: a crash before then loses what it would have
// made durable.
//
// # Faults
//
// Each fault that fires is recorded with sim.World.Event (so it shows in
// the timeline and changes the trace hash), and counted in [Stats]. Their
// meaning is documented on chaos.Storage. Sync failure follows Linux after
// fsyncgate: the unsynced writes are marked clean without reaching the
// durable image, stay readable until a crash or stop, and are never written
// by a later sync; the error is reported to that one sync.
//
// # Determinism
//
// Every random choice comes from the run's stream (sim.World.Rand), in this
// order. A write or a growing truncation first draws whether a full-disk
// episode starts (when none is under way), then its length. Each operation
// that reaches the device draws, in order:
//
//  1. a stall: whether one starts (when none is under way), then its length;
//  2. a throttle: whether one starts (when none is under way), then its
//     length;
//  3. its latency;
//  4. its faults: for a read, whether it is misdirected (then the sector,
//     then where from), then whether it is corrupted (then the sector, the
//     number of bits, each bit); for a write, whether it is a phantom (then
//     nothing more), whether it is misdirected (the sector, where to), then
//     whether it is corrupted (the sector, the bits); for a sync of a file
//     with unsynced changes, whether it fails.
//
// A crash draws first, when LoseUnsyncedDirectories is on and namespace
// changes are pending, how many of them, from the oldest, reach the disk;
// then, file by file in path order, whether its pending truncation reaches
// the disk (only for a file with one that would cut its durable size),
// then sector by sector in order, whether each unsynced sector is torn
// onto the disk. A disk made with
// chaos.Storage.Randomize draws its intensities when it is made. A
// probability of 0 or 1, or a range of one point, draws nothing.
//
// The package runs on the scheduler of package sim and starts no
// goroutines; a Disk and its files may be used only from the tasks of its
// world.
package simdisk
