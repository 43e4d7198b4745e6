package wallclock

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// A sleep in a task's function literal, with the task's context in scope.
func Later(ctx context.Context, p providers.Providers, d time.Duration) {
	p.Task.Go(ctx, "later", func(ctx context.Context) error {
		time.Sleep(d) // want `time.Sleep waits on the wall clock`
		return nil
	})
}
