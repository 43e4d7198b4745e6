package simtest_test

import (
	"flag"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/shardmove"
	"github.com/moonpool-go/moonpool/simtest"
)

// search is a small coverage-guided fuzzer: a model of go test -fuzz's
// loop, fed the branches simtest.Fuzz feeds go test, that runs in the test
// process from a fixed seed, so that its counts are exact and the same on
// every machine. It starts from the fuzz test's seed corpus and takes the
// corpus entries in turn; it mutates each entry a batch of times, going
// back to the entry after every few mutations, as go test's workers do.
// An input whose run hits a feedback branch that no earlier run hit joins
// the corpus. With no feedback the corpus never grows, and the search is
// blind mutation of the seed corpus.
type search struct {
	rand   *rand.Rand
	target *simtest.FuzzTarget
	name   string
	corpus [][]byte
	seen   map[uint32]bool
	execs  int
}

// The shape of the search's loop, after go test's worker: a batch of
// mutations per corpus entry, restarting from the entry every chain.
const (
	searchBatch = 200
	searchChain = 5
)

func newSearch(t *testing.T, name string, seed uint64, body func(*simtest.S), opts ...simtest.Option) *search {
	t.Helper()
	ft, err := simtest.NewFuzzTarget(name, body, opts...)
	require.NoError(t, err)
	ft.KeepWorkers(t)
	var corpus [][]byte
	r := runIn(name, func(r *recorder) { corpus = ft.Corpus(r) })
	require.False(t, r.failed, r.output())
	return &search{
		rand:   rand.New(rand.NewPCG(seed, 0x5eed)),
		target: ft,
		name:   name,
		corpus: corpus,
		seen:   map[uint32]bool{},
	}
}

// run runs one input, keeps it if it found a new branch, and reports
// whether it failed.
func (s *search) run(data []byte) bool {
	s.execs++
	var hits []uint32
	r := runIn(s.name, func(r *recorder) { hits = s.target.Feedback(r, data) })
	if r.failed {
		return true
	}
	fresh := false
	for _, b := range hits {
		if !s.seen[b] {
			s.seen[b], fresh = true, true
		}
	}
	if fresh {
		s.corpus = append(s.corpus, slices.Clone(data))
	}
	return false
}

// find runs inputs until one fails, or budget have run, and returns how
// many ran and whether the last one failed.
func (s *search) find(budget int) (int, bool) {
	for i := range len(s.corpus) {
		if s.run(s.corpus[i]) {
			return s.execs, true
		}
	}
	var in []byte
	for next := 0; s.execs < budget; next++ {
		entry := s.corpus[next%len(s.corpus)]
		for k := 0; k < searchBatch && s.execs < budget; k++ {
			if k%searchChain == 0 {
				in = append(in[:0], entry...)
			}
			in = s.mutate(in)
			if s.run(in) {
				return s.execs, true
			}
		}
	}
	return s.execs, false
}

// interesting are byte values a fuzzer likes to try.
var interesting = []byte{0, 1, 16, 32, 64, 100, 127, 128, 255}

// mutate changes b in one of the ways go test's mutator changes a []byte:
// a byte set, flipped, moved up or down, swapped, copied, inserted or
// removed.
func (s *search) mutate(b []byte) []byte {
	r := s.rand
	if len(b) == 0 {
		return append(b, byte(r.Uint32()))
	}
	i, j := r.IntN(len(b)), r.IntN(len(b))
	switch r.IntN(9) {
	case 0:
		b[i] = byte(r.Uint32())
	case 1:
		b[i] ^= 1 << r.IntN(8)
	case 2:
		b[i] += byte(1 + r.IntN(35))
	case 3:
		b[i] -= byte(1 + r.IntN(35))
	case 4:
		b[i] = interesting[r.IntN(len(interesting))]
	case 5:
		b[i], b[j] = b[j], b[i]
	case 6:
		n := 1 + r.IntN(min(8, len(b)-max(i, j)))
		copy(b[i:], b[j:j+n])
	case 7:
		b = slices.Insert(b, i, byte(r.Uint32()))
	case 8:
		if len(b) > 1 {
			b = slices.Delete(b, i, i+1)
		}
	}
	return b
}

var seedsRE = regexp.MustCompile(`simtest: (\d+)(?: of \d+)? seeds?(?: run \([^)]*\))?, \d+ passed, (\d+) failed`)

// seedsUntilFailure runs body over plain seeds from base, as Run does, at
// most budget of them, and returns how many ran and whether the last one
// failed.
func seedsUntilFailure(t *testing.T, name string, base uint64, budget int, body func(*simtest.S)) (int, bool) {
	t.Helper()
	r := runIn(name, func(r *recorder) {
		simtest.Run(r, body, simtest.Seeds(budget), simtest.BaseSeed(base), simtest.AllowGaps(), simtest.KeepFailures(false))
	})
	m := seedsRE.FindStringSubmatch(r.output())
	require.NotNil(t, m, r.output())
	n, _ := strconv.Atoi(m[1])
	return n, m[2] != "0"
}

var searchTrials = flag.Int("searchtrials", 0, "how many guided searches TestFuzzFeedbackFindsTheLostDepositSooner runs (default 2)")

// TestFuzzFeedbackFindsTheLostDepositSooner is the measured demonstration
// of Fuzz's feedback, on the bank of examples/shardmove that loses a
// deposit when three unrelated decisions, each one in fifty, come
// together. It runs the search above with the feedback until it has found
// the loss twice (-searchtrials more), each time from scratch, and then
// gives as many executions to the same search without the feedback and to
// Run over plain seeds: they find it fewer times. The counts are logged; BENCHMARKS.md
// gives them for more trials, and for go test -fuzz itself.
func TestFuzzFeedbackFindsTheLostDepositSooner(t *testing.T) {
	trials := *searchTrials
	if trials <= 0 {
		// Two finds already show it (the search without the feedback and
		// Run find it in neither budget); the third and fourth took three
		// times as long as the first two, for the same verdict.
		trials = 2
	}
	body := shardmove.Workload(true)
	const most = 300_000 // executions a guided search may take

	var counts []int
	budget := 0
	for trial := range trials {
		n, found := newSearch(t, "FuzzBank", uint64(trial), body).find(most)
		require.True(t, found, "the guided search %d finds the lost deposit within %d executions", trial, most)
		counts = append(counts, n)
		budget += n
	}

	blind := 0
	for spent, trial := 0, 0; spent < budget; trial++ {
		n, found := newSearch(t, "FuzzBank", uint64(trials+trial), body, simtest.NoFuzzFeedback()).find(budget - spent)
		spent += n
		if found {
			blind++
		}
	}
	seeds := 0
	for spent, base := 0, uint64(0); spent < budget; base++ {
		n, found := seedsUntilFailure(t, "TestBank", base, budget-spent, body)
		spent += n
		if found {
			seeds++
		}
	}

	slices.Sort(counts)
	t.Logf("in %d executions the lost deposit was found %d times with the feedback (executions each: %v, median %d), %d times without, %d times by Run over plain seeds",
		budget, trials, counts, counts[len(counts)/2], blind, seeds)
	assert.Less(t, blind, trials, "without the feedback, the same search finds it fewer times in as many executions")
	assert.Less(t, seeds, trials, "Run over plain seeds finds it fewer times in as many executions")
}
