package simtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/cover"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/explore"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/internal/closurelib"
)

var siteAtEnd = regexp.MustCompile(`\.go:\d+\s*$`)

// tableLine finds the assertion table's line for msg.
func tableLine(t *testing.T, out, msg string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, strconv.Quote(msg)) && siteAtEnd.MatchString(l) {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	t.Fatalf("no table line for %q in:\n%s", msg, out)
	return ""
}

// everyKind calls each assertion of the catalogue once, with n from the
// seed's stream deciding which come true.
func everyKind(ctx context.Context, n int) {
	assertions.Always(ctx, n < 10, "n is a digit", "n", n)
	assertions.AlwaysOrUnreachable(ctx, n >= 0, "n is not negative")
	assertions.Sometimes(ctx, n == 7, "n is seven")
	assertions.Reachable(ctx, "the body ran")
	assertions.AlwaysGreaterThan(ctx, n, -1, "n > -1")
	assertions.AlwaysGreaterThanOrEqual(ctx, n, 0, "n >= 0")
	assertions.AlwaysLessThan(ctx, time.Duration(n)*time.Millisecond, 10*time.Millisecond, "latency < 10ms")
	assertions.AlwaysLessThanOrEqual(ctx, float64(n), 9.5, "n <= 9.5")
	assertions.SometimesGreaterThan(ctx, n, 8, "n > 8")
	assertions.SometimesGreaterThanOrEqual(ctx, n, 9, "n >= 9")
	assertions.SometimesLessThan(ctx, n, 1, "n < 1")
	assertions.SometimesLessThanOrEqual(ctx, uint8(n), 0, "n <= 0")
	assertions.SometimesAll(ctx, "n is even and small",
		assertions.Named("even", n%2 == 0), assertions.Named("small", n < 3))
	assertions.SometimesEach(ctx, "each digit", "n", n, assertions.Quality{Name: "n", Value: float64(n)})
}

func TestAssertionTableInReport(t *testing.T) {
	r := runIn("TestTable", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			everyKind(s.Context(), s.Providers().Random.IntN(10))
		}, simtest.Seeds(100))
	})
	out := r.output()
	require.False(t, r.failed, out)
	assert.Contains(t, out, "assertions: 14, 0 failed, 0 gaps")
	assert.Regexp(t, `STATUS +KIND +TRUE +FALSE +SEEDS +PROGRESS +MESSAGE +SITE`, out)
	for msg, want := range map[string]string{
		"n is a digit":        `^ok Always 100 0 100 "n is a digit" assert_external_test.go:\d+$`,
		"n is seven":          `^ok Sometimes (\d+) (\d+) 100 true in \d+ seeds "n is seven"`,
		"the body ran":        `^ok Reachable 100 0 100 true in 100 seeds`,
		"latency < 10ms":      `^ok AlwaysLessThan 100 0 100 worst 9ms < 10ms`,
		"n <= 9.5":            `^ok AlwaysLessThanOrEqual 100 0 100 worst 9 <= 9.5`,
		"n > 8":               `^ok SometimesGreaterThan \d+ \d+ 100 best 9 > 8`,
		"n <= 0":              `^ok SometimesLessThanOrEqual \d+ \d+ 100 best 0 <= 0`,
		"n is even and small": `^ok SometimesAll \d+ \d+ 100 2 of 2 at once`,
		"each digit":          `^ok SometimesEach 100 0 100 10 buckets`,
	} {
		assert.Regexp(t, regexp.MustCompile(want), tableLine(t, out, msg), msg)
	}
	// the table is in the order of the code
	assert.Less(t, strings.Index(out, `"n is a digit"`), strings.Index(out, `"each digit"`))
}

func TestAlwaysFailureFailsItsSeedWithReplayAndDetails(t *testing.T) {
	var failing []uint64
	r := runIn("TestAlwaysFails", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			n := s.Providers().Random.IntN(10)
			s.Go("worker", func(ctx context.Context) error {
				if n == 3 {
					failing = append(failing, s.Seed())
				}
				assertions.Always(ctx, n != 3, "n is never three", "n", n, "why", "planted")
				assertions.Always(ctx, true, "the worker goes on after a failure")
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Seeds(100))
	})
	out := r.output()
	require.True(t, r.failed)
	require.Len(t, failing, 1, "Run stops at the first failing seed")
	seed := strconv.FormatUint(failing[0], 10)
	assert.Contains(t, out, "simtest: seed "+seed+" failed")
	assert.Contains(t, out, "replay: go test -run '^TestAlwaysFails$' ./simtest -simseed="+seed)
	assert.Regexp(t, `0s worker: Always "n is never three" failed \(assert_external_test.go:\d+\): n=3 why=planted`, out)
	assert.Contains(t, out, "error: Always \"n is never three\" failed", "the failure joins the timeline")
	assert.Regexp(t, `^FAILED Always (\d+) 1 (\d+) first in seed `+seed, tableLine(t, out, "n is never three"))
	assert.Regexp(t, `^ok Always (\d+) 0 (\d+) "the worker goes on after a failure"`, tableLine(t, out, "the worker goes on after a failure"), "record and continue")
	assert.NotContains(t, out, "coverage gap", "a failed Run does not pile gaps on top")

	// the replay line fails the same way
	again := runIn("TestAlwaysFails", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			n := s.Providers().Random.IntN(10)
			s.Go("worker", func(ctx context.Context) error {
				assertions.Always(ctx, n != 3, "n is never three", "n", n, "why", "planted")
				return nil
			})
			s.Sleep(time.Second)
		}, simtest.Replay(failing[0]))
	})
	assert.True(t, again.failed)
	assert.Contains(t, again.output(), `n=3 why=planted`)
}

