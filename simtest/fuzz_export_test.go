package simtest

import (
	"testing"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// ZeroWallClock writes a report's wall-clock figures (wall time, steps
// and events per second) as zero, so that the report is the same text
// every time.
func ZeroWallClock() Option {
	return optionFunc(func(c *config) error {
		c.zeroWall = true
		return nil
	})
}

// Signal reports progress on s, as the assertions do.
func Signal(s *S, sig uint64) { s.signal(tally.Progress{Sig: sig}) }

// FuzzTarget is a Fuzz without a testing.F, for tests that watch what a
// fuzz test reports.
type FuzzTarget struct{ ft *fuzzTarget }

// NewFuzzTarget builds the fuzz test called name, with no command-line
// flags.
func NewFuzzTarget(name string, body func(*S), opts ...Option) (*FuzzTarget, error) {
	ft, err := newFuzzTarget(name, false, flags{}, body, opts)
	return &FuzzTarget{ft}, err
}

// KeepWorkers makes the target's inputs hand their task goroutines on to
// the next input, as Fuzz does, until t ends.
func (f *FuzzTarget) KeepWorkers(t testing.TB) {
	f.ft.workers = sim.NewWorkers()
	t.Cleanup(f.ft.workers.Close)
}

// Corpus builds the seed corpus, as Fuzz does before fuzzing.
func (f *FuzzTarget) Corpus(t testing.TB) [][]byte { return f.ft.corpus(t) }

// Run runs one input, reporting on t, and returns the run's trace hash and
// how many feedback branches it hit.
func (f *FuzzTarget) Run(t testing.TB, data []byte) (trace uint64, branches int) {
	in := f.ft.run(t, data)
	return in.trace, in.hits.Len()
}

// CorpusName is the name go test -fuzz gives a kept input.
func CorpusName(data []byte) string { return corpusName(data) }

// Feedback runs one input, reporting on t, and returns the feedback
// branches its run hit.
func (f *FuzzTarget) Feedback(t testing.TB, data []byte) []uint32 {
	return f.ft.run(t, data).hits.Branches()
}
