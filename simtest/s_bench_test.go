package simtest_test

import (
	"testing"

	"github.com/moonpool-go/moonpool/simtest"
)

// linesPerSeed is how many lines a benchmark's seed logs: a seed's log of
// a size a person reads, not one grown over the whole benchmark.
const linesPerSeed = 100

// benchLog runs b.N calls of logf over seeds of linesPerSeed calls each,
// timing only the calls: the seeds pass, and their logs are never read.
func benchLog(b *testing.B, logf func(s *simtest.S, i int)) {
	b.ReportAllocs()
	b.StopTimer()
	for left := b.N; left > 0; left -= linesPerSeed {
		n := min(left, linesPerSeed)
		res := simtest.Simulate(func(s *simtest.S) {
			b.StartTimer()
			for i := range n {
				logf(s, i)
			}
			b.StopTimer()
		}, simtest.Seeds(1))
		if !res.OK() {
			b.Fatal(res.Report)
		}
	}
}

// BenchmarkLogf logs one formatted line: the cost a body pays for every
// line it logs.
func BenchmarkLogf(b *testing.B) {
	benchLog(b, func(s *simtest.S, i int) { s.Logf("balance is %d", i) })
}

// logThrough is a helper that logs, so that the line names its caller.
func logThrough(s *simtest.S, i int) {
	s.Helper()
	s.Logf("balance is %d", i)
}

// BenchmarkLogfThroughHelper is BenchmarkLogf through a function marked
// by Helper.
func BenchmarkLogfThroughHelper(b *testing.B) {
	benchLog(b, logThrough)
}
