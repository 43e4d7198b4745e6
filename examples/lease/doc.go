// Package lease is a lock service with leases, a store, and the clients
// that write to the store while they hold the lock: the example of Moonpool
// for Go's process pauses.
//
// [LockServer] grants the lock to one client at a time for a lease, with a
// token that grows with every grant. A [Client] takes the lock, and while
// its lease has at least Margin left it writes a record to its own journal
// and then to the [Store]. The margin covers the network's latency and the
// journal's sync: without pauses, no write of a client can reach the store
// after its lease ran out.
//
// A process pause breaks that: a client that checked its lease and is then
// stopped (a long garbage collection, a VM's migration) for longer than
// what is left of it resumes and sends its write, while another client
// holds the lock and has written since. The store applies the stale write
// after the newer one. That is Kleppmann's case for fencing tokens: a
// [Store] with Fenced set refuses a write whose token is older than one it
// has applied, and the client, told so, takes the lock again.
//
// The test in this package runs two clients under attrition that only
// pauses them, with the fenced store, and passes. With -planted the store
// does not check tokens, and the first seed applies a write out of order
// and prints the line that replays it: half of attrition's pauses begin
// just after the paused client reads its clock, between its check of the
// lease and the write that follows.
package lease
