package goroutine

import "context"

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
