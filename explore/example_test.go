package explore_test

import (
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
)

// A recipe is plain text: the root seed, then each branch point as
// /draw:seed.
func ExampleParseRecipe() {
	r, err := explore.ParseRecipe("42/1034:99/2051:7")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Seed, r.Depth(), r.Branches[0].At)
	fmt.Println(r.Child(3000, 5))
	// Output:
	// 42 2 1034
	// 42/1034:99/2051:7/3000:5
}

func ExampleConfig_Validate() {
	cfg := explore.Defaults()
	cfg.MaxDepth = 0
	fmt.Println(cfg.Validate())
	// Output:
	// explore: MaxDepth is 0; give between 1 and 1024 branch points (Defaults has 32)
}

// Three locks, each opening one time in 30, one after the other: plain
// seeds meet all three once in 27,000 runs. Exploration branches each run
// where a lock first opens, and opens all three in a few hundred.
func Example() {
	body := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		for lock := range 3 {
			s.Sleep(time.Millisecond)
			if rnd.IntN(30) != 0 {
				return
			}
			assertions.SometimesEach(ctx, "a lock opened", "lock", lock)
		}
		s.Errorf("every lock is open")
	}
	ex := simtest.Simulate(body, simtest.Explore(explore.Defaults()), simtest.AllowGaps())
	plain := simtest.Simulate(body, simtest.Seeds(ex.Seeds), simtest.AllowGaps())
	fmt.Println("exploration found it:", ex.Failed == 1, "in under 1,000 timelines:", ex.Seeds < 1000)
	fmt.Println("as many plain seeds found it:", plain.Failed == 1)
	// Output:
	// exploration found it: true in under 1,000 timelines: true
	// as many plain seeds found it: false
}
