package simtest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/explore"
)

func TestFuzzCorpusSeeds(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	seedsOf := func(fl flags, opts ...Option) []uint64 {
		t.Helper()
		ft, err := newFuzzTarget("FuzzSeeds", false, fl, body, opts)
		require.NoError(t, err)
		corpus := ft.corpus(t)
		var seeds []uint64
		for _, in := range corpus {
			seed := inputSeed(in)
			assert.Equal(t, SeedInput(seed, 1), in, "one draw, one decision")
			seeds = append(seeds, seed)
		}
		return seeds
	}
	def := seedsOf(flags{})
	assert.Len(t, def, DefaultFuzzSeeds)
	assert.Equal(t, def, seedsOf(flags{}), "stable for a name")
	assert.Len(t, seedsOf(flags{seeds: 7}), 7, "-simseeds")
	assert.Equal(t, def[:2], seedsOf(flags{}, Seeds(2)))
	assert.Equal(t, append(def, 5, 6), seedsOf(flags{}, FuzzSeeds(5), FuzzSeeds(6)))
	assert.Equal(t, []uint64{42}, seedsOf(flags{replays: []uint64{42}}, FuzzSeeds(5)), "-simseed: that seed alone")

	_, err := newFuzzTarget("FuzzSeeds", false, flags{replays: []uint64{1}, seeds: 3}, body, nil)
	assert.ErrorContains(t, err, "give one of the two flags")
}

// TestFuzzRunsNoExplorationTimeline: a fuzz input is one seed's run, so a
// recipe to replay, or an exploration asked of the Fuzz, would run the
// root seed alone as if it were the timeline.
func TestFuzzRunsNoExplorationTimeline(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	_, err := newFuzzTarget("FuzzX", false, flags{recipe: "42/10:7"}, body, nil)
	assert.EqualError(t, err, "simtest: -simrecipe=42/10:7 replays an exploration's timeline, which a Fuzz target cannot run: it would run seed 42 alone; run the test that explored it, as its replay line does (go test -run '^TestName$')")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{ReplayRecipe("42/10:7")})
	assert.ErrorContains(t, err, "simtest: -simrecipe=42/10:7 replays an exploration's timeline")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{Explore(explore.Defaults())})
	assert.EqualError(t, err, "simtest.Explore is an option of Run; Fuzz has no use for it (go test -fuzz explores by mutating inputs), so remove it from this Fuzz")
	_, err = newFuzzTarget("FuzzX", false, flags{explore: true}, body, nil)
	assert.NoError(t, err, "-simexplore explores every Run; a Fuzz passes over it")
}

// TestFuzzTakesNoRunFiles: the options that write a Run's files did
// nothing for a Fuzz, which reports no Run; they are refused. Their flags,
// for every Run, a Fuzz passes over.
func TestFuzzTakesNoRunFiles(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{ResultsFile("r.jsonl")})
	assert.EqualError(t, err, "simtest.ResultsFile writes what a Run reports, and Fuzz reports no Run (go test -fuzz keeps failing inputs under testdata/fuzz), so it would write nothing: remove it from this Fuzz")
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{JSONReport("r.json"), CoverProfile("c.out"), TimelineHTML("t.html")})
	assert.ErrorContains(t, err, "simtest.JSONReport, simtest.CoverProfile, simtest.TimelineHTML write what a Run reports")
	_, err = newFuzzTarget("FuzzX", false, flags{results: "r.jsonl", asserts: assertFlags{json: "r.json"}}, body, []Option{AllowGaps()})
	assert.NoError(t, err, "the flags are for every Run")
}

// TestFuzzTakesNoOpenSeedCount: RunFor and UntilPlateau leave a Run's
// seed count open, which made a Fuzz collect its seed corpus without end.
// As options they are refused; as flags, for every Run, a Fuzz passes
// over them.
func TestFuzzTakesNoOpenSeedCount(t *testing.T) {
	body := func(s *S) { s.Providers().Random.IntN(10) }
	const want = "simtest.RunFor and simtest.UntilPlateau are options of Run; Fuzz has no use for them (its seed corpus is simtest.DefaultFuzzSeeds seeds, or Seeds(n), and go test -fuzztime bounds fuzzing), so remove them from this Fuzz"
	_, err := newFuzzTarget("FuzzX", false, flags{}, body, []Option{RunFor(time.Second)})
	assert.EqualError(t, err, want)
	_, err = newFuzzTarget("FuzzX", false, flags{}, body, []Option{UntilPlateau(3)})
	assert.EqualError(t, err, want)
	for _, fl := range []flags{{runFor: "1s"}, {plateau: 3}} {
		ft, err := newFuzzTarget("FuzzX", false, fl, body, nil)
		require.NoError(t, err, "%+v", fl)
		assert.Len(t, ft.corpus(t), DefaultFuzzSeeds, "%+v: the default seed corpus", fl)
	}
}

func TestFuzzSeedOfNamesTheSeedCorpus(t *testing.T) {
	ft := &fuzzTarget{name: "FuzzX", inputs: [][]byte{SeedInput(10, 3), SeedInput(20, 3)}}
	for name, want := range map[string]uint64{"seed#0": 10, "seed#1": 20} {
		got, ok := ft.seedOf(name, SeedInput(want, 3))
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
	for _, name := range []string{"FuzzX", "seed#2", "seed#-1", "seed#x", "0123456789abcdef"} {
		_, ok := ft.seedOf(name, SeedInput(10, 3))
		assert.False(t, ok, name)
	}
	_, ok := ft.seedOf("seed#0", SeedInput(11, 3))
	assert.False(t, ok, "an entry that is not the seed's input (a fuzz worker's fresh seeds) names no seed")

	// go test -fuzz runs the seed corpus under the fuzz test's own name
	// first: the input names the entry.
	assert.Equal(t, "seed#1", ft.inputName("FuzzX", SeedInput(20, 3)))
	assert.Equal(t, "seed#1", ft.inputName("FuzzX/seed#1", SeedInput(20, 3)))
	assert.Equal(t, corpusName(SeedInput(20, 4)), ft.inputName("FuzzX", SeedInput(20, 4)), "an input the fuzzer made")
}
