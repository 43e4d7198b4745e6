package providers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// body is a test that runs the same way on real providers and in a
// simulation. It must block only through p.
type body func(t *testing.T, ctx context.Context, p providers.Providers)

// simSeeds is how many seeds both runs a body under.
const simSeeds = 8

// both runs fn on the real providers, then as the root task of simulations
// with seeds 1 to simSeeds.
func both(t *testing.T, fn body) {
	t.Run("real", func(t *testing.T) {
		fn(t, context.Background(), providers.Real())
	})
	sims(t, fn)
}

// sims runs fn as the root task of simulations with seeds 1 to simSeeds.
func sims(t *testing.T, fn body) {
	for seed := uint64(1); seed <= simSeeds; seed++ {
		t.Run(fmt.Sprintf("sim/seed=%d", seed), func(t *testing.T) {
			simulate(t, seed, fn)
		})
	}
}

// simulate runs fn as the root task of a simulation with seed, and fails t
// if the run fails.
func simulate(t *testing.T, seed uint64, fn body) sim.Result {
	t.Helper()
	return simulateWorld(t, sim.New(sim.Config{Seed: seed}), fn)
}

func simulateWorld(t *testing.T, w *sim.World, fn body) sim.Result {
	t.Helper()
	res := w.RunGuarded(func(ctx context.Context, p providers.Providers) error {
		fn(t, ctx, p)
		return nil
	}, 10*time.Second)
	if res.Goexit {
		t.FailNow() // a require inside the simulation failed
	}
	require.NoError(t, res.Err, "seed %d", res.Seed)
	return res
}

// pause lets other tasks run until they block: long enough in real time,
// and any positive duration in simulated time.
func pause(ctx context.Context, p providers.Providers) {
	_ = p.Time.Sleep(ctx, 20*time.Millisecond)
}

// timeout returns a context that expires soon, on p's clock.
func timeout(ctx context.Context, p providers.Providers) (context.Context, context.CancelFunc) {
	return p.Time.WithTimeout(ctx, 10*time.Millisecond)
}

// cancelled returns a context that is already done.
func cancelled(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	return ctx
}

// recovered calls f and returns what it panicked with, or nil.
func recovered(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}
