// Package assertions states properties of a system from inside its own
// code: what must always hold, what must never happen, and what must
// sometimes happen. In a simulation (package simtest) every call is
// recorded and the run goes on; outside one, in production, every call
// returns at once, so the assertions stay in the code that ships.
//
// Each function takes the context of the code that calls it: the
// simulation rides in the context of every simulated task, and in every
// context derived from one. A context that carries no simulation, such as
// context.Background() or any context of a production binary, makes the
// call a no-op: a context lookup of a few nanoseconds.
//
// # Safety: what must always hold
//
//   - [Always], [AlwaysOrUnreachable]
//   - [AlwaysGreaterThan], [AlwaysGreaterThanOrEqual], [AlwaysLessThan],
//     [AlwaysLessThanOrEqual]
//   - [Unreachable]
//
// # Liveness: what must sometimes happen
//
//   - [Sometimes], [Reachable]
//   - [SometimesGreaterThan], [SometimesGreaterThanOrEqual],
//     [SometimesLessThan], [SometimesLessThanOrEqual]
//   - [SometimesAll], with [Named] conditions
//   - [SometimesEach], with [Quality] values
//
// # Record and continue
//
// No assertion stops a run. A failed Always (or a reached Unreachable)
// fails its seed, like testing.T.Errorf: the seed runs to its end and its
// report shows the assertion, where it is called, when and in which task
// it first failed, and its details. A simtest Run stops at its first failed
// seed and prints the line that replays it.
//
// At the end of a Run, a Sometimes that never came true, a Reachable never
// reached, or an Always never reached is a coverage gap: the Run did not
// exercise what the code says it should. A gap fails the test, unless the
// Run allows gaps (simtest.AllowGaps). A Run learns of assertions as seeds
// reach them, and then reads the source file of each (the test function,
// in a _test.go file) for the calls no seed reached.
//
// # Messages and details
//
// An assertion is its message: calls with the same message, anywhere, are
// one assertion, counted together. Give each its own message, a sentence
// that says what holds ("a payment is applied at most once"); a message
// made at run time is allowed, and makes one assertion per distinct text.
// The report names the call site of the first call.
//
// Details are key/value pairs, as for log/slog ("payment", id,
// "attempt", n); a slog.Attr stands for itself. A report shows the details
// of an assertion's first failure and of the first time it held. Like a
// slog call's arguments, details cost an allocation for the pairs, in a
// simulation or not.
//
// # Numeric forms
//
// The numeric forms compare two numbers of any [Number] type, exactly, and
// keep a watermark: for an Always form, the comparison that came closest to
// failing; for a Sometimes form, the one that came closest to holding. A
// report shows how near the Run got ("best 97 > 100"), and fuzzing counts
// a better watermark as progress.
//
// # Mistakes
//
// An empty message, a message used by two kinds of assertion, a NaN
// operand, a bad SometimesEach identity (more than [MaxIdentity] pairs, a
// key without a value, a pointer, a value that cannot be compared) never
// panic: in a simulation the seed fails with a sentence that names the
// assertion and its call site; in production nothing happens.
package assertions
