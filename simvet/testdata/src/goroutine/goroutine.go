package goroutine

import (
	"context"

	"github.com/moonpool-go/moonpool/providers"
)

func work() {}

func Start(ctx context.Context, p providers.Providers) {
	go func() { // want `goroutine: a go statement starts a goroutine the simulation neither schedules nor kills; start a task with p.Task.Go\(ctx, name, fn\)`
		work()
	}()
	go work()   // want `goroutine: a go statement`
	go func() { // want `goroutine: a go statement`
		if ctx == nil {
			return // a bare return: no fix, it would not compile in func() error
		}
		work()
	}()
}

// server holds its providers in a field.
type server struct{ p providers.Providers }

func (s *server) serve(ctx context.Context) {
	go func() { // want `goroutine: a go statement`
		work()
	}()
}

// NoProviders has no Providers in scope: reported, no fix.
func NoProviders(ctx context.Context) {
	go func() { work() }() // want `goroutine: a go statement`
}

// A body of several statements takes the enclosing function's name.
func Several(ctx context.Context, p providers.Providers) {
	go func() { // want `goroutine: a go statement`
		work()
		work()
	}()
}

// Tasks are fine.
func Tasks(ctx context.Context, p providers.Providers) {
	p.Task.Go(ctx, "worker", func(ctx context.Context) error { work(); return nil })
}
