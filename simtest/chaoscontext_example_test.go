package simtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// poller is a workload that makes an operation every 400ms for as long as
// the chaos phase lasts.
type poller struct{ ops int }

func (w *poller) Setup(context.Context, providers.Providers) error { return nil }

func (w *poller) Run(ctx context.Context, p providers.Providers) error {
	start := p.Time.Now()
	phase := simtest.ChaosContext(ctx)
	for phase.Err() == nil {
		w.ops++ // an operation, given ctx, so that the last one completes
		_ = p.Time.Sleep(phase, 400*time.Millisecond)
	}
	fmt.Printf("Run: %d operations in %v\n", w.ops, p.Time.Now().Sub(start))
	return nil
}

func (w *poller) Check(ctx context.Context, p providers.Providers) error {
	fmt.Println("Check: the phase's context:", simtest.ChaosContext(ctx).Err())
	return nil
}

// A workload that runs for the chaos phase, however long the test makes
// it, rather than for a count of operations: its Run returns as the phase
// ends.
func ExampleChaosContext() {
	simtest.Simulate(func(s *simtest.S) {
		s.Boot().Run(simtest.Phases{Chaos: 3 * time.Second}, &poller{})
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	fmt.Println("outside a simulation, ctx itself:", simtest.ChaosContext(context.Background()) == context.Background())
	// Output:
	// Run: 8 operations in 3s
	// Check: the phase's context: context canceled
	// outside a simulation, ctx itself: true
}
