package wallclock

import (
	. "time"

	"github.com/moonpool-go/moonpool/providers"
)

// A variable of the dot import keeps it used, whatever is called on it:
// the fix is offered, and the import stays.
func DotLocal(p providers.Providers) string {
	return Local.String() + Now().String() // want `time.Now reads`
}
