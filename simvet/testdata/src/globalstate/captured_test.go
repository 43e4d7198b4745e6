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
