package explore_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/providers"
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

// A Sometimes that every run meets early, kept to show the test serves
// requests, would be a mark of the first run: its children would re-run
// the start only to serve requests again. CoverageOnly keeps it in the
// assertion table and out of the marks, so the children go to the locks.
func ExampleConfig_coverageOnly() {
	body := func(s *simtest.S) {
		ctx, rnd := s.Context(), s.Providers().Random
		s.Sleep(time.Millisecond)
		assertions.Sometimes(ctx, true, "a request was served")
		for lock := range 3 {
			s.Sleep(time.Millisecond)
			if rnd.IntN(30) != 0 {
				return
			}
			assertions.SometimesEach(ctx, "a lock opened", "lock", lock)
		}
		s.Errorf("every lock is open")
	}
	cfg := explore.Defaults()
	cfg.CoverageOnly = []string{"a request was served"}
	ex := simtest.Simulate(body, simtest.Explore(cfg), simtest.AllowGaps())
	fmt.Println("exploration found it:", ex.Failed == 1)
	fmt.Println("the table counts the request:", strings.Contains(ex.Report, `"a request was served"`))
	// Output:
	// exploration found it: true
	// the table counts the request: true
}

// A bug that needs a pause of the process longer than 4.95 s (of 0.1 to
// 5 s), begun after an unasserted 1 in 20: the assertion that sees it
// comes once the pause has begun and its length is drawn, so its
// children cannot lengthen it. FaultMarks branches where the pause
// began, and its children draw the pause again.
func ExampleConfig_faultMarks() {
	body := func(s *simtest.S) {
		var longest time.Duration
		c := s.Boot(simtest.Processes{Name: "srv", Count: 1, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				last := p.Time.Now()
				for p.Time.Sleep(ctx, 10*time.Millisecond) == nil {
					longest, last = max(longest, p.Time.Now().Sub(last)), p.Time.Now()
				}
				return nil
			})
		}})
		armed := false
		s.Go("arm", func(ctx context.Context) error {
			s.Sleep(500 * time.Millisecond)
			armed = s.Providers().Random.IntN(20) == 0
			s.Sleep(600 * time.Millisecond) // the pause began at 1 s
			assertions.Sometimes(ctx, armed && c.Paused("srv-0"), "armed while the process was paused")
			return nil
		})
		c.Run(simtest.Phases{Chaos: 1500 * time.Millisecond, Settle: 5 * time.Second})
		if armed && longest > 4950*time.Millisecond {
			s.Errorf("armed, then paused for %v", longest)
		}
	}
	faults := chaos.Off()
	faults.Attrition = chaos.DefaultAttrition()
	faults.Attrition.Graceful, faults.Attrition.Crash, faults.Attrition.PowerLoss, faults.Attrition.Pause = 0, 0, 0, 1
	faults.Attrition.Interval = chaos.Range{Min: time.Second, Max: time.Second}
	faults.Attrition.PauseFor = chaos.Range{Min: 100 * time.Millisecond, Max: 5 * time.Second}

	cfg := explore.Defaults()
	cfg.Timelines = 1000
	without := simtest.Simulate(body, simtest.Explore(cfg), simtest.Chaos(faults), simtest.AllowGaps())
	cfg.FaultMarks = true
	with := simtest.Simulate(body, simtest.Explore(cfg), simtest.Chaos(faults), simtest.AllowGaps())
	fmt.Println("without fault marks, found:", without.Failed == 1)
	fmt.Println("with fault marks, found:", with.Failed == 1)
	// Output:
	// without fault marks, found: false
	// with fault marks, found: true
}
