// Package closurelib is code under test for simtest's own tests of the
// sites the JSON report names: a small function that declares a closure,
// which the compiler inlines into its caller, copying the closure and
// naming the copy after the caller.
package closurelib

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
)

// Checker returns a check that asserts n is not negative.
func Checker(ctx context.Context) func(n int) {
	return func(n int) {
		assertions.Always(ctx, n >= 0, "n is never negative")
	}
}
