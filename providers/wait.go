package providers

import "context"

// Wait blocks until ctx is done and returns its error: how a task waits
// for cancellation. In a simulation it parks through t, where a bare
// <-ctx.Done() would block outside the simulation; in production it is
// <-ctx.Done(). A nil t panics: in a simulation the wait would block
// outside it.
func Wait(ctx context.Context, t Task) error {
	if p := parkerOf(t, "Wait"); p != nil {
		return p.Park(ctx, p.WaitToken(), "context")
	}
	<-ctx.Done()
	return ctx.Err()
}
