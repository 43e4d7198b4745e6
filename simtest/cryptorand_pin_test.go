//go:build go1.26

package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A parallel test cannot pin crypto/rand: the Run says why and goes on.
func TestPinRefusesAParallelTest(t *testing.T) {
	t.Run("parallel", func(t *testing.T) {
		t.Parallel()
		c := &cryptoRand{}
		why := c.pin(t, 1)
		assert.Contains(t, why, "the test is parallel")
		assert.Nil(t, c.other)
	})
}
