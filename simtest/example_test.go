package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A heartbeat task and a monitor that expects a beat at least every two
// seconds; a day of simulated time runs in a blink.
func ExampleRun() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		beats := providers.NewChan[time.Time](p.Task, 1)
		s.Go("heart", func(ctx context.Context) error {
			for {
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
				beats.TrySend(p.Time.Now())
			}
		})
		for range 24 * 3600 {
			ctx, cancel := p.Time.WithTimeout(s.Context(), 2*time.Second)
			_, _, err := beats.Recv(ctx)
			cancel()
			require.NoError(s, err, "no heartbeat for two seconds")
		}
	}, simtest.Seeds(10), simtest.TimeBudget(25*time.Hour))
}

// Options are values: keep a set and share it between tests.
func ExampleOption() {
	var t *testing.T // the test's own, in a real test function

	quick := []simtest.Option{simtest.Seeds(20), simtest.TimeBudget(time.Minute)}
	simtest.Run(t, func(s *simtest.S) {
		s.Sleep(time.Second)
	}, quick...)
}

// Errors and fatal failures from any task fail the seed; the report names
// the task, the simulated time and the line.
func ExampleS_Errorf() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("checker", func(ctx context.Context) error {
			if got := s.Elapsed(); got != 0 {
				s.Errorf("the clock starts at %v, want 0", got)
			}
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	})
}

// A cluster of three processes under attrition, driven by a workload.
func ExampleS_Boot() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{
			Name:  "node",
			Count: 3,
			New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					// A real process listens on p.Network, keeps state on
					// p.Storage, and finds its peers in p.Cluster.
					return p.Time.Sleep(ctx, 365*24*time.Hour)
				})
			},
		})
		c.Run(simtest.Phases{Chaos: time.Minute}, idle{})
	})
}

// idle is a workload that waits out the chaos.
type idle struct{}

func (idle) Setup(context.Context, providers.Providers) error { return nil }
func (idle) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, time.Minute)
}
func (idle) Check(context.Context, providers.Providers) error { return nil }

// A test that CI runs checks its failing seed's replay line in a fresh
// process, the one a developer will run: the report says under the line
// whether that process failed the same way. A passing Run starts no
// process; -simverify does the same for every Run of a go test.
func ExampleVerifyReplay() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		s.Sleep(time.Second)
	}, simtest.VerifyReplay())
}

// A rolling upgrade by hand: each process reboots into v2 in turn, then a
// rollback takes one back to v1, and a later wipe keeps it there. The
// release is the cluster's, per seed, and each boot's factory is told it.
func ExampleInto() {
	node := func(version int) func(simtest.ProcessID) simtest.Process {
		return func(id simtest.ProcessID) simtest.Process {
			fmt.Printf("%s boot %d: %s (version %d)\n", id.Name, id.Boot, id.Release, version)
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return p.Time.Sleep(ctx, time.Hour)
			})
		}
	}
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "kv", Count: 2,
			Releases: map[string]func(simtest.ProcessID) simtest.Process{"v1": node(1), "v2": node(2)},
			Release:  "v1", // what every process boots first
		})
		for _, name := range c.Group("kv") {
			s.Sleep(time.Second)
			c.Reboot(name, simtest.Graceful, simtest.Into("v2"), simtest.DownFor(time.Second))
		}
		c.Reboot("kv-1", simtest.Crash, simtest.Into("v1")) // a rollback
		c.Reboot("kv-1", simtest.Wipe)                      // keeps v1
		fmt.Println("kv-0 runs", c.Release("kv-0"), "and kv-1 runs", c.Release("kv-1"))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// kv-0 boot 1: v1 (version 1)
	// kv-1 boot 1: v1 (version 1)
	// kv-0 boot 2: v2 (version 2)
	// kv-1 boot 2: v2 (version 2)
	// kv-1 boot 3: v1 (version 1)
	// kv-1 boot 4: v1 (version 1)
	// kv-0 runs v2 and kv-1 runs v1
}