func TestUnreachableReachedFails(t *testing.T) {
	r := runIn("TestUnreachable", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if s.Providers().Random.IntN(5) == 0 {
				assertions.Unreachable(s.Context(), "the rare branch", "seed", s.Seed())
			}
			if false {
				assertions.Unreachable(s.Context(), "a branch the code never takes")
			}
		}, simtest.Seeds(100))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Regexp(t, `Unreachable "the rare branch" was reached \(assert_external_test.go:\d+\): seed=\d+`, out)
	assert.Regexp(t, `^FAILED Unreachable 0 1 1`, tableLine(t, out, "the rare branch"))
	assert.Regexp(t, `^ok Unreachable 0 0 0 "a branch the code never takes"`, tableLine(t, out, "a branch the code never takes"))
}

func TestCoverageGapsFailTheRunByDefault(t *testing.T) {
	body := func(s *simtest.S) {
		ctx := s.Context()
		n := s.Providers().Random.IntN(1000)
		assertions.Sometimes(ctx, n == 1000, "n reaches 1000")
		assertions.SometimesGreaterThan(ctx, n, 5000, "n passes 5000")
		assertions.SometimesAll(ctx, "n is odd and even", assertions.Named("odd", n%2 == 1), assertions.Named("even", n%2 == 0))
		assertions.AlwaysOrUnreachable(ctx, true, "fine to skip")
		if n > 1000 {
			assertions.Always(ctx, true, "never reached: n is below 1000")
			assertions.Reachable(ctx, "n is over 1000")
		}
	}
	r := runIn("TestGaps", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(20)) })
	out := r.output()
	require.True(t, r.failed, "gaps fail the test")
	assert.Contains(t, out, "simtest: the test fails for 5 coverage gaps, assertions that the Run's 20 seeds did not exercise as they should:")
	assert.Contains(t, out, "\n  more seeds may reach them (-simseeds=200, or simtest.Seeds); or make gaps warnings, for one go test (-simallowgaps) or for this Run (simtest.AllowGaps; given their messages, for those assertions alone)")
	assert.Regexp(t, `Sometimes "n reaches 1000" \(assert_external_test.go:\d+\): never true in all 20 seeds, which reached it 20 times in all`, out)
	assert.Regexp(t, `SometimesGreaterThan "n passes 5000" .*: never true in all 20 seeds, which reached it 20 times in all; the best was \d+ > 5000`, out)
	assert.Regexp(t, `SometimesAll "n is odd and even" .*: never all true at once in all 20 seeds, which reached it; at most 1 of 2 \((odd|even)\)`, out)
	assert.Regexp(t, `Always "never reached: n is below 1000" .*: no seed reached it`, out)
	assert.Regexp(t, `Reachable "n is over 1000" .*: no seed reached it`, out)
	assert.Regexp(t, `^never reached Always 0 0 0 "never reached: n is below 1000"`, tableLine(t, out, "never reached: n is below 1000"))
	assert.NotContains(t, out, `"fine to skip" (`, "AlwaysOrUnreachable may go unreached")

	r = runIn("TestGaps", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(20), simtest.AllowGaps()) })
	assert.False(t, r.failed, "AllowGaps makes gaps warnings")
	assert.Contains(t, r.output(), "simtest: 5 coverage gaps (warnings), assertions that the Run's 20 seeds did not exercise as they should:")
	assert.NotContains(t, r.output(), "fails the test")

	r = runIn("TestGaps", func(r *recorder) { simtest.Run(r, body, simtest.Replay(7)) })
	assert.False(t, r.failed, "replaying one seed never fails on gaps")
	assert.Contains(t, r.output(), "simtest: 5 coverage gaps (warnings), assertions that the Run's 1 seed did not exercise as they should:")
	assert.NotContains(t, r.output(), "fails the test")
}

