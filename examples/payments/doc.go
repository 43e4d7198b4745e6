// Package payments is a small payment processor with a race in it, the
// first example of Moonpool for Go.
//
// A [Processor] hands payments to a pool of workers over a channel and
// waits for each answer with a timeout. A payment that is not answered in
// time is sent again, with twice the timeout: the worker may have crashed,
// or the message may have been lost, or the work may be slow. But a worker that is merely slow still finishes the first
// attempt, so a retry that races a slow attempt applies the payment twice.
// Whether that happens depends on how long each attempt takes and on the
// order in which the workers run, which is to say on the seed.
//
// The fix is the usual one: make applying a payment idempotent, keyed by
// its id ([Ledger] with Idempotent set). The test in this package runs the
// fixed processor over a hundred seeds; with -planted it runs the racy one,
// and the simulation finds a seed that applies a payment twice and prints
// the line that replays it.
//
// The processor states its own properties with package assertions, which
// do nothing in production: an attempt sometimes outlasts the timeout, a
// payment is sometimes answered only after a retry, and a payment is
// applied at most once. The test adds an invariant, checked after every
// step, that the ledger never holds more than the batch, and hands the
// processor the seed's logger, so that its retries show in a failing
// seed's timeline. go test -v shows how each assertion fared over the
// seeds.
package payments
