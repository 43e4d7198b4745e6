package simtest_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// racers is a small simulation for the fuzz tests: three tasks take turns
// at a shared counter and draw numbers; it records what it saw in out.
func racers(out *[]string) func(s *simtest.S) {
	return func(s *simtest.S) {
		p := s.Providers()
		var seen []string
		counter := 0
		for i := range 3 {
			s.Go(fmt.Sprintf("racer-%d", i), func(ctx context.Context) error {
				for range 4 {
					v := p.Random.IntN(100)
					counter += v
					seen = append(seen, fmt.Sprintf("racer-%d:%d", i, v))
					if err := p.Time.Sleep(ctx, time.Duration(v)*time.Millisecond); err != nil {
						return err
					}
				}
				return nil
			})
		}
		s.Sleep(time.Second)
		if out != nil {
			*out = seen
		}
	}
}

// FuzzRacers is a fuzz test as users write them; go test runs its seed
// corpus.
func FuzzRacers(f *testing.F) {
	simtest.Fuzz(f, racers(nil))
}

func runInput(t *testing.T, ft *simtest.FuzzTarget, name string, data []byte) (trace uint64, branches int, r *recorder) {
	t.Helper()
	r = runIn(name, func(r *recorder) { trace, branches = ft.Run(r, data) })
	return trace, branches, r
}

func TestFuzzSameInputSameRun(t *testing.T) {
	var first, again []string
	ft, err := simtest.NewFuzzTarget("FuzzSame", racers(&first))
	require.NoError(t, err)
	ft2, err := simtest.NewFuzzTarget("FuzzSame", racers(&again))
	require.NoError(t, err)
	for _, n := range []int{0, 1, 7, 8, 100, 1000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*131 + n)
		}
		a, _, r := runInput(t, ft, "FuzzSame/entry", data)
		require.False(t, r.failed, r.output())
		b, _, r2 := runInput(t, ft2, "FuzzSame", data)
		assert.Equal(t, a, b, "input of %d bytes: the same input gives the same trace", n)
		assert.Equal(t, first, again, "input of %d bytes", n)
		assert.Contains(t, r.output(), fmt.Sprintf("simtest: input entry: ok; %d bytes", n))
		assert.Empty(t, r2.output(), "while fuzzing, a passing input logs nothing")
	}
}

// draws records the body's first draws, with no other task, so that every
// draw of the run is one of them.
func draws(n int, out *[]uint64) func(s *simtest.S) {
	return func(s *simtest.S) {
		*out = (*out)[:0]
		for range n {
			*out = append(*out, s.Providers().Random.Uint64())
		}
	}
}

func TestFuzzOneByteChangesOneDecision(t *testing.T) {
	const base = 77
	var a, b, want, zero []uint64
	runIn("TestBase", func(r *recorder) { simtest.Run(r, draws(20, &want), simtest.Replay(base)) })
	runIn("TestZero", func(r *recorder) { simtest.Run(r, draws(20, &zero), simtest.Replay(0)) })
	fa, _ := simtest.NewFuzzTarget("FuzzBytes", draws(20, &a))
	fb, _ := simtest.NewFuzzTarget("FuzzBytes", draws(20, &b))
	data := binary.LittleEndian.AppendUint64(nil, base)
	for i := range 10 {
		data = append(data, byte(i*25))
	}
	data = append(data, 0xaa) // the final byte, not read
	runInput(t, fa, "FuzzBytes", data)
	for i := range 20 {
		if i < 10 {
			assert.Equal(t, uint64(i*25), a[i]>>56, "draw %d: its top byte is the input's", i)
			assert.Equal(t, want[i]<<8, a[i]<<8, "draw %d: the other bits are the base seed's", i)
		} else {
			assert.Equal(t, zero[i], a[i], "draw %d: past the input, seed 0's", i)
		}
	}
	changed := append([]byte(nil), data...)
	changed[8+3] ^= 0x80
	runInput(t, fb, "FuzzBytes", changed)
	for i := range 20 {
		if i == 3 {
			assert.NotEqual(t, a[i], b[i])
		} else {
			assert.Equal(t, a[i], b[i], "draw %d: one byte changes one decision", i)
		}
	}
}

