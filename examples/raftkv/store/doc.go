// Package store keeps a raft node's log and its stable state (the current
// term, the last vote) in one append-only file, for hashicorp/raft's
// [raft.LogStore] and [raft.StableStore]. It uses nothing but package os,
// so it builds and runs wherever Go's os does, GOOS=wasip1 included: the
// usual stores (raft-boltdb, raft-wal) map their files into memory, which
// wasip1 cannot by itself (a simulated program gets read-only mappings,
// and bbolt builds for it only from a patched copy).
//
// Every change is one record appended to the file and synced before the
// call returns: a batch of log entries, a range of entries deleted, or a
// key set. Each record carries its length and a CRC-32C, so that on
// [Open] a record that a crash tore (written in part, or not at all,
// where the file had already grown) ends the log: the file is truncated
// there and synced, and the store holds what its synced records said. A
// record that fails its checksum is read again before it is called torn,
// since a read can fail where the stored bytes are sound.
//
// When the file has grown well past what it holds, after raft compacts
// its log, it is rewritten whole: to a temporary file, synced, renamed
// over the old one, the directory synced. A sync that fails does the same,
// because after a failed fsync nothing says which of the file's unsynced
// writes will survive a crash; the rewrite puts everything the store holds
// on disk again, or the call fails.
//
// The whole log is held in memory too, which suits a log that raft
// compacts after each snapshot. Snapshots themselves are for
// [raft.NewFileSnapshotStore].
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
package store
