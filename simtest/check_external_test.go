package simtest_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/simtest"
)

// mapOrder hands out keys in another order on every call, as ranging over
// a map may from one run to the next: the nondeterminism CheckDeterminism
// must see even when the trace of ids, draws and times agrees. (A real map
// would do it too, but only most of the time.)
type mapOrder struct{ calls int }

func (m *mapOrder) keys(keys ...string) []string {
	m.calls++
	keys = slices.Clone(keys)
	if m.calls%2 == 0 {
		slices.Reverse(keys)
	}
	return keys
}

// checked runs body over one seed with CheckDeterminism and returns what
// it printed; it expects the check to fail.
func checked(t *testing.T, body func(s *simtest.S)) string {
	t.Helper()
	r := runIn("TestMapOrder", func(r *recorder) {
		simtest.Run(r, body, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	out := r.output()
	assert.True(t, r.failed, out)
	assert.Contains(t, out, "the run is not deterministic")
	assert.Contains(t, out, "determinism checked (-simcheck): every seed ran twice, and 1 seed took another path the second time")
	return out
}

// TestCheckDeterminismSaysItChecked: a Run under CheckDeterminism says so
// in its summary, and its rate counts both runs of each seed.
func TestCheckDeterminismSaysItChecked(t *testing.T) {
	body := func(s *simtest.S) { s.Sleep(time.Duration(1+s.Providers().Random.IntN(5)) * time.Second) }
	rate := regexp.MustCompile(`(\d+) steps, (\d+) events, ([0-9.]+k?) steps\+events/s`)
	var outs []string
	for _, opts := range [][]simtest.Option{{simtest.Seeds(5)}, {simtest.Seeds(5), simtest.CheckDeterminism()}} {
		r := runIn("TestSaysItChecked", func(r *recorder) { simtest.Run(r, body, opts...) })
		require.False(t, r.failed, r.output())
		require.Regexp(t, rate, r.output())
		outs = append(outs, r.output())
	}
	assert.NotContains(t, outs[0], "determinism checked")
	assert.Contains(t, outs[1], "determinism checked (-simcheck): every seed ran twice, and took the same path both times")
	assert.Equal(t, rate.FindStringSubmatch(outs[0])[1:3], rate.FindStringSubmatch(outs[1])[1:3], "the steps and events of one run of each seed")
}

// TestCheckDeterminismNamesTheSeedsThatDiverged: the summary names the
// first seeds whose runs parted, so that a sweep whose first failure is
// another one still says which seeds to replay with -simcheck.
func TestCheckDeterminismNamesTheSeedsThatDiverged(t *testing.T) {
	var m mapOrder
	var seeds []string
	r := runIn("TestNamesDiverged", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			for _, name := range m.keys("worker-1", "worker-2") {
				s.Go(name, func(ctx context.Context) error { return nil })
			}
			s.Sleep(time.Second)
		}, simtest.Seeds(5), simtest.CheckDeterminism(), simtest.KeepGoing())
	})
	out := r.output()
	require.True(t, r.failed, out)
	for _, m := range regexp.MustCompile(`seed=([0-9]+) trace=`).FindAllStringSubmatch(out, -1) {
		seeds = append(seeds, m[1])
	}
	require.Len(t, seeds, 5, out)
	assert.Contains(t, out, "and 5 seeds took another path the second time (the first: seeds "+strings.Join(seeds[:3], ", ")+
		"; -simseed=N -simcheck shows where a seed's runs part)")
}

func TestCheckDeterminismSeesTaskNames(t *testing.T) {
	var m mapOrder
	out := checked(t, func(s *simtest.S) {
		for _, name := range m.keys("worker-1", "worker-2") {
			s.Go(name, func(ctx context.Context) error { return nil })
		}
		s.Sleep(time.Second)
	})
	assert.Regexp(t, `task \d+ was named "worker-1" in the first run, "worker-2" in the second`, out)
}

func TestCheckDeterminismSeesBytesOnAConnection(t *testing.T) {
	var m mapOrder
	out := checked(t, func(s *simtest.S) {
		echoOn(s, "10.0.0.1")
		c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		for _, k := range m.keys("alpha", "gamma") {
			_, err := c.Write([]byte(k))
			require.NoError(s, err)
		}
		require.NoError(s, c.Close())
		s.Sleep(time.Second)
	})
	assert.Regexp(t, `the bytes of write #1 to conn 10\.0\.0\.254:\d+->10\.0\.0\.1:7 differ`, out)
}