// traceOf runs seed under Run and returns its trace hash.
func traceOf(t *testing.T, body func(*simtest.S), seed uint64) uint64 {
	t.Helper()
	r := runIn("TestTrace", func(r *recorder) { simtest.Run(r, body, simtest.Replay(seed)) })
	m := regexp.MustCompile(`seed=\d+ trace=([0-9a-f]{16})`).FindStringSubmatch(r.output())
	require.NotNil(t, m, r.output())
	trace, err := strconv.ParseUint(m[1], 16, 64)
	require.NoError(t, err)
	return trace
}

func TestFuzzInputWithoutDecisionsIsSeedZero(t *testing.T) {
	ft, _ := simtest.NewFuzzTarget("FuzzSeed", racers(nil))
	zero := traceOf(t, racers(nil), 0)
	for _, in := range [][]byte{nil, {}, {1, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		got, _, _ := runInput(t, ft, "FuzzSeed", in)
		assert.Equal(t, zero, got, "%q runs seed 0", in)
	}

	const seed = 0x0102030405060708
	var seen uint64
	ft, _ = simtest.NewFuzzTarget("FuzzSeed", func(s *simtest.S) { seen = s.Seed() })
	runInput(t, ft, "FuzzSeed", append(binary.LittleEndian.AppendUint64(nil, seed), 1, 2, 3, 0))
	assert.Equal(t, uint64(seed), seen, "S.Seed is the input's base seed")
}

func TestFuzzHugeInputIsTruncated(t *testing.T) {
	const n = simtest.MaxFuzzInput + 100 // draws past the input's end, keyed by it
	var whole, cut []uint64
	fw, _ := simtest.NewFuzzTarget("FuzzHuge", draws(n, &whole))
	fc, _ := simtest.NewFuzzTarget("FuzzHuge", draws(n, &cut))
	huge := make([]byte, simtest.MaxFuzzInput+1000)
	for i := range huge {
		huge[i] = byte(i * 7)
	}
	_, _, r := runInput(t, fw, "FuzzHuge", huge)
	runInput(t, fc, "FuzzHuge", huge[:simtest.MaxFuzzInput])
	require.False(t, r.failed, r.output())
	assert.Equal(t, whole, cut, "bytes past MaxFuzzInput change nothing")
}

func TestSeedInputReplaysTheSeed(t *testing.T) {
	const seed = 12345
	var fromRun, fromInput []string
	runIn("TestSeed", func(r *recorder) { simtest.Run(r, racers(&fromRun), simtest.Replay(seed)) })
	ft, _ := simtest.NewFuzzTarget("FuzzSeed", racers(&fromInput))
	trace, _, _ := runInput(t, ft, "FuzzSeed", simtest.SeedInput(seed, 1000))
	require.NotEmpty(t, fromRun)
	assert.Equal(t, fromRun, fromInput, "a seed's input makes the seed's decisions")
	assert.Equal(t, traceOf(t, racers(nil), seed), trace, "to the same trace")

	// The seed corpus holds each seed's input, a byte for each draw its
	// run makes.
	ft, _ = simtest.NewFuzzTarget("FuzzSeed", racers(&fromInput), simtest.FuzzSeeds(seed), simtest.Seeds(2))
	var corpus [][]byte
	runIn("FuzzSeed", func(r *recorder) { corpus = ft.Corpus(r) })
	require.Len(t, corpus, 3)
	last := corpus[2]
	assert.Equal(t, simtest.SeedInput(seed, len(last)-9), last)
	assert.Less(t, len(last), 8+1000+1)
	fromInput = nil
	runInput(t, ft, "FuzzSeed/seed#2", last)
	assert.Equal(t, fromRun, fromInput, "the seed corpus entry runs the seed's execution")
	assert.Equal(t, simtest.SeedInput(seed, 1), simtest.SeedInput(seed, -1), "an input has a decision at least")
	fromInput = nil
	runInput(t, ft, "FuzzSeed", simtest.SeedInput(seed, 5))
	assert.Equal(t, fromRun[:2], fromInput[:2], "a short input makes the seed's first decisions")
	assert.NotEqual(t, fromRun, fromInput, "and seed 0's after them")
	assert.Len(t, simtest.SeedInput(seed, 1<<20), simtest.MaxFuzzInput)
}

// TestSeedInputOfARunThatNeverDraws: the input of a seed whose run draws
// nothing still runs that seed, not seed 0.
func TestSeedInputOfARunThatNeverDraws(t *testing.T) {
	const seed = 12345
	var seen uint64
	body := func(s *simtest.S) { seen = s.Seed(); s.Sleep(time.Second) }
	ft, err := simtest.NewFuzzTarget("FuzzNoDraws", body)
	require.NoError(t, err)
	trace, _, r := runInput(t, ft, "FuzzNoDraws", simtest.SeedInput(seed, 0))
	require.False(t, r.failed, r.output())
	assert.Equal(t, uint64(seed), seen, "S.Seed() is the seed")
	assert.Equal(t, traceOf(t, body, seed), trace, "the seed's trace")
}

// planted fails when the first draw of its only task is below 10%.
func planted(s *simtest.S) {
	s.Go("victim", func(ctx context.Context) error {
		if v := s.Providers().Random.IntN(100); v < 10 {
			s.Errorf("the planted bug fired (%d)", v)
		}
		return nil
	})
	s.Sleep(time.Second)
}

func TestFuzzFailureReportsTheFuzzReplay(t *testing.T) {
	ft, err := simtest.NewFuzzTarget("FuzzPlanted", planted, simtest.Seeds(40))
	require.NoError(t, err)
	var corpus [][]byte
	runIn("FuzzPlanted", func(r *recorder) { corpus = ft.Corpus(r) })
	require.Len(t, corpus, 40)

	// A seed corpus entry: its name, its seed, and both replays.
	failing := -1
	var out string
	for i, in := range corpus {
		_, _, r := runInput(t, ft, fmt.Sprintf("FuzzPlanted/seed#%d", i), in)
		if r.failed {
			failing, out = i, r.output()
			break
		}
	}
	require.GreaterOrEqual(t, failing, 0, "one in ten seeds fails")
	assert.Contains(t, out, fmt.Sprintf("simtest: input seed#%d (the input of seed ", failing))
	seed := out[strings.Index(out, "of seed ")+len("of seed "):]
	seed = seed[:strings.IndexByte(seed, ')')]
	_, err = strconv.ParseUint(seed, 10, 64)
	require.NoError(t, err)
	assert.Contains(t, out, "replay: go test -run '^FuzzPlanted$/^seed#0$' ./simtest -simseed="+seed)
	assert.Contains(t, out, "the planted bug fired")
	assert.Contains(t, out, "victim: fuzz_external_test.go:")
	assert.Contains(t, out, "timeline around the first failure")
	assert.NotContains(t, out, "-simseed=0")

	// A corpus file under testdata/fuzz.
	_, _, r := runInput(t, ft, "FuzzPlanted/0123456789abcdef", corpus[failing])
	assert.Contains(t, r.output(), "simtest: input 0123456789abcdef failed")
	// No -simseed: the file is the input. (-short and -race are this
	// run's own, which the line repeats.)
	assert.Regexp(t, `replay: go test -run '\^FuzzPlanted\$/\^0123456789abcdef\$' \./simtest(?: -short| -race)*\n`, r.output())

	// go test -fuzz runs the seed corpus first, under the fuzz test's own
	// name: the entry is named as go test names it, with its seed.
	_, _, r = runInput(t, ft, "FuzzPlanted", corpus[failing])
	assert.Contains(t, r.output(), fmt.Sprintf("simtest: input seed#%d (the input of seed %s) failed", failing, seed))
	assert.Contains(t, r.output(), "replay: go test -run '^FuzzPlanted$/^seed#0$' ./simtest -simseed="+seed)
	assert.NotContains(t, r.output(), "keeps the input")

	// An input the fuzzer made (here the entry with its final byte,
	// which is not read, changed): the name go test will keep it under.
	made := slices.Clone(corpus[failing])
	made[len(made)-1]++
	_, _, r = runInput(t, ft, "FuzzPlanted", made)
	name := simtest.CorpusName(made)
	assert.Contains(t, r.output(), "simtest: input "+name+" (input ")
	assert.Contains(t, r.output(), "replay: go test -run '^FuzzPlanted$/^"+name+"$' ./simtest")
	assert.Contains(t, r.output(), "testdata/fuzz/FuzzPlanted/"+name)
	assert.False(t, r.fatal, "a failed input fails the test and lets it go on")
}

func TestFuzzFeedbackIsBounded(t *testing.T) {
	signals := func(n int, repeat int) func(s *simtest.S) {
		return func(s *simtest.S) {
			for range repeat {
				for k := range n {
					simtest.Signal(s, uint64(k))
				}
			}
		}
	}
	ft, _ := simtest.NewFuzzTarget("FuzzSignals", signals(1, 100), simtest.FuzzStates(0))
	_, branches, _ := runInput(t, ft, "FuzzSignals", nil)
	assert.Equal(t, 1, branches, "a signal repeated is one branch")

	ft, _ = simtest.NewFuzzTarget("FuzzSignals", signals(10, 3), simtest.FuzzStates(0))
	_, branches, _ = runInput(t, ft, "FuzzSignals", nil)
	assert.Equal(t, 10, branches)

	ft, _ = simtest.NewFuzzTarget("FuzzSignals", signals(100_000, 1), simtest.FuzzStates(0))
	_, branches, _ = runInput(t, ft, "FuzzSignals", nil)
	assert.LessOrEqual(t, branches, 1024, "progress has 1,024 branches")
	assert.Greater(t, branches, 1000)

	ft, _ = simtest.NewFuzzTarget("FuzzSignals", signals(100, 1), simtest.NoFuzzFeedback())
	_, branches, _ = runInput(t, ft, "FuzzSignals", nil)
	assert.Zero(t, branches, "NoFuzzFeedback")
}

func TestFuzzFeedbackHearsTheAssertions(t *testing.T) {
	body := func(s *simtest.S) {
		ctx := s.Context()
		assertions.Sometimes(ctx, false, "never")
		assertions.Sometimes(ctx, true, "once")
		assertions.Sometimes(ctx, true, "once")
		assertions.Reachable(ctx, "reached")
		for i := range 8 {
			assertions.SometimesEach(ctx, "buckets", "i", i%4)
		}
	}
	ft, _ := simtest.NewFuzzTarget("FuzzAssertions", body, simtest.FuzzStates(0))
	_, branches, r := runInput(t, ft, "FuzzAssertions", nil)
	require.False(t, r.failed, r.output())
	// once, reached, and buckets: reached first, then four buckets.
	assert.Equal(t, 7, branches)
	assert.NotContains(t, r.output(), "gap", "an input is not a Run: no coverage gaps")

	ft, _ = simtest.NewFuzzTarget("FuzzAssertions", func(s *simtest.S) {
		assertions.Always(s.Context(), false, "broken")
	})
	_, _, r = runInput(t, ft, "FuzzAssertions", nil)
	assert.True(t, r.failed, "a failed Always fails the input")
	assert.Contains(t, r.output(), "broken")
}

func TestFuzzStatesAreKindsOfTaskInTurn(t *testing.T) {
	// Many tasks of two kinds: the states are the pairs of kinds.
	body := func(s *simtest.S) {
		for i := range 50 {
			s.Go(fmt.Sprintf("reader-%d", i), func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, time.Millisecond) })
			s.Go(fmt.Sprintf("writer-%d", i), func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, time.Millisecond) })
		}
		s.Sleep(time.Second)
	}
	ft, _ := simtest.NewFuzzTarget("FuzzStates", body, simtest.FuzzStates(simtest.MaxFuzzStates))
	_, branches, r := runInput(t, ft, "FuzzStates", []byte("some decisions"))
	require.False(t, r.failed, r.output())
	// driver, reader, writer: at most 3 first kinds and 9 pairs.
	assert.GreaterOrEqual(t, branches, 5)
	assert.LessOrEqual(t, branches, 12)

	ft, _ = simtest.NewFuzzTarget("FuzzStates", body, simtest.FuzzStates(2))
	_, branches, _ = runInput(t, ft, "FuzzStates", []byte("some decisions"))
	assert.LessOrEqual(t, branches, 2, "FuzzStates bounds the branches")

	ft, _ = simtest.NewFuzzTarget("FuzzStates", body, simtest.FuzzStates(0))
	_, branches, _ = runInput(t, ft, "FuzzStates", []byte("some decisions"))
	assert.Zero(t, branches)
}

