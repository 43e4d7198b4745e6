package wallclock

import (
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// Two uses: each fix alone keeps the import for the other; both together
// leave it unused, and the driver that applies them drops it.
func Ordered(p providers.Providers) bool {
	return time.Now().Before(time.Now()) // want `time.Now reads` `time.Now reads`
}
