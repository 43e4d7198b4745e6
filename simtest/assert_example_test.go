package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
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
