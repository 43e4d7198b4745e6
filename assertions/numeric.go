package assertions

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Number is the type of the operands of the numeric assertions: any
// integer or floating-point type, time.Duration among them.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// AlwaysGreaterThan asserts that left > right every time the call is
// reached, as [Always] does, and keeps the watermark: the left value that
// came closest to failing.
func AlwaysGreaterThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.AlwaysGreaterThan, left > right, left, right, msg, details)
	}
}

// AlwaysGreaterThanOrEqual asserts that left >= right every time the call
// is reached; see [AlwaysGreaterThan].
func AlwaysGreaterThanOrEqual[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.AlwaysGreaterThanOrEqual, left >= right, left, right, msg, details)
	}
}

// AlwaysLessThan asserts that left < right every time the call is reached;
// see [AlwaysGreaterThan].
func AlwaysLessThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.AlwaysLessThan, left < right, left, right, msg, details)
	}
}

// AlwaysLessThanOrEqual asserts that left <= right every time the call is
// reached; see [AlwaysGreaterThan].
func AlwaysLessThanOrEqual[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.AlwaysLessThanOrEqual, left <= right, left, right, msg, details)
	}
}

// SometimesGreaterThan asserts that left > right at least once in a Run,
// as [Sometimes] does, and keeps the watermark: the left value that came
// closest to making it true, so that a report can say how near a Run got.
func SometimesGreaterThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.SometimesGreaterThan, left > right, left, right, msg, details)
	}
}

// SometimesGreaterThanOrEqual asserts that left >= right at least once in
// a Run; see [SometimesGreaterThan].
func SometimesGreaterThanOrEqual[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.SometimesGreaterThanOrEqual, left >= right, left, right, msg, details)
	}
}

// SometimesLessThan asserts that left < right at least once in a Run; see
// [SometimesGreaterThan].
func SometimesLessThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.SometimesLessThan, left < right, left, right, msg, details)
	}
}

// SometimesLessThanOrEqual asserts that left <= right at least once in a
// Run; see [SometimesGreaterThan].
func SometimesLessThanOrEqual[T Number](ctx context.Context, left, right T, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		compare(s, simctx.SometimesLessThanOrEqual, left <= right, left, right, msg, details)
	}
}

// compare hands a numeric assertion to the simulation. The comparison is
// made in T, exactly; the operands travel as float64 for the watermark.
func compare[T Number](s simctx.Asserter, k simctx.AssertKind, ok bool, left, right T, msg string, details []any) {
	var zero T
	_, dur := any(zero).(time.Duration)
	s.Assert(simctx.Assertion{Kind: k, Msg: msg, OK: ok, Left: float64(left), Right: float64(right), Duration: dur, Args: details})
}