// A small test that boots a server reaches the server's file, and with it
// the Sometimes assertions that only the big test makes true: AllowGaps
// with their messages allows those, and the Run's other gaps still fail.
func TestAllowGapsWithMessagesAllowsThoseAlone(t *testing.T) {
	body := func(s *simtest.S) {
		n := s.Providers().Random.IntN(1000)
		assertions.Sometimes(s.Context(), n == 1000, "a leader took over")
		assertions.Sometimes(s.Context(), n == 2000, "a lease was renewed")
	}
	r := runIn("TestGaps", func(r *recorder) {
		simtest.Run(r, body, simtest.Seeds(5), simtest.AllowGaps("a leader took over", "a lock was released"))
	})
	out := r.output()
	require.True(t, r.failed, "the gap not allowed fails the test")
	require.Len(t, r.errors, 1)
	assert.Contains(t, r.errors[0], "the test fails for 1 coverage gap")
	assert.Contains(t, r.errors[0], `"a lease was renewed"`)
	assert.NotContains(t, r.errors[0], `"a leader took over"`)
	assert.Regexp(t, `simtest: 1 coverage gap \(warnings\), an assertion that the Run's 5 seeds did not exercise as it should:
    Sometimes "a leader took over" \(assert_external_test.go:\d+\): never true in all 5 seeds, which reached it 5 times in all
    \(allowed for this Run by simtest.AllowGaps\)`, out)
	assert.Contains(t, out, `simtest.AllowGaps names "a lock was released", but no assertion of this Run has that message`, "a message that names nothing is noted")

	r = runIn("TestGaps", func(r *recorder) {
		simtest.Run(r, body, simtest.Seeds(5), simtest.AllowGaps("a leader took over", "a lease was renewed"))
	})
	assert.False(t, r.failed, r.output())

	res := simtest.Simulate(body, simtest.Seeds(1), simtest.AllowGaps(""))
	assert.Contains(t, res.Report, "simtest.AllowGaps names an assertion by an empty message")
}

// A gap's advice names what would run more of the Run: more seeds for a
// count, but a longer plateau, more wall time or a larger budget of
// timelines for a Run that those ended, where more seeds do nothing.
func TestAGapsAdviceFitsWhatEndedTheRun(t *testing.T) {
	body := func(s *simtest.S) {
		n := s.Providers().Random.IntN(1000)
		assertions.Sometimes(s.Context(), n == 1000, "n reaches 1000")
		assertions.SometimesAll(s.Context(), "n is big and small", assertions.Named("big", n > 2000), assertions.Named("small", n < 0))
	}
	for name, c := range map[string]struct {
		opt  simtest.Option
		want string
	}{
		"count":    {simtest.Seeds(3), "more seeds may reach them (-simseeds=100, or simtest.Seeds)"},
		"plateau":  {simtest.UntilPlateau(4), "a longer plateau may reach them (-simplateau=40, or simtest.UntilPlateau)"},
		"wall":     {simtest.RunFor(20 * time.Millisecond), "more wall time may reach them (-simfor=200ms, or simtest.RunFor)"},
		"explored": {simtest.Explore(thirtyTimelines()), "a larger budget may reach them (-simtimelines=300, or explore.Config.Timelines)"},
	} {
		r := runIn("TestGap", func(r *recorder) { simtest.Run(r, body, c.opt) })
		require.True(t, r.failed, name)
		require.NotEmpty(t, r.errors, name)
		gaps := r.errors[len(r.errors)-1]
		assert.Contains(t, gaps, "\n  "+c.want+"; or make gaps warnings", name)
		assert.Regexp(t, `SometimesAll "n is big and small" .*: never all true at once in (all \d+ (seeds|timelines), which|the 1 seed, which) reached it; none of its 2 conditions was ever true`, gaps, name)
		if name == "explored" {
			assert.Contains(t, gaps, "the Run's 30 timelines did not exercise", "an exploration counts timelines")
			assert.Contains(t, gaps, "never true in all 30 timelines, which reached it 30 times in all")
		}
	}
}

func thirtyTimelines() explore.Config {
	c := explore.Defaults()
	c.Timelines = 30
	return c
}

// A gap's line said "never true in 2 seeds, reached 3 times" of a Run of
// 3 seeds, 2 of which reached the assertion, 3 times in all: it read as if
// 2 seeds ran. It says which of the seeds reached it.
func TestAGapSaysHowManyOfTheSeedsReachedIt(t *testing.T) {
	var started atomic.Int32
	body := func(s *simtest.S) {
		if started.Add(1) == 1 {
			return // one seed of the Run does not reach them
		}
		assertions.Sometimes(s.Context(), false, "a node compacts twice")
		assertions.Sometimes(s.Context(), false, "a node compacts twice")
		assertions.SometimesGreaterThan(s.Context(), 1, 2, "one passes two")
	}
	res := simtest.Simulate(body, simtest.Seeds(3))
	require.Equal(t, 3, res.Seeds)
	assert.Regexp(t, `Sometimes "a node compacts twice" \(assert_external_test.go:\d+\): never true in the 2 of 3 seeds that reached it, 4 times in all\n`, res.Report)
	assert.Regexp(t, `SometimesGreaterThan "one passes two" .*: never true in the 2 of 3 seeds that reached it, 2 times in all; the best was 1 > 2`, res.Report)

	res = simtest.Simulate(body, simtest.Seeds(1))
	assert.Regexp(t, `Sometimes "a node compacts twice" .*: never true in the 1 seed, which reached it 2 times in all`, res.Report)
}

