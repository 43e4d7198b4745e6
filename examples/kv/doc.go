// Package kv is a replicated key-value store, the example of Moonpool for
// Go that brings every kind of trouble together: three processes, framing
// of their own over the simulated network, state on simulated disks, and
// every fault the simulation knows, all at once.
//
// A [Server] is one replica. For each key it keeps the version with the
// greatest [Tag] it has been sent, in a log on its disk: each record framed
// with a CRC-32C, appended and synced before the replica acknowledges it,
// and the log rewritten whole (to a temporary file, synced, renamed) when
// it has grown well past its keys. It learns its peers from its
// providers' Cluster.
//
// A [Client] does the rest, with the ABD quorum protocol: a Put asks a
// majority for the newest tag of the key and stores its value under a
// greater one on a majority; a Get asks a majority and, unless they agree,
// writes the newest version back to a majority before returning it. Both
// are linearizable while any majority of the replicas is up. The client
// keeps one connection per replica, times out and retries through its
// providers' Time, and tells a write that took no effect
// ([ErrUnavailable]) from one whose outcome is unknown
// ([ErrIndeterminate]).
//
// All of it rests on one rule: an acknowledged write lives on a majority,
// so a replica that lost its copy (its disk wiped, or its log failing a
// checksum) must not answer until it has copied the state of enough peers
// to hold every acknowledged write. With three replicas that is both of
// the others. A Server with LazyRecovery set breaks the rule, the planted
// bug: it rejoins at once with whatever its disk still holds, counting on
// read repair to fill the gaps. An empty replica is not a slow one: to a
// quorum read, the keys it lost were never written.
//
// TestKV runs three replicas under chaos.Harsh, the defaults with wipes
// and TCP bit flips (partitions, clogged and reset connections, bit flips,
// corrupted, misdirected and phantom disk writes, failed syncs, torn
// writes, crashes, wipes, graceful reboots, buggify) while four clients read and write, records every
// operation with its simulated call and return times, and checks the
// history with porcupine. With -planted it runs the planted bug, and the
// simulation finds a seed that reads an acknowledged write as never
// written:
//
//	go test -run '^TestKV$' ./examples/kv -planted
//
// See README.md for the story a failing seed tells.
package kv
