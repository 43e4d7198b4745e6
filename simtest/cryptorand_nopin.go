//go:build !go1.26

package simtest

import (
	"runtime"
	"testing"
)

// pin says why crypto/rand cannot be pinned: testing/cryptotest came with
// Go 1.26.
func (c *cryptoRand) pin(testing.TB, uint64) string {
	return "pinning it to the seed takes Go 1.26 or later (testing/cryptotest), and this test binary was built with " + runtime.Version()
}
