package goroutine

import (
	"context"
	"runtime"
)

// The same goroutine, started through a function value or by the
// standard library on the code's behalf.

func Value(f func()) {
	g := f
	go g() // want `goroutine: a go statement`
}

func AfterFunc(ctx context.Context) {
	stop := context.AfterFunc(ctx, work) // want `goroutine: context.AfterFunc runs its function on a goroutine of its own`
	defer stop()
}

type handle struct{ fd int }

// The runtime runs finalizers and cleanups on a goroutine of its own,
// when a garbage collection finds the value unreachable: at a moment no
// seed decides.
func Finalized() *handle {
	h := &handle{}
	runtime.SetFinalizer(h, func(h *handle) { work() })  // want `goroutine: runtime.SetFinalizer runs its function on the runtime's goroutine`
	runtime.AddCleanup(h, func(fd int) { work() }, h.fd) // want `goroutine: runtime.AddCleanup runs its function on the runtime's goroutine`
	runtime.KeepAlive(h)
	return h
}