// TestAGapFailureReadsAsOne: a Run whose seeds all passed but which fails
// for a coverage gap said "3 seeds, 3 passed, 0 failed" and no more in its
// summary, the last thing it printed. The summary's first line tells the
// gap too, and the failure names the assertion, the seeds run and the
// ways on.
func TestAGapFailureReadsAsOne(t *testing.T) {
	body := func(s *simtest.S) {
		n := s.Providers().Random.IntN(1000)
		assertions.Sometimes(s.Context(), n == 1000, "n reaches 1000")
	}
	r := runIn("TestGap", func(r *recorder) { simtest.Run(r, body, simtest.Seeds(3)) })
	require.True(t, r.failed)
	require.Len(t, r.errors, 1)
	assert.Regexp(t, `^simtest: the test fails for 1 coverage gap, an assertion that the Run's 3 seeds did not exercise as it should:
    Sometimes "n reaches 1000" \(assert_external_test.go:\d+\): never true in all 3 seeds, which reached it 3 times in all
  more seeds may reach them \(-simseeds=100, or simtest.Seeds\); or make gaps warnings, for one go test \(-simallowgaps\) or for this Run \(simtest.AllowGaps; given their messages, for those assertions alone\)$`, r.errors[0])
	summary := r.logs[len(r.logs)-1]
	assert.Regexp(t, `^simtest: 3 seeds, 3 passed, 0 failed, but 1 coverage gap fails the test; wall `, summary)

	res := simtest.Simulate(body, simtest.Seeds(3), simtest.AllowGaps())
	assert.Regexp(t, `(?m)^simtest: 3 seeds, 3 passed, 0 failed; wall `, res.Report, "a gap allowed fails nothing")
	res = simtest.Simulate(body, simtest.Replay(5))
	assert.Regexp(t, `(?m)^simtest: 1 seed, 1 passed, 0 failed; wall `, res.Report, "nor does a gap of one seed replayed")
}

