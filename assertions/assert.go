package assertions

import (
	"context"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Always asserts that cond holds every time the call is reached, and that
// it is reached at least once in a Run. A false cond fails the seed, which
// goes on to its end; details, key/value pairs as for log/slog, are kept
// with the first failure.
func Always(ctx context.Context, cond bool, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.Always, Msg: msg, OK: cond, Args: details})
	}
}

// AlwaysOrUnreachable asserts that cond holds every time the call is
// reached. Unlike [Always], it is no gap for a Run never to reach it: use
// it on paths that a healthy run may never take, such as a recovery path.
func AlwaysOrUnreachable(ctx context.Context, cond bool, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.AlwaysOrUnreachable, Msg: msg, OK: cond, Args: details})
	}
}

// Sometimes asserts that cond holds at least once in a Run: that the
// simulation reaches the situation cond describes. A Run in which it
// never holds has a coverage gap. The first seed in which it holds keeps
// its details.
func Sometimes(ctx context.Context, cond bool, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.Sometimes, Msg: msg, OK: cond, Args: details})
	}
}

// Reachable asserts that the call is reached at least once in a Run: it is
// [Sometimes] with a condition that is always true.
func Reachable(ctx context.Context, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.Reachable, Msg: msg, OK: true, Args: details})
	}
}

// Unreachable asserts that the call is never reached: reaching it fails
// the seed, as a false [Always] does.
func Unreachable(ctx context.Context, msg string, details ...any) {
	if s := asserter(ctx); s != nil {
		s.Assert(simctx.Assertion{Kind: simctx.Unreachable, Msg: msg, OK: false, Args: details})
	}
}

// asserter returns where ctx's simulation keeps assertions, or nil.
func asserter(ctx context.Context) simctx.Asserter {
	if s := simctx.From(ctx); s != nil {
		return s.Asserter()
	}
	return nil
}
