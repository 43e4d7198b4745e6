package simtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
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

// An invariant that stays false is one failure, which the seed's report
// tells with its span and the table's note reads its FALSE as checks of;
// the JSON report marks it an invariant.
func TestInvariantThatStaysFalseSaysForHowLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	r := runIn("TestInvariantStaysFalse", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Invariant("the clock is outside 3s to 8s", func() error {
				if at := s.Elapsed(); at > 3*time.Second && at < 8*time.Second {
					return fmt.Errorf("it is %v", at)
				}
				return nil
			})
			assertions.Always(s.Context(), true, "an assertion of the body")
			for range 100 {
				s.Sleep(100 * time.Millisecond)
			}
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.JSONReport(path))
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Regexp(t, `\n    3\.1s: Always "the clock is outside 3s to 8s" failed \(invariant_external_test.go:\d+\): error="it is 3\.1s"\n`+
		`      \(false in 49 checks from 3\.1s to 7\.9s: an invariant is checked after every step, and the assertion table's FALSE counts each check\)\n`, out)
	assert.Regexp(t, `^FAILED Always 52 49 1 first in seed`, tableLine(t, out, "the clock is outside 3s to 8s"))
	assert.Contains(t, out, "\n    (an invariant is checked after every step, false or not: its FALSE counts the checks that found it false, not separate violations; "+
		`a failed seed's report says from when to when it was false: "the clock is outside 3s to 8s")`+"\n")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Assertions []struct {
			Message   string `json:"message"`
			Failures  uint64 `json:"failures"`
			Invariant bool   `json:"invariant"`
		} `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	got := map[string]bool{}
	for _, a := range rep.Assertions {
		got[a.Message] = a.Invariant
	}
	assert.Equal(t, map[string]bool{"the clock is outside 3s to 8s": true, "an assertion of the body": false}, got)
}

// An invariant false at one check only reads as the failure it is, with
// no span and no note.
func TestInvariantFalseOnceHasNoSpan(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Invariant("the clock is not at 3s", func() error {
			if s.Elapsed() == 3*time.Second {
				return errors.New("it is 3s")
			}
			return nil
		})
		for range 100 {
			s.Sleep(100 * time.Millisecond)
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Regexp(t, `^FAILED Always \d+ 1 1 `, tableLine(t, res.Report, "the clock is not at 3s"))
	assert.NotContains(t, res.Report, "false in ")
	assert.Contains(t, res.Report, "a failed seed's report says from when to when", "the note reads FALSE as checks all the same")
}

// A merge of results files reads FALSE as an invariant's checks as the
// Run did.
func TestMergedInvariantKeepsItsNote(t *testing.T) {
	dir := t.TempDir()
	body := func(s *simtest.S) {
		s.Invariant("the clock is outside 3s to 8s", func() error {
			if at := s.Elapsed(); at > 3*time.Second && at < 8*time.Second {
				return fmt.Errorf("it is %v", at)
			}
			return nil
		})
		s.Sleep(5 * time.Second)
	}
	for i := range 2 {
		res := simtest.Simulate(body, simtest.Seeds(4), simtest.KeepGoing(), simtest.Shard(i, 2), simtest.ResultsFile(dir+"/"))
		require.False(t, res.OK())
	}
	merged, err := simtest.MergeResults(dir)
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Contains(t, merged.Tests[0].Report, `its FALSE counts the checks that found it false, not separate violations; a failed seed's report says from when to when it was false: "the clock is outside 3s to 8s")`)
}
