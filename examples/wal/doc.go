// Package wal is a tiny write-ahead log, the storage example of Moonpool
// for Go: append a record, sync, acknowledge; after a crash, recover what
// was acknowledged.
//
// Two rules make a log safe, and the classic bugs break them:
//
//  1. Acknowledge a record only once it is synced. A write reaches the
//     page cache, not the disk; a crash loses what was not synced.
//  2. Believe only what checks out. After a crash, the end of the file may
//     hold a torn record: some sectors of it written, some not. Disks also
//     return corrupted or misdirected reads of intact data. Each record
//     carries a checksum; recovery reads a record again when its checksum
//     fails, and stops at the first record that never checks out, unless
//     a valid record follows it: each record is synced before the next
//     is written, so a crash tears only the last one, and one followed by
//     a valid record was damaged at rest ([ErrCorrupt]). A log that syncs
//     several records at once cannot reason so, as sectors tear
//     independently; docs/storage.md gives its rule. Recovery then cuts the
//     torn tail and syncs, always: a cut whose sync failed looks done but
//     is not, and the next crash would bring the cut records back.
//
// A file's data is durable at its sync, its name only at its directory's:
// Open syncs the directory that holds the log, or a crash could take the
// file, with every record synced into it.
//
// A [Log] opened with Options.Careless breaks both rules: it syncs every
// few records but acknowledges each at once, and recovery reads lengths
// and bytes without checking them. The test in this package runs the safe
// log over many seeds of crashes on a simulated disk; with -planted it runs
// the careless one, and the simulation finds a seed that loses an
// acknowledged record, or recovers one that was never written, and prints
// the line that replays it.
//
// A single copy of the data cannot survive a disk that corrupts, loses or
// misplaces what it already stored; the test switches those faults off by
// name (write-corruption, misdirected-write, phantom-write). Surviving them
// takes more copies, on more disks: the business of a replicated system.
package wal
