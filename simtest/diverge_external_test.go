package simtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// A body whose behaviour depends on state kept from one run to the next
// (here, how many times it ran) diverges under CheckDeterminism. The
// report names the step where the runs part, and prints no line twice.
func TestDivergenceReportPrintsNoLineTwice(t *testing.T) {
	runs := 0
	r := runIn("TestDiverging", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			p := s.Providers()
			runs++
			for range 3 + runs%2 { // one task more on every other run
				s.Go("t", func(ctx context.Context) error { return p.Time.Sleep(ctx, time.Millisecond) })
			}
			_ = p.Time.Sleep(s.Context(), time.Second)
		}, simtest.Seeds(1), simtest.CheckDeterminism())
	})
	require.True(t, r.failed)
	out := r.output()
	assert.Contains(t, out, "the run is not deterministic")
	assert.Contains(t, out, "step 5 differs")
	report, _, _ := strings.Cut(out, "last events:")
	seen := map[string]bool{}
	for _, l := range strings.Split(report, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		assert.False(t, seen[l], "the report prints a line twice: %q\n%s", l, out)
		seen[l] = true
	}
}
