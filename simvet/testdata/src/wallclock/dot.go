package wallclock

import (
	. "time"

	"github.com/moonpool-go/moonpool/providers"
)

// A dot import's last use: the fix drops the import.
func DotStamp(p providers.Providers) int64 {
	return Now().Unix() // want `time.Now reads`
}
