// Package envcache is a package whose test runs a simtest.Run, for
// TestGoTestCacheKeysOnFlagsFromTheEnvironment: go test caches its result
// under the environment variables the test read.
package envcache

import (
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

func TestSeeds(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {}, simtest.Seeds(2))
}