func TestMisusesFailTheSeedNamingTheCall(t *testing.T) {
	type point struct{ x, y int }
	cases := []struct {
		name string
		call func(ctx context.Context)
		want string
	}{
		{"empty message", func(ctx context.Context) { assertions.Always(ctx, true, "") },
			`assertions.Always at assert_external_test.go:\d+: the message is empty; give every assertion a message`},
		{"two kinds", func(ctx context.Context) {
			assertions.Always(ctx, true, "one message")
			assertions.Sometimes(ctx, true, "one message")
		}, `assertions.Sometimes "one message" at assert_external_test.go:\d+: the message is already used by an Always at assert_external_test.go:\d+; give each assertion its own message`},
		{"NaN", func(ctx context.Context) { assertions.AlwaysLessThan(ctx, math.NaN(), 1.0, "ratio below one") },
			`assertions.AlwaysLessThan "ratio below one" at assert_external_test.go:\d+: the left operand is NaN`},
		{"NaN right", func(ctx context.Context) { assertions.SometimesGreaterThan(ctx, 1.0, math.NaN(), "over NaN") },
			`the right operand is NaN`},
		{"too many identity values", func(ctx context.Context) {
			var id []any
			for i := range assertions.MaxIdentity + 1 {
				id = append(id, fmt.Sprintf("k%d", i), i)
			}
			assertions.SometimesEach(ctx, "wide identity", id...)
		}, `assertions.SometimesEach "wide identity" at assert_external_test.go:\d+: too many identity values; at most 8 key/value pairs`},
		{"identity without value", func(ctx context.Context) { assertions.SometimesEach(ctx, "odd identity", "node", 1, "term") },
			`an identity key has no value; the key "term" ends the list`},
		{"pointer identity", func(ctx context.Context) { assertions.SometimesEach(ctx, "pointer identity", "p", &point{}) },
			`an identity value cannot name a bucket; "p" is a \*simtest_test.point, whose identity is an address`},
		{"slice identity", func(ctx context.Context) { assertions.SometimesEach(ctx, "slice identity", "s", []int{1}) },
			`"s" is a \[\]int, which cannot be compared`},
		{"NaN identity", func(ctx context.Context) { assertions.SometimesEach(ctx, "NaN identity", "x", math.NaN()) },
			`"x" is NaN`},
		{"NaN quality", func(ctx context.Context) {
			assertions.SometimesEach(ctx, "NaN quality", "x", 1, assertions.Quality{Name: "q", Value: math.NaN()})
		}, `the quality is NaN`},
		{"no conditions", func(ctx context.Context) { assertions.SometimesAll(ctx, "nothing at once") },
			`assertions.SometimesAll "nothing at once" at assert_external_test.go:\d+: it names no conditions`},
		{"a condition named twice", func(ctx context.Context) {
			assertions.SometimesAll(ctx, "twins", assertions.Named("a", true), assertions.Named("b", true), assertions.Named("a", false))
		}, `assertions.SometimesAll "twins" at assert_external_test.go:\d+: two conditions are named "a"; give every condition a name of its own`},
		{"conditions change", func(ctx context.Context) {
			assertions.SometimesAll(ctx, "shifting", assertions.Named("a", true), assertions.Named("b", true))
			assertions.SometimesAll(ctx, "shifting", assertions.Named("a", true))
		}, `the conditions changed; they were \[a b\] and are now \[a\]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestMisuse", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { c.call(s.Context()) }, simtest.Seeds(3))
			})
			require.True(t, r.failed, "a misuse fails the seed")
			assert.False(t, r.fatal)
			out := r.output()
			assert.Regexp(t, c.want, out)
			assert.Contains(t, out, "replay: ")
			assert.Equal(t, 1, strings.Count(out, "driver: assertions."), "reported once:\n%s", out)
		})
	}
}

func TestThousandsOfDistinctAssertions(t *testing.T) {
	const n = 5000
	r := runIn("TestThousands", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			for i := range n {
				assertions.Always(s.Context(), true, fmt.Sprintf("replica %d is in sync", i))
			}
		}, simtest.Seeds(3))
	})
	out := r.output()
	require.False(t, r.failed)
	assert.Contains(t, out, fmt.Sprintf("assertions: %d, 0 failed, 0 gaps", n))
	assert.Contains(t, out, `"replica 4999 is in sync"`)
}

// seedTraces returns the trace hash of every seed a Run reports.
func seedTraces(out string) []string {
	return regexp.MustCompile(`seed=\d+ trace=[0-9a-f]{16}`).FindAllString(out, -1)
}

func TestAssertionsLeaveTheRunAlone(t *testing.T) {
	run := func(observe bool) string {
		r := runIn("TestSameRun", func(r *recorder) {
			simtest.Run(r, func(s *simtest.S) {
				log := s.Logger()
				if observe {
					s.Invariant("time moves forward", func() error { return nil })
					s.Watch("task started")
				}
				for i := range 3 {
					s.Go(fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
						d := time.Duration(s.Providers().Random.IntN(100)) * time.Millisecond
						if observe {
							everyKind(ctx, int(d/(10*time.Millisecond)))
							log.Info("slept", "for", d)
						}
						return s.Providers().Time.Sleep(ctx, d)
					})
				}
				s.Sleep(time.Second)
			}, simtest.Seeds(20), simtest.AllowGaps(), simtest.Verbose())
		})
		require.False(t, r.failed, r.output())
		return strings.Join(seedTraces(r.output()), "\n")
	}
	assert.Equal(t, run(false), run(true), "assertions, invariants and logs do not change any seed's trace")
}

func TestDeterminismCheckCountsOnce(t *testing.T) {
	r := runIn("TestCheckOnce", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assertions.Always(s.Context(), true, "counted once per seed")
			s.Invariant("checked", func() error { return nil })
			s.Sleep(time.Second)
		}, simtest.Seeds(5), simtest.CheckDeterminism())
	})
	out := r.output()
	require.False(t, r.failed, out)
	assert.Regexp(t, `^ok Always 5 0 5 "counted once per seed"`, tableLine(t, out, "counted once per seed"))
}

func TestJSONReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	var failing uint64
	r := runIn("TestJSON", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			ctx := s.Context()
			n := s.Providers().Random.IntN(10)
			everyKind(ctx, n)
			if n == 5 {
				failing = s.Seed()
			}
			assertions.Always(ctx, n != 5, "n is never five", "n", n)
		}, simtest.Seeds(100), simtest.JSONReport(path))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest: wrote the JSON report to "+path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Test       string `json:"test"`
		Seeds      int    `json:"seeds"`
		Failed     int    `json:"failed"`
		Failures   int    `json:"assertion_failures"`
		Assertions []struct {
			Kind      string `json:"kind"`
			Message   string `json:"message"`
			Status    string `json:"status"`
			Site      struct{ File string }
			Passes    uint64 `json:"passes"`
			Failures  uint64 `json:"failures"`
			Watermark *struct {
				Text string `json:"text"`
			} `json:"watermark"`
			Frontier *struct {
				Best       int      `json:"best"`
				Conditions []string `json:"conditions"`
			} `json:"frontier"`
			Buckets   []json.RawMessage `json:"buckets"`
			FirstFail *struct {
				Seed    uint64 `json:"seed"`
				Details []struct{ Key, Value string }
				Replay  string `json:"replay"`
			} `json:"first_failure"`
		} `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	assert.Equal(t, "TestJSON", rep.Test)
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, 1, rep.Failures)
	require.Len(t, rep.Assertions, 15)
	byMsg := make(map[string]int)
	for i, a := range rep.Assertions {
		byMsg[a.Message] = i
		assert.True(t, strings.HasSuffix(a.Site.File, "assert_external_test.go"), a.Site.File)
	}
	five := rep.Assertions[byMsg["n is never five"]]
	assert.Equal(t, "FAILED", five.Status)
	require.NotNil(t, five.FirstFail)
	assert.Equal(t, failing, five.FirstFail.Seed)
	assert.Equal(t, []struct{ Key, Value string }{{"n", "5"}}, five.FirstFail.Details)
	assert.Contains(t, five.FirstFail.Replay, fmt.Sprintf("-simseed=%d", failing))
	assert.NotNil(t, rep.Assertions[byMsg["latency < 10ms"]].Watermark)
	assert.Equal(t, []string{"even", "small"}, rep.Assertions[byMsg["n is even and small"]].Frontier.Conditions)
	assert.NotEmpty(t, rep.Assertions[byMsg["each digit"]].Buckets)
}

func TestCoverProfile(t *testing.T) {
	dir := t.TempDir() + "/"
	r := runIn("TestCover/sub", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			ctx := s.Context()
			n := s.Providers().Random.IntN(10)
			assertions.Always(ctx, true, "always holds")
			assertions.Sometimes(ctx, n > 100, "never true")
			if n > 100 {
				assertions.Reachable(ctx, "never reached")
			}
		}, simtest.Seeds(10), simtest.AllowGaps(), simtest.CoverProfile(dir))
	})
	require.False(t, r.failed, r.output())
	// Under the package's directory, as two packages may have tests of
	// one name.
	path := filepath.Join(dir, "simtest", "TestCover_sub.cover")
	assert.Contains(t, r.output(), "wrote the assertion coverage profile to "+path)
	profiles, err := cover.ParseProfiles(path)
	require.NoError(t, err)
	require.Len(t, profiles, 1)
	p := profiles[0]
	assert.Equal(t, "github.com/moonpool-go/moonpool/simtest/assert_external_test.go", p.FileName)
	assert.Equal(t, "count", p.Mode)
	require.Len(t, p.Blocks, 3)
	src, err := os.ReadFile("assert_external_test.go")
	require.NoError(t, err)
	lines := strings.Split(string(src), "\n")
	var counts []int
	for _, b := range p.Blocks {
		text := lines[b.StartLine-1][b.StartCol-1:]
		require.Equal(t, b.StartLine, b.EndLine)
		text = text[:b.EndCol-b.StartCol]
		assert.True(t, strings.HasPrefix(text, "assertions.") && strings.HasSuffix(text, ")"), "a block spans its call: %q", text)
		assert.Equal(t, 1, b.NumStmt)
		counts = append(counts, b.Count)
	}
	assert.Equal(t, []int{10, 0, 0}, counts, "always holds (10 times), never true, never reached")
}

