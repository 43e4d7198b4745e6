package wallclock

import (
	. "time"

	"github.com/moonpool-go/moonpool/providers"
)

// Two calls are a dot import's only uses: each fix alone would keep the
// import for the other, and both together would leave it unused, which
// no driver removes. No fix.
func DotOrdered(p providers.Providers) bool {
	return Now().Before(Now()) // want `time.Now reads` `time.Now reads`
}