func TestCheckDeterminismSeesBytesInAFile(t *testing.T) {
	var m mapOrder
	out := checked(t, func(s *simtest.S) {
		f, err := s.Storage().Create("index")
		require.NoError(s, err)
		for _, k := range m.keys("alpha", "gamma") {
			_, err := f.Write([]byte(k + "\n"))
			require.NoError(s, err)
		}
		require.NoError(s, f.Close())
	})
	assert.Contains(t, out, "the bytes of write #1 to file index on "+simtest.DriverDisk+" differ")
}

func TestCheckDeterminismSeesValuesDrawn(t *testing.T) {
	var m mapOrder
	out := checked(t, func(s *simtest.S) {
		for _, k := range m.keys("a", "abcdefghij") {
			s.Providers().Random.IntN(len(k) * 1000) // one draw either way, with another bound
		}
		s.Sleep(time.Second)
	})
	assert.Contains(t, out, "a value drawn from the random stream since the step before differs")
}

// TestCheckDeterminismKeepsTheTrace runs seeds that start tasks, draw, and
// write to connections and files, with and without CheckDeterminism: the
// check hashes more, but the traces it reports are the plain run's.
func TestCheckDeterminismKeepsTheTrace(t *testing.T) {
	body := func(s *simtest.S) {
		echoOn(s, "10.0.0.1")
		c, err := s.Providers().Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		f, err := s.Storage().Create("log")
		require.NoError(s, err)
		for i := range 3 {
			s.Go("writer", func(ctx context.Context) error {
				b := []byte{byte(i), byte(s.Providers().Random.IntN(256))}
				if _, err := c.Write(b); err != nil {
					return err
				}
				_, err := f.Write(b)
				return err
			})
		}
		s.Sleep(time.Second)
	}
	trace := regexp.MustCompile(`; trace=([0-9a-f]{16})`)
	var got []string
	for _, opts := range [][]simtest.Option{{simtest.Seeds(20)}, {simtest.Seeds(20), simtest.CheckDeterminism()}} {
		r := runIn("TestKeepsTrace", func(r *recorder) { simtest.Run(r, body, opts...) })
		require.False(t, r.failed, r.output())
		m := trace.FindStringSubmatch(r.output())
		require.NotNil(t, m, r.output())
		got = append(got, m[1])
	}
	assert.Equal(t, got[0], got[1])
}

// TestCheckDeterminismSeesOutcomes: two runs of a seed that take the same
// steps but end differently (a package variable, math/rand's global
// source, a file the first run wrote decides) are not deterministic: the
// replay line would not replay the first run's end.
func TestCheckDeterminismSeesOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fail          func(run int) string // the error of the run, if any
		first, second string
	}{
		{"FailsFirst", func(run int) string { return map[int]string{1: "only the first run"}[run] }, "failed with 0s driver: check_external_test.go:", "passed"},
		{"FailsSecond", func(run int) string { return map[int]string{2: "only the second run"}[run] }, "passed", "failed with 0s driver: check_external_test.go:"},
		{"FailsOtherwise", func(run int) string { return fmt.Sprintf("run %d", run) }, "failed with 0s driver: check_external_test.go:", "failed with 0s driver: check_external_test.go:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			r := runIn("TestOutcomes", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					runs++
					if msg := tc.fail(runs); msg != "" {
						s.Errorf("%s", msg)
					}
				}, simtest.Seeds(1), simtest.CheckDeterminism())
			})
			out := r.output()
			require.True(t, r.failed, out)
			assert.Contains(t, out, "failed: the run is not deterministic")
			assert.Contains(t, out, "the same seed ran twice and took the same path, and ended differently; ")
			assert.Contains(t, out, "math/rand's global source")
			assert.Contains(t, out, "every step agrees, but the runs ended differently")
			assert.Contains(t, out, "first run:  "+tc.first)
			assert.Contains(t, out, "second run: "+tc.second)
			assert.Contains(t, out, "determinism checked (-simcheck): every seed ran twice, and 1 seed took the same path and ended differently")
			assert.Regexp(t, `ended differently \(seed [0-9]+; -simseed=N -simcheck shows where a seed's runs part\)`, out, "the seed is named")
			assert.NotContains(t, out, "took the same path both times")
		})
	}
}