// TestAMisuseFailsEverySeedThatMakesIt: a seed's outcome is its own, so
// each seed that misuses an assertion fails, as its replay does, on one
// worker or many.
func TestAMisuseFailsEverySeedThatMakesIt(t *testing.T) {
	body := func(s *simtest.S) { assertions.Always(s.Context(), true, "") }
	for _, workers := range []int{1, 2} {
		res := simtest.Simulate(body, simtest.Seeds(6), simtest.KeepGoing(), simtest.Workers(workers))
		assert.Equal(t, 6, res.Failed, "workers=%d: every seed misuses the assertion:\n%s", workers, res.Report)
		replay := simtest.Simulate(body, simtest.Replay(res.PerSeed[3].Seed))
		assert.False(t, replay.OK(), "the fourth seed's replay fails as the seed did")
	}
}

// TestSeedsThatDisagreeOnAnAssertion: calls that are each right in their
// seed but disagree across seeds (one message used by two kinds, the
// conditions of a SometimesAll changed) fail the Run, naming the call,
// with the same report on one worker or two.
func TestSeedsThatDisagreeOnAnAssertion(t *testing.T) {
	body := func(s *simtest.S) {
		ctx := s.Context()
		if s.Providers().Random.IntN(2) == 0 {
			assertions.Always(ctx, true, "one message")
			assertions.SometimesAll(ctx, "shifting", assertions.Named("a", true))
		} else {
			assertions.Sometimes(ctx, true, "one message")
			assertions.SometimesAll(ctx, "shifting", assertions.Named("a", true), assertions.Named("b", true))
		}
	}
	run := func(workers int) simtest.Result {
		return simtest.Simulate(body, simtest.Seeds(20), simtest.BaseSeed(1), simtest.ZeroWallClock(), simtest.AllowGaps(), simtest.Workers(workers))
	}
	one, two := run(1), run(2)
	assert.False(t, one.OK(), one.Report)
	assert.Zero(t, one.Failed, "no seed alone misuses them")
	assert.Regexp(t, `assertions.Sometimes "one message" at assert_external_test.go:\d+: the message is already used by an Always at assert_external_test.go:\d+, in an earlier seed; give each assertion its own message`, one.Report)
	assert.Regexp(t, `assertions.SometimesAll "shifting" at assert_external_test.go:\d+: the conditions changed; they were \[a\] in an earlier seed and are \[a b\] in a later one`, one.Report)
	assert.Regexp(t, `FAILED +SometimesAll`, one.Report)
	assert.Empty(t, cmp.Diff(one.Report, strings.Replace(two.Report, "wall 0s on 2 workers", "wall 0s", 1)), "the same report, but for its workers")
	assert.False(t, two.OK())
}

