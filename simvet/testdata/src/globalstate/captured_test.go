package globalstate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/suite"

	"github.com/moonpool-go/moonpool/simtest"
)

type CacheSuite struct {
	suite.Suite
	calls int
	data  map[string]string
}

func (cs *CacheSuite) SetupTest() { cs.calls = 0 } // on the test goroutine: not reported

func (cs *CacheSuite) TestShared() {
	simtest.Run(cs.T(), func(s *simtest.S) {
		cs.calls++ // want `globalstate: writes cs.calls, which the simulation body captures from outside it and reads: every seed of the Run shares it, so what one seed leaves there the next reads, and a failing seed passes when it runs alone; make the state in the body, for each seed \(a testify suite's fields, set in SetupTest, live across the seeds\)`
		if cs.calls == 4 {
			s.Errorf("the fourth seed")
		}
		cs.data["a"] = "1" // want `writes cs.data\["a"\], which the simulation body captures`
		use(cs.data)
	})
}

func use(map[string]string) {}

func TestCaptured(t *testing.T) {
	seen := map[uint64]bool{}
	var simulated time.Duration
	var results []string
	n := 0
	simtest.Run(t, func(s *simtest.S) {
		simulated += 1                 // a sum kept for after the Run: not reported
		results = append(results, "x") // a list kept for after the Run: not reported
		local := 0
		local++ // the seed's own: not reported
		s.Go("task", func(ctx context.Context) error {
			n++ // want `writes n, which the simulation body captures from outside it and reads`
			return nil
		})
		if n > 1 {
			s.Errorf("n")
		}
		if seen[1] {
			s.Errorf("seen")
		}
		seen[1] = true // want `writes seen\[1\], which the simulation body captures`
	})
	_, _ = simulated, results
}

// A field the body writes and reads nowhere but that a method of the
// suite reads: a hook, a helper, or the test method after the Run.
type StoreSuite struct {
	suite.Suite
	last    string
	applied map[string]int
	seen    int
	sum     int
	note    string
}

func (ss *StoreSuite) SetupTest() {
	ss.applied = map[string]int{} // a write, not a read
	ss.seen = 0
}

func (ss *StoreSuite) TearDownTest() {
	ss.Equal("done", ss.last)
}

func (ss *StoreSuite) count() int { return len(ss.applied) }

func (ss *StoreSuite) TestHooks() {
	simtest.Run(ss.T(), func(s *simtest.S) {
		ss.last = "done"    // want `globalstate: writes ss.last, a field of the testify suite that the simulation body captures, which TearDownTest reads \(captured_test.go:76\): every seed of the Run shares the field, so TearDownTest finds what the last seed left there, or all of them together, not one seed's, and what it finds changes with the seeds run and their order; make the state in the body, for each seed, and check it there \(in the body, s.Cleanup or the workload's Check\)`
		ss.applied["k"] = 1 // want `writes ss.applied\["k"\], a field of the testify suite that the simulation body captures, which count reads \(captured_test.go:79\)`
		ss.seen++           // written by SetupTest only: not reported
		ss.sum += 2         // want `writes ss.sum, a field of the testify suite .*, which TestHooks reads \(captured_test.go:89\)`
		ss.note = "n"       // read by no method: not reported
	})
	ss.Equal(2, ss.sum)
}