// A seed that fails the same way twice but reports another error after
// the first, made of what differs between the runs (here a count of the
// runs, as a map's order would), did not run the same: the check says
// so, naming the error that differs.
func TestCheckDeterminismSeesALaterError(t *testing.T) {
	runs := 0
	r := runIn("TestLaterError", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			runs++
			s.Errorf("an order was charged twice")
			s.Errorf("order o%d was charged twice", runs)
		}, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "every step agrees, and the runs ended differently: the first error is the same in both, the second is not")
	assert.Regexp(t, `first run:  0s driver: check_external_test.go:\d+: order o1 was charged twice`, out)
	assert.Regexp(t, `second run: 0s driver: check_external_test.go:\d+: order o2 was charged twice`, out)
	assert.Contains(t, out, "and 1 seed took the same path and ended differently")
}

// TestCheckDeterminismAcceptsTheSameWallClockDeadline: a wait under a
// deadline on the wall clock fails both runs alike, though the message of
// each names the deadline the wall clock gave it.
func TestCheckDeterminismAcceptsTheSameWallClockDeadline(t *testing.T) {
	r := runIn("TestSameWallDeadline", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			ctx, cancel := context.WithTimeout(s.Context(), time.Hour)
			defer cancel()
			s.Sleep(time.Second)
			_, _ = s.Providers().Network.Dial(ctx, "10.0.0.1:7")
		}, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "under a deadline on the wall clock")
	assert.NotContains(t, out, "not deterministic")
	assert.Contains(t, out, "determinism checked (-simcheck): every seed ran twice, and took the same path both times")
}

// TestCheckDeterminismAcceptsTheSameFailure: a seed that fails the same
// way twice fails as itself, with no word of determinism.
func TestCheckDeterminismAcceptsTheSameFailure(t *testing.T) {
	r := runIn("TestSameFailure", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Sleep(time.Second)
			s.Errorf("always")
		}, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	out := r.output()
	require.True(t, r.failed, out)
	assert.Contains(t, out, "always")
	assert.NotContains(t, out, "not deterministic")
	assert.Contains(t, out, "determinism checked (-simcheck): every seed ran twice, and took the same path both times")
}

// naps is a seed of 4000 naps of a millisecond, thousands of steps, whose
// nth run (from 1) naps 2 ms at the nap plant(n), none when it is negative.
func napsPlanted(plant func(run int) int) func(s *simtest.S) {
	return napsOf(4000, plant)
}

// napsOf is napsPlanted with n naps.
func napsOf(n int, plant func(run int) int) func(s *simtest.S) {
	runs := 0
	return func(s *simtest.S) {
		runs++
		at := plant(runs)
		for i := range n {
			d := time.Millisecond
			if i == at {
				d = 2 * time.Millisecond
			}
			s.Sleep(d)
		}
	}
}

// The determinism check keeps a hash of each chunk of a run's steps, not
// the steps: a seed whose runs part late, thousands of steps in, is still
// told by its first differing step, both runs' versions of it and the
// steps before.
func TestCheckDeterminismTellsALateStep(t *testing.T) {
	out := checked(t, napsPlanted(func(run int) int {
		if run == 2 {
			return 3500
		}
		return -1
	}))
	assert.Regexp(t, `step 7002 differs\n\s+first run:  at 3\.501s fire an event \(draw \d+\)\n\s+second run: at 3\.502s fire an event \(draw \d+\)\n`+
		`\s+the steps before, common to both:\n\s+at 3\.499s resume task "driver" \(draw 0\)\n\s+at 3\.5s fire an event`, out)
}

// longNaps is more naps than the first run keeps the steps of
// (sim.KeepSteps): two steps a nap.
const longNaps = sim.KeepSteps/2 + 20_000

