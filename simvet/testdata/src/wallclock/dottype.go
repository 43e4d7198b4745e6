package wallclock

import (
	. "time"

	"github.com/moonpool-go/moonpool/providers"
)

// A type keeps the dot import used whatever is fixed: fixes are offered.
func DotElapsed(p providers.Providers, t Time) Duration {
	return Since(t) // want `time.Since reads`
}
