// Package httpretry is an HTTP service and a client that retries, written
// as production code with no simulation in mind, and a planted bug that a
// simulation finds by running both as WebAssembly processes on the
// simulated network.
//
// [Ledger] holds account balances behind net/http. A deposit carries an
// idempotency key, and a deposit whose key the ledger has seen is answered
// with the first one's result, so that [Client], built on
// github.com/hashicorp/go-retryablehttp with a per-attempt timeout and
// jittered backoff, may send a deposit again whenever an attempt fails or
// times out. The ledger journals each deposit to disk and syncs it before
// applying and answering it, and recovers the journal when it starts.
//
// The planted bug (Ledger.Planted, ledgerd -planted) is a common one: the
// ledger looks the key up when a deposit arrives but records it only once
// the deposit is journaled. A retry that arrives while the first attempt is
// still journaling, because the disk was slow and the client's attempt timed
// out, finds no key and is applied a second time. Loopback tests show it
// only with a journal rigged to stall at the right moment; the simulation
// finds it on its own, from slow syncs, buggify's slow journal, latency and
// lost answers. The fix claims the key on arrival: a retry that finds it
// claimed waits for the first attempt's answer.
//
// The commands cmd/ledgerd and cmd/depositor are the two programs; the
// simulation test builds them for wasip1 with package program and runs one
// ledger and two depositors under default chaos. The ledger states the
// property itself, with package assertions, which do nothing in
// production: a deposit is applied at most once.
//
//simvet:production a wasip1 program: the host simulates its goroutines, clock, network and disk
package httpretry