// TestCoverProfileShowsAMisusedCall: a call misused in a way that leaves
// it no assertion of its own (an empty message) is a block of the profile,
// counted zero, not left out as code that is no assertion.
func TestCoverProfileShowsAMisusedCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "misused.cover")
	simtest.Simulate(func(s *simtest.S) {
		assertions.Always(s.Context(), true, "holds")
		assertions.Always(s.Context(), true, "")
	}, simtest.Seeds(2), simtest.KeepGoing(), simtest.CoverProfile(path))
	profiles, err := cover.ParseProfiles(path)
	require.NoError(t, err)
	require.Len(t, profiles, 1)
	var counts []int
	for _, b := range profiles[0].Blocks {
		counts = append(counts, b.Count)
	}
	assert.Equal(t, []int{2, 0}, counts, "the assertion that held twice, and the misused call")
}

// TestJSONReportGivesAlwaysItsFirstPass: every assertion that held has a
// first_pass, an Always as a Sometimes, so that the report says where an
// Always was first reached and held, and its details.
func TestJSONReportGivesAlwaysItsFirstPass(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	var first uint64
	res := simtest.Simulate(func(s *simtest.S) {
		ctx := s.Context()
		if first == 0 {
			first = s.Seed()
		}
		s.Sleep(3 * time.Millisecond)
		assertions.Always(ctx, true, "always held", "n", 1)
		assertions.AlwaysLessThan(ctx, 1, 2, "always less")
		assertions.AlwaysOrUnreachable(ctx, true, "always or unreachable")
		assertions.Sometimes(ctx, true, "sometimes held")
		assertions.Always(ctx, s.Seed() != first, "always but in the first seed")
	}, simtest.Seeds(5), simtest.BaseSeed(1), simtest.KeepGoing(), simtest.JSONReport(path))
	require.Equal(t, 1, res.Failed, res.Report)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	type hit struct {
		Seed    uint64                        `json:"seed"`
		AtNS    int64                         `json:"at_ns"`
		Task    string                        `json:"task"`
		Details []struct{ Key, Value string } `json:"details"`
	}
	var rep struct {
		Assertions []struct {
			Message   string `json:"message"`
			FirstPass *hit   `json:"first_pass"`
		} `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	got := make(map[string]*hit)
	for _, a := range rep.Assertions {
		got[a.Message] = a.FirstPass
	}
	at := hit{Seed: first, AtNS: int64(3 * time.Millisecond), Task: "driver"}
	for _, msg := range []string{"always less", "always or unreachable", "sometimes held"} {
		if assert.NotNil(t, got[msg], msg) {
			assert.Equal(t, at, *got[msg], msg)
		}
	}
	if assert.NotNil(t, got["always held"]) {
		assert.Equal(t, []struct{ Key, Value string }{{"n", "1"}}, got["always held"].Details)
	}
	// It failed in the first seed and held in the second.
	if assert.NotNil(t, got["always but in the first seed"]) {
		assert.NotEqual(t, first, got["always but in the first seed"].Seed)
	}
}

// A Sometimes that no seed reached is a coverage gap when it is its
// Run's only assertion too: the Run reads the body's own function, not
// only the files of the assertions its seeds reached.
func TestAnUnreachedSometimesAloneIsAGap(t *testing.T) {
	r := runIn("TestLoneSometimes", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if n := s.Providers().Random.IntN(1000); n > 1000 {
				assertions.Sometimes(s.Context(), true, "a lone Sometimes no seed reaches")
			}
		}, simtest.Seeds(5))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "simtest: the test fails for 1 coverage gap")
	assert.Regexp(t, `Sometimes "a lone Sometimes no seed reaches" \(assert_external_test.go:\d+\): no seed reached it`, out)
	assert.Regexp(t, `^never reached Sometimes 0 0 0 "a lone Sometimes no seed reaches"`, tableLine(t, out, "a lone Sometimes no seed reaches"))
}

// An assertion given context.Background() in code every seed runs is a
// gap that says why no seed could reach it, and how to fix it.
func TestAGapGivenNoSimulationSaysSo(t *testing.T) {
	r := runIn("TestGapSimless", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assertions.Sometimes(s.Context(), true, "the body ran")
			assertions.Sometimes(context.Background(), true, "given no simulation") //simvet:allow assertctx the mistake this test makes on purpose
		}, simtest.Seeds(3))
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Regexp(t, `Sometimes "given no simulation" \(assert_external_test.go:\d+\): no seed could reach it: it is given context.Background\(\), `+
		`which carries no simulation, so it checks nothing wherever it runs; pass it the task's ctx, or one made from it\n`, out)
}

// A merge of shards' results tells the same of such a gap as one Run.
func TestAMergeTellsOfAGapGivenNoSimulation(t *testing.T) {
	dir := t.TempDir()
	body := func(s *simtest.S) {
		assertions.Sometimes(s.Context(), true, "the body ran")
		assertions.Sometimes(context.Background(), true, "given no simulation, merged") //simvet:allow assertctx the mistake this test makes on purpose
	}
	for i := range 2 {
		simtest.Simulate(body, simtest.Seeds(4), simtest.Shard(i, 2), simtest.ResultsFile(filepath.Join(dir, "shards")+"/"))
	}
	merged, err := simtest.MergeResults(filepath.Join(dir, "shards"))
	require.NoError(t, err)
	require.Len(t, merged.Tests, 1)
	assert.Regexp(t, `Sometimes "given no simulation, merged" \(assert_external_test.go:\d+\): no seed could reach it: it is given context.Background\(\), `, merged.Tests[0].Report)
}

// The body's function is read alone: another test's assertions in the
// same file are not this Run's.
func TestABodyWithoutAssertionsHasNoGaps(t *testing.T) {
	r := runIn("TestNoAssertions", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Seeds(3))
	})
	require.False(t, r.failed, r.output())
	assert.NotContains(t, r.output(), "coverage gap")
}

