package wallclock

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// The fix rewrites the file's last use of time, and drops the import with
// it: left behind, it would not compile.
func Nanos(ctx context.Context, p providers.Providers) int64 {
	return time.Now().UnixNano() // want `time.Now reads`
}
