package simtest_test

import (
	"fmt"

	"github.com/moonpool-go/moonpool/simtest"
)

// Simulate runs seeds outside go test, in a command or a program that
// sweeps them, and returns what it found.
func ExampleSimulate() {
	res := simtest.Simulate(func(s *simtest.S) {
		if s.Providers().Random.IntN(500) == 0 { // a bug that shows once in 500 seeds
			s.Errorf("the planted bug fired")
		}
	}, simtest.Seeds(1000), simtest.BaseSeed(1), simtest.KeepGoing())
	fmt.Printf("%d seeds, %d passed, %d failed\n", res.Seeds, res.Passed, res.Failed)
	fmt.Println("failing:", res.Failing())
	fmt.Println("replay the first with", res.Replay)
	// Output:
	// 1000 seeds, 999 passed, 1 failed
	// failing: [15897925802583272582]
	// replay the first with simtest.Replay(15897925802583272582)
}
