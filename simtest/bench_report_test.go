package simtest

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
)

// BenchmarkReportChild is TestABenchmarkLogsOneLinePerRound's child: a
// benchmark that runs b.N seeds, with a coverage gap it allows, and
// fails under SIMTEST_BENCH_CHILD=fail.
func BenchmarkReportChild(b *testing.B) {
	how := os.Getenv("SIMTEST_BENCH_CHILD")
	if how == "" {
		b.Skip("run by TestABenchmarkLogsOneLinePerRound")
	}
	Run(b, func(s *S) {
		assertions.Sometimes(s.Context(), false, "never true")
		if how == "fail" {
			s.Errorf("the benchmark's seed fails")
		}
	}, Seeds(b.N), AllowGaps())
}

// TestABenchmarkLogsOneLinePerRound runs a benchmark that calls Run, in a
// child process, under -v: each round of b.N logs its summary's first
// line alone, no seed's line and no gap it allows; a failing one logs its
// whole report.
func TestABenchmarkLogsOneLinePerRound(t *testing.T) {
	out, err := childOutput(t, t.TempDir(), "SIMTEST_BENCH_CHILD=pass", "-test.run=^$", "-test.bench=^BenchmarkReportChild$", "-test.benchtime=5x", "-test.v")
	require.NoError(t, err, out)
	var lines []string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "bench_report_test.go:") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	require.Len(t, lines, 2, "a line for the round of 1 seed, one for the round of 5: %s", out)
	assert.Contains(t, lines[0], "simtest: 1 seed, 1 passed, 0 failed; wall ")
	assert.Contains(t, lines[1], "simtest: 5 seeds, 5 passed, 0 failed; wall ")
	assert.NotContains(t, out, "seed=", out)
	assert.NotContains(t, out, "never true", out)

	out, err = childOutput(t, t.TempDir(), "SIMTEST_BENCH_CHILD=fail", "-test.run=^$", "-test.bench=^BenchmarkReportChild$", "-test.benchtime=5x")
	require.Error(t, err, out)
	assert.Contains(t, out, "the benchmark's seed fails", out)
	assert.Contains(t, out, "replay: ", out)
	assert.Contains(t, out, "seed=", "a failing Run's summary is whole: %s", out)
}
