package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// ticker is a process that logs "tick" every second until stopped.
type ticker struct{}

func (ticker) Run(ctx context.Context, p providers.Providers) error {
	for {
		p.Logger.Info("tick")
		if err := p.Time.Sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

func TestTimelineCountsByNameAndProcess(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		assert.Same(s, tl, s.Timeline(), "one Timeline per seed")
		all := s.Watch()
		s.Boot(simtest.Processes{Name: "a", Count: 2, New: func() simtest.Process { return ticker{} }})
		s.Logger().Info("driver note")
		s.Sleep(2500 * time.Millisecond)

		assert.Equal(s, 3, tl.CountIn("a-0", "tick"), "ticks at 0s, 1s, 2s")
		assert.Equal(s, 3, tl.CountIn("a-1", "tick"))
		assert.Equal(s, 6, tl.Count("tick"))
		assert.Equal(s, 1, tl.CountIn("", "driver note"))
		assert.Zero(s, tl.CountIn("a-0", "driver note"))
		assert.Equal(s, 6, tl.CountByName()["tick"])
		byProc := tl.CountByProcess()
		assert.GreaterOrEqual(s, byProc["a-0"], 3)
		assert.Equal(s, tl.Counts()["a-1"]["tick"], 3)
		total := 0
		for _, n := range byProc {
			total += n
		}
		assert.Equal(s, tl.Len(), total)
		assert.Equal(s, all.Next(), tl.Snapshot(), "the snapshot is every entry since the call, as a Watch of everything sees them")
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

func TestTimelineSinceAMark(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		log := s.Logger()
		log.Info("before")
		m := tl.Mark()
		log.Info("after", "n", 1)
		log.Info("after", "n", 2)
		got := tl.Since(m)
		var names []string
		for _, e := range got {
			names = append(names, e.Name)
		}
		assert.Equal(s, []string{"after", "after"}, names)
		assert.Equal(s, tl.Snapshot()[m:], got)
		snap := tl.Snapshot()
		log.Info("later")
		assert.Len(s, snap, int(m)+2, "a snapshot does not grow")
		assert.Empty(s, tl.Since(tl.Mark()))
		assert.Panics(s, func() { tl.Since(m + 100) })
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
}

func TestTimelineFromAnInvariant(t *testing.T) {
	// An invariant that bounds the ticks of every process by the time
	// elapsed: it sees each entry as the step that adds it ends.
	var checks int
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		s.Invariant("a process ticks at most once a second", func() error {
			checks++
			limit := int(s.Elapsed()/time.Second) + 2 // a host's clock may run a little fast
			for proc, names := range tl.Counts() {
				if n := names["tick"]; n > limit {
					return fmt.Errorf("%s ticked %d times in %v", proc, n, s.Elapsed())
				}
			}
			return nil
		})
		s.Boot(simtest.Processes{Name: "a", Count: 3, New: func() simtest.Process { return ticker{} }})
		s.Sleep(5 * time.Second)
	}, simtest.Seeds(5))
	require.Positive(t, checks)
}

func TestTimelineIsTheSameRunWithOrWithoutIt(t *testing.T) {
	body := func(keep bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			if keep {
				s.Timeline()
			}
			s.Boot(simtest.Processes{Name: "a", Count: 2, New: func() simtest.Process { return ticker{} }})
			s.Sleep(3 * time.Second)
		}
	}
	a := simtest.Simulate(body(false), simtest.Seeds(5))
	b := simtest.Simulate(body(true), simtest.Seeds(5))
	require.True(t, a.OK() && b.OK())
	for i := range a.PerSeed {
		assert.Equal(t, a.PerSeed[i].Trace, b.PerSeed[i].Trace)
	}
}
