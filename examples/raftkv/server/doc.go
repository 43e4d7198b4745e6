// Package server is the raftkv program: one node of a replicated
// key-value store on hashicorp/raft, with raft's own TCP transport, its log
// and stable state in a [store.Store] and its snapshots in a
// [raft.FileSnapshotStore], all in the node's data directory, and an HTTP
// API on net/http. It is plain production code: it knows nothing of
// simulations, and cmd/raftkv is a one-line main around [Main].
//
// The API:
//
//	PUT /kv/{key}   the body is the value; 204 once raft has committed and
//	                applied the write
//	GET /kv/{key}   200 with the value, or 404; linearizable: the leader
//	                answers after a raft barrier, which commits through a
//	                majority and so proves it still leads
//
// A node that is not the leader answers 307 Temporary Redirect to the
// leader's HTTP address, or 503 when it knows no leader; in both cases the
// request had no effect. A PUT that fails once raft has taken it (the
// leader lost its leadership, or is shutting down) answers 500: the write
// may or may not take effect, and retrying it elsewhere could apply it
// twice.
//
// With -stale-reads, the planted bug, every node answers GETs from its own
// state at once, without asking the cluster: reads that scale with the
// replicas and need no round trip. A follower that has not yet heard that
// an entry is committed, a leader elected a moment ago, a node just
// restarted (raft keeps no commit index on disk), or an old leader cut off
// from the others then serves values already overwritten, or none.
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
package server
