package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestInvariantRunsAfterEveryStep(t *testing.T) {
	var checks, steps int
	res := simtest.Simulate(func(s *simtest.S) {
		s.Invariant("counts its checks", func() error {
			checks++
			return nil
		})
		for i := range 3 {
			s.Go(fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
				for range 4 {
					s.Providers().Task.Yield(ctx)
				}
				return nil
			})
		}
		s.Sleep(time.Second)
	}, simtest.Replay(1))
	require.True(t, res.OK(), res.Report)
	_, err := fmt.Sscanf(res.Report[strings.Index(res.Report, "steps="):], "steps=%d", &steps)
	require.NoError(t, err)
	assert.Equal(t, steps, checks, "one check after each step, the registering one included")
	assert.Regexp(t, fmt.Sprintf(`^ok Always %d 0 1 "counts its checks" invariant_external_test.go:\d+$`, checks), tableLine(t, res.Report, "counts its checks"))
}

func TestInvariantFailureFailsTheSeedAndGoesOn(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		balance := 10
		s.Invariant("the balance is never negative", func() error {
			if balance < 0 {
				return fmt.Errorf("the balance is %d", balance)
			}
			return nil
		})
		s.Go("spender", func(ctx context.Context) error {
			balance -= 15
			s.Sleep(time.Second)
			balance += 15
			return nil
		})
		s.Sleep(2 * time.Second)
		s.Logf("the body ran to its end")
	}, simtest.Seeds(3))
	out := res.Report
	require.False(t, res.OK())
	assert.Regexp(t, `0s: Always "the balance is never negative" failed \(invariant_external_test.go:\d+\): error="the balance is -5"`, out)
	assert.Contains(t, out, "the body ran to its end", "record and continue")
	assert.Regexp(t, `^FAILED Always \d+ \d+ 1 first in seed`, tableLine(t, out, "the balance is never negative"))
}

func TestInvariantPanicIsAFailure(t *testing.T) {
	r := runIn("TestInvariantPanics", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			var m map[string]int
			s.Invariant("writes a nil map", func() error {
				m["x"] = 1
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Seeds(1))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `error="the check panicked: assignment to entry in nil map"`)
}

func TestInvariantThatDrawsIsReported(t *testing.T) {
	r := runIn("TestInvariantDraws", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Invariant("rolls a die", func() error {
				_ = s.Providers().Random.IntN(6)
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Seeds(1))
	})
	assert.True(t, r.failed)
	assert.Regexp(t, `invariant "rolls a die" \(invariant_external_test.go:\d+\) drew from the run's random stream, which changes the run it checks; an invariant must only look at state`, r.output())
}

func TestInvariantRegistrationMistakes(t *testing.T) {
	for name, c := range map[string]struct {
		register func(s *simtest.S)
		want     string
	}{
		"nil check": {func(s *simtest.S) { s.Invariant("x", nil) }, `driver: invariant_external_test.go:\d+: s.Invariant\("x"\): the check is nil`},
		"no name":   {func(s *simtest.S) { s.Invariant("", func() error { return nil }) }, `s.Invariant\(""\): the name is empty`},
		"twice": {func(s *simtest.S) {
			s.Invariant("x", func() error { return nil })
			s.Invariant("x", func() error { return nil })
		}, `an invariant of that name is already registered in this seed`},
		"an assertion's message": {func(s *simtest.S) {
			assertions.Sometimes(s.Context(), true, "taken")
			s.Invariant("taken", func() error { return nil })
		}, `s.Invariant\("taken"\): the message is already used by a Sometimes at invariant_external_test.go:\d+`},
	} {
		t.Run(name, func(t *testing.T) {
			r := runIn("TestInvariantMistake", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { c.register(s) }, simtest.Seeds(1))
			})
			assert.True(t, r.failed)
			assert.Regexp(t, c.want, r.output())
		})
	}
}

func TestInvariantWatchesTheTimelineIncrementally(t *testing.T) {
	r := runIn("TestInvariantWatch", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			log := s.Logger()
			acks := s.Watch("write acknowledged", "crash")
			crashed := false
			var seen []string
			s.Invariant("no write is acknowledged after a crash", func() error {
				for _, e := range acks.Next() {
					seen = append(seen, e.Name)
					switch e.Name {
					case "crash":
						crashed = true
					case "write acknowledged":
						if crashed {
							return errors.New("write " + e.Attrs[0].Value.String() + " was acknowledged after the crash")
						}
					}
				}
				return nil
			})
			s.Go("writer", func(ctx context.Context) error {
				for i := range 3 {
					log.Info("write acknowledged", "id", i)
					s.Sleep(time.Second)
				}
				return nil
			})
			s.Sleep(1500 * time.Millisecond)
			log.Warn("crash")
			s.Sleep(5 * time.Second)
			assert.Equal(s, []string{"write acknowledged", "write acknowledged", "crash", "write acknowledged"}, seen, "each entry once, in order")
		}, simtest.Seeds(1))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), `error="write 2 was acknowledged after the crash"`)
}
