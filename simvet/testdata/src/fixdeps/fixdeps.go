// Package fixdeps imports what simvet's suggested fixes may add, so that
// the tests can type-check fixed code against it.
package fixdeps

import (
	_ "context"
	_ "maps"
	_ "slices"

	_ "github.com/moonpool-go/moonpool/simhttp"
)
