//go:build go1.26

package simtest

import (
	cryptorand "crypto/rand"
	"fmt"
	"strings"
	"testing"
	"testing/cryptotest"
)

// pin makes c crypto/rand's Reader until t ends, over the stream that
// testing/cryptotest sets from seed for the crypto packages' own
// randomness, or says why it cannot.
func (c *cryptoRand) pin(tb testing.TB, seed uint64) (why string) {
	t, ok := tb.(*testing.T)
	if !ok {
		return fmt.Sprintf("the Run was given a %T, and only a *testing.T can pin it", tb)
	}
	defer func() {
		if v := recover(); v != nil {
			why = fmt.Sprint(v)
			if strings.Contains(why, "Parallel") {
				why = "the test is parallel (t.Parallel, or a parallel parent), and crypto/rand is one for the whole test binary"
			}
		}
	}()
	first := c.other == nil
	cryptotest.SetGlobalRandom(t, seed)
	c.other = cryptorand.Reader
	cryptorand.Reader = c
	if first {
		// Registered after cryptotest's first cleanup, so run before it:
		// the test ends with crypto/rand as it found it.
		t.Cleanup(func() { cryptorand.Reader = c.other })
	}
	return ""
}
