package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// An invariant is checked after every step of the seed; the assertion
// table counts its checks, and a failure fails the seed.
func ExampleS_Invariant() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		balance := 100
		s.Invariant("the balance is never negative", func() error {
			if balance < 0 {
				return fmt.Errorf("the balance is %d", balance)
			}
			return nil
		})
		s.Go("spender", func(ctx context.Context) error {
			for range 10 {
				amount := s.Providers().Random.IntN(20)
				if amount <= balance {
					balance -= amount
				}
				s.Sleep(time.Second)
			}
			return nil
		})
		s.Sleep(time.Minute)
	})
}

// An invariant over state that is out of view while a process is down
// skips those checks, rather than say it held.
func ExampleSkipCheck() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		accounts := map[string]int{"shard-0": 50, "shard-1": 50}
		c := s.Boot(simtest.Processes{Name: "shard", Count: 2, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Invariant("money is conserved", func() error {
			total := 0
			for name, balance := range accounts {
				if !c.Alive(name) {
					return simtest.SkipCheck // its accounts cannot be read
				}
				total += balance
			}
			if total != 100 {
				return fmt.Errorf("the accounts hold %d, not 100", total)
			}
			return nil
		})
		c.Run(simtest.Phases{Chaos: time.Minute})
	})
}

// The code under test logs through the seed's logger: its records join the
// timeline with the simulated time and the task, and an invariant can
// follow them as they come.
func ExampleS_Watch() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		log := s.Logger() // hand it to the code under test
		elections := s.Watch("leader elected")
		terms := map[int64]bool{}
		s.Invariant("one leader per term", func() error {
			for _, e := range elections.Next() {
				term := e.Attrs[0].Value.Int64()
				if terms[term] {
					return fmt.Errorf("a second leader in term %d, at %v", term, e.At)
				}
				terms[term] = true
			}
			return nil
		})
		s.Go("node", func(ctx context.Context) error {
			log.InfoContext(ctx, "leader elected", "term", 1, "node", "a")
			return nil
		})
		s.Sleep(time.Second)
	})
}

// Assertions in the code under test, and the files a Run can write about
// them: the coverage profile for go tool cover -html, the report as JSON,
// and the last seed's whole timeline.
func ExampleCoverProfile() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		n := s.Providers().Random.IntN(100)
		assertions.Always(s.Context(), n < 100, "n is below 100", "n", n)
		assertions.Sometimes(s.Context(), n == 0, "n is zero")
	},
		simtest.CoverProfile("testdata/out/"), // PKG/TestX.cover, one per test, PKG the package's directory in its module
		simtest.JSONReport("testdata/out/"),   // PKG/TestX.json
		simtest.TimelineFile("testdata/out/"), // TestX.jsonl
	)
}
