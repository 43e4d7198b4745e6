package assertions

import (
	"context"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Condition is one named condition of [SometimesAll]; [Named] makes one.
type Condition struct {
	Name  string
	Holds bool
}

// Named returns the condition called name, holding or not.
func Named(name string, holds bool) Condition { return Condition{Name: name, Holds: holds} }

// SometimesAll asserts that every one of conds holds at once, at least
// once in a Run. On the way it keeps the frontier: the largest number of
// conds that held together at one call. Name the same conditions, in the
// same order, at every call.
//
//	assertions.SometimesAll(ctx, "a node led, synced and served at once",
//		assertions.Named("leader", n.isLeader()),
//		assertions.Named("synced", n.synced()),
//		assertions.Named("serving", n.serving()))
func SometimesAll(ctx context.Context, msg string, conds ...Condition) {
	if s := asserter(ctx); s != nil {
		// A copy, so that conds never escapes and outside a simulation
		// the call allocates nothing.
		cs := make([]simctx.Condition, len(conds))
		for i, c := range conds {
			cs[i] = simctx.Condition(c)
		}
		s.Assert(simctx.Assertion{Kind: simctx.SometimesAll, Msg: msg, Conds: cs})
	}
}

// MaxIdentity is the most key/value pairs a [SometimesEach] identity may
// have.
const MaxIdentity = 8

// MaxBuckets is the most buckets one [SometimesEach] may make in a Run:
// past it, its identity values are not drawn from a small set (a counter,
// a time, a random number), and the Run reports it.
const MaxBuckets = 10_000

// Quality is a value that [SometimesEach] keeps the best (largest) of, for
// each bucket: how deep into a situation a Run got, not only whether it
// got there.
type Quality struct {
	Name  string
	Value float64
}

// SometimesEach asserts that the call is reached, and keeps one bucket for
// each distinct identity it is reached with: identity is key/value pairs,
// as for log/slog, at most [MaxIdentity] of them, whose values are
// comparable and not pointers (numbers, strings, small structs of those).
// [Quality] values among them are not part of the identity: the bucket
// keeps the largest value of each. A report gives the number of buckets;
// fuzzing counts a new bucket, or a better quality, as progress.
//
//	assertions.SometimesEach(ctx, "a leader was elected in each term",
//		"term", term, "node", id,
//		assertions.Quality{Name: "log length", Value: float64(len(log))})
func SometimesEach(ctx context.Context, msg string, identity ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.SometimesEach, Msg: msg, OK: true, Args: identity})
	}
}