// Past the steps the first run keeps whole, a run again of the seed shows
// the first run's steps where the second parted from it; when that run
// again parts from the first run earlier, that is the divergence told;
// and when every run again parts, the first run's hash of each step
// still names the step, with the second run's line. A short seed needs no
// run again: the first run's steps tell it.
func TestCheckDeterminismTellsARunAgainThatPartsEarlier(t *testing.T) {
	runs := 0
	out := checked(t, napsPlanted(func(run int) int {
		runs = run
		switch run {
		case 2:
			return 3500
		case 3:
			return 1000
		}
		return -1
	}))
	assert.Regexp(t, `step 7002 differs\n\s+first run:  at 3\.501s fire an event \(draw \d+\)\n\s+second run: at 3\.502s fire an event \(draw \d+\)`, out)
	assert.Equal(t, 2, runs, "a short seed is told from its first run's steps, with no run again")

	if testing.Short() {
		t.Skip("a seed of a million steps")
	}
	at := longNaps - 5000
	out = checked(t, napsOf(longNaps, func(run int) int {
		switch run {
		case 2:
			return at
		case 3:
			return at - 3000
		}
		return -1
	}))
	assert.Regexp(t, fmt.Sprintf(`step %d differs\n\s+first run:  at \S+ fire an event \(draw \d+\)\n\s+second run: at \S+ fire an event`, 2*(at-3000)+2), out)

	out = checked(t, napsOf(longNaps, func(run int) int { return at - 700*run }))
	assert.Regexp(t, fmt.Sprintf(`step %d differs\n\s+first run:  \(not kept: past its first %d steps, the first run keeps a hash of each step\)\n\s+second run: at \S+ fire an event`, 2*(at-3500)+2, sim.KeepSteps), out)
	assert.NotContains(t, out, "state kept from the first run")
}

// A seed whose first run alone takes another path, as state it leaves
// behind (a package variable, a sync.Once, a cache, a sync.Pool) sends
// every later run another way, is told by the step at which the runs part
// and both runs' lines, as its first run keeps its steps; past them, by
// the step and the second run's line, and the state kept is named as the
// likely cause.
func TestCheckDeterminismTellsAFirstRunThatAloneDiffers(t *testing.T) {
	warm := func(n int) func(s *simtest.S) {
		warmed := false // as a package variable would be
		return func(s *simtest.S) {
			for i := range n {
				s.Sleep(time.Millisecond)
				if i == n-3 && !warmed {
					warmed = true
					s.Sleep(time.Millisecond)
				}
			}
		}
	}
	named := func(n int) func(s *simtest.S) {
		runs := 0
		return func(s *simtest.S) {
			runs++
			for range n {
				s.Sleep(time.Millisecond)
			}
			name := "w0"
			if runs == 1 {
				name = "w1"
			}
			s.Go(name, func(context.Context) error { s.Sleep(time.Millisecond); return nil })
			s.Sleep(time.Second)
		}
	}

	out := checked(t, warm(10))
	assert.Contains(t, out, "the runs agree for 22 steps, then one ends: the first run took 24 steps, the second 22")
	out = checked(t, named(10))
	assert.Regexp(t, `step 22 differs: task 2 was named "w1" in the first run, "w0" in the second\n\s+first run:  at 10ms start task 2 named "w1" \(draw 0\)\n\s+second run: at 10ms start task 2 named "w0" \(draw 0\)\n\s+the steps before, common to both:`, out)

	if testing.Short() {
		t.Skip("a seed of a million steps")
	}
	out = checked(t, warm(longNaps))
	assert.Contains(t, out, fmt.Sprintf("the runs agree for %d steps, then one ends: the first run took %d steps, the second %d", 2*longNaps+2, 2*longNaps+4, 2*longNaps+2))
	assert.Contains(t, out, "the first run differs from every later run (the second and 3 runs again), which all took one path: state kept from the first run (a package variable, a sync.Once, a cache, a sync.Pool) is the likely cause")
	out = checked(t, named(longNaps))
	assert.Regexp(t, fmt.Sprintf(`step %d differs\n\s+first run:  \(not kept: past its first \d+ steps, the first run keeps a hash of each step\)\n\s+second run: at \S+ start task 2 named "w0" \(draw 0\)`, 2*longNaps+2), out)
	assert.Contains(t, out, "state kept from the first run (a package variable, a sync.Once, a cache, a sync.Pool) is the likely cause")
}
