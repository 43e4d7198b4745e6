// Package gaplib is code under test for simtest's own tests of the
// assertion report: a package whose assertions a Run reaches in one file
// and not in another (rare.go), which no seed enters.
package gaplib

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
)

// Step asserts what every seed sees.
func Step(ctx context.Context) {
	assertions.Sometimes(ctx, true, "a step was taken")
}
