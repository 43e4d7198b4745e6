package sim

import "context"

// WithCancel returns a child of parent that the simulation owns when
// parent is owned (see ownedWaiters): tasks that wait on it are woken when
// cancel is called, with no polling before. Call it, and cancel, from a
// task of the world (or before the run): a goroutine the world does not
// run fails the run as a stray call. After the run, cancel may be called
// from any goroutine, and changes nothing of the world.
func (w *World) WithCancel(parent context.Context) (context.Context, context.CancelFunc) {
	w.enter("WithCancel")
	if up, ext, ok := w.parentOf(parent, "WithCancel", ""); ok {
		c := w.newContext(parent, up, ext)
		return c, c.cancelFunc
	}
	ctx, cancel := context.WithCancel(parent)
	return ctx, func() {
		live := w.guardCancel()
		cancel()
		if live {
			w.cancelOwned()
		}
	}
}
