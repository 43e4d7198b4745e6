package providers_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A task whose process crashes is killed before its function returns: Join
// gives an error that wraps ErrKilled, never nil, so the joiner knows the
// task's work may be half done.
func ExampleErrKilled() {
	var worker providers.Handle
	node := simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		worker = p.Task.Go(ctx, "worker", func(ctx context.Context) error {
			return p.Time.Sleep(ctx, time.Hour) // a long piece of work
		})
		return worker.Join(ctx)
	})
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "node", New: func() simtest.Process { return node }})
		if err := s.Providers().Time.Sleep(s.Context(), time.Second); err != nil {
			s.Fatal(err)
		}
		c.Stop("node-0", simtest.Crash)
		err := worker.Join(s.Context())
		fmt.Println(errors.Is(err, providers.ErrKilled))
	}, simtest.Seeds(1))
	fmt.Println("failed seeds:", res.Failed)
	// Output:
	// true
	// failed seeds: 0
}
