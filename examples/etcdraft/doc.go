// Package etcdraft is a replicated key-value store on etcd's raft library
// (go.etcd.io/raft/v3, through its RawNode), written against Moonpool's
// providers: the example of a real consensus library driven by hand over
// the simulated network and disks, and of the two things such a node
// needs from its supervisor.
//
//   - It asks to be restarted: when two of its log's three copies fail a
//     batch (a failed fsync it answers by writing the batch again and
//     syncing once more; one copy's failure it takes in stride, the batch
//     being in the other two), its Run returns an error wrapping
//     [providers.ErrRestart], and the simulation crashes it and boots it
//     again from its disk, as systemd's Restart=on-failure would.
//   - It says when it is not ready: after a reboot it is not ready until
//     it has heard from a leader and applied what the leader committed
//     ([providers.SetNotReady], [providers.SetReady]), and attrition
//     counts it as down meanwhile.
//
// Its log keeps three copies of every record, read in step, so that a
// record lost in a copy to a corrupted, misdirected or phantom write is
// read from another; a torn tail cuts them all (see wal.go and
// docs/storage.md). The test runs three nodes under the default chaos
// while clients read and write, and checks with porcupine that every
// history is linearizable; -planted switches on a stale read.
package etcdraft