func TestFuzzOptionsAreChecked(t *testing.T) {
	for _, o := range []simtest.Option{simtest.FuzzStates(-1), simtest.FuzzStates(simtest.MaxFuzzStates + 1)} {
		_, err := simtest.NewFuzzTarget("FuzzBad", racers(nil), o)
		assert.ErrorContains(t, err, "simtest.FuzzStates(")
	}
	_, err := simtest.NewFuzzTarget("FuzzBad", racers(nil), nil)
	assert.ErrorContains(t, err, "nil Option")

	r := runIn("TestRunWithFuzzOption", func(r *recorder) {
		simtest.Run(r, racers(nil), simtest.FuzzStates(3))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest.FuzzStates is an option of Fuzz; Run has no use for it")
}

func TestFuzzCorpusNotesABodyThatNeverDraws(t *testing.T) {
	ft, _ := simtest.NewFuzzTarget("FuzzIdle", func(s *simtest.S) { s.Sleep(time.Second) }, simtest.Seeds(1))
	var corpus [][]byte
	r := runIn("FuzzIdle", func(r *recorder) { corpus = ft.Corpus(r) })
	require.Len(t, corpus, 1)
	assert.Len(t, corpus[0], 10, "the seed, one decision (an input without one runs seed 0), and the final byte")
	assert.Contains(t, r.output(), "drew nothing from its random stream")
}

func TestFuzzChecksDeterminism(t *testing.T) {
	ft, _ := simtest.NewFuzzTarget("FuzzCheck", racers(nil), simtest.CheckDeterminism())
	_, _, r := runInput(t, ft, "FuzzCheck", []byte("0123456789abcdef"))
	assert.False(t, r.failed, r.output())

	flip := false
	ft, _ = simtest.NewFuzzTarget("FuzzCheck", func(s *simtest.S) {
		flip = !flip // state outside the simulation: the two runs differ
		if flip {
			s.Sleep(time.Second)
		}
	}, simtest.CheckDeterminism())
	_, _, r = runInput(t, ft, "FuzzCheck", []byte("0123456789abcdef"))
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "failed: the run is not deterministic")
}

// A named input run under -simcheck says it was checked, as a Run's
// summary does.
func TestACheckedFuzzInputSaysSo(t *testing.T) {
	tgt, err := simtest.NewFuzzTarget("FuzzChecked", func(s *simtest.S) { s.Sleep(time.Duration(s.Providers().Random.IntN(9)) * time.Millisecond) }, simtest.CheckDeterminism())
	require.NoError(t, err)
	_, _, r := runInput(t, tgt, "FuzzChecked/seed#0", simtest.SeedInput(7, 4))
	assert.False(t, r.failed, r.output())
	assert.Contains(t, r.output(), "; determinism checked (-simcheck): ran twice, and took the same path both times")
}