// A body is read alone, not the test function around it: a Run that has
// no assertions of its own, in a test function whose other Run has one,
// has no gap for the other's.
func TestABodyIsReadWithoutTheRunsBesideIt(t *testing.T) {
	r := runIn("TestSiblings/quiet", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Seeds(2))
	})
	require.False(t, r.failed, r.output())
	assert.NotContains(t, r.output(), "coverage gap")
	r = runIn("TestSiblings/asserts", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			if s.Providers().Random.IntN(1000) > 1000 {
				assertions.Sometimes(s.Context(), true, "the second Run's own Sometimes")
			}
		}, simtest.Seeds(2))
	})
	require.True(t, r.failed, "the second Run's own gap is its: %s", r.output())
	assert.Contains(t, r.output(), `Sometimes "the second Run's own Sometimes"`)
}

// Two Runs in one test function, each with a Sometimes its seeds reach:
// each Run judges the assertions its own body can reach, and neither
// lists the other's as never reached.
func TestTwoRunsInOneFunctionKeepTheirOwnAssertions(t *testing.T) {
	a := runIn("TestTwoRuns", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assertions.Sometimes(s.Context(), true, "the first Run's Sometimes")
		}, simtest.Seeds(2))
	})
	b := runIn("TestTwoRuns", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			assertions.Sometimes(s.Context(), true, "the second Run's Sometimes")
		}, simtest.Seeds(2))
	})
	for _, c := range []struct {
		r          *recorder
		own, other string
	}{
		{a, "the first Run's Sometimes", "the second Run's Sometimes"},
		{b, "the second Run's Sometimes", "the first Run's Sometimes"},
	} {
		out := c.r.output()
		require.False(t, c.r.failed, out)
		assert.NotContains(t, out, "coverage gap")
		assert.Contains(t, out, c.own)
		assert.NotContains(t, out, c.other, "a Run's table lists only the assertions its body can reach")
	}
}

// An assertion in a closure that the compiler copied into the test, in
// inlining the function that declares it, is named in the JSON report by
// the function the source declares (closurelib.Checker.func1), not by the
// copy the frame names (simtest_test.TestJSONReportNamesTheSourcesFunction.Checker.func1).
func TestJSONReportNamesTheSourcesFunction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	res := simtest.Simulate(func(s *simtest.S) {
		check := closurelib.Checker(s.Context())
		check(s.Providers().Random.IntN(10))
	}, simtest.Seeds(3), simtest.JSONReport(path))
	require.Zero(t, res.Failed, res.Report)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep struct {
		Assertions []struct {
			Message string `json:"message"`
			Site    struct {
				File     string `json:"file"`
				Function string `json:"function"`
			} `json:"site"`
		} `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(data, &rep), string(data))
	require.Len(t, rep.Assertions, 1, string(data))
	a := rep.Assertions[0]
	assert.Equal(t, "closurelib.go", filepath.Base(a.Site.File))
	assert.Equal(t, "github.com/moonpool-go/moonpool/simtest/internal/closurelib.Checker.func1", a.Site.Function)
}
