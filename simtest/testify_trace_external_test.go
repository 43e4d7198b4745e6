package simtest_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// A testify failure's Error Trace names the test's own frames, in the
// body and in a task, and none of the simulation's machinery below them
// (simtest's, the engine's, the runtime's coroutines).
func TestATestifyTraceKeepsOnlyTheTestsFrames(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		assert.False(s, true, "in the body")
		h := s.Go("helper", func(ctx context.Context) error {
			assert.False(s, true, "in a task")
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	traces := regexp.MustCompile(`Error Trace:((?:\s+\S+\.go:\d+)+)`).FindAllStringSubmatch(res.Report, -1)
	require.Len(t, traces, 2, res.Report)
	for _, tr := range traces {
		frames := regexp.MustCompile(`\S+\.go:\d+`).FindAllString(tr[1], -1)
		require.NotEmpty(t, frames)
		for _, f := range frames {
			assert.Regexp(t, `testify_trace_external_test\.go:\d+$`, f, "only the test's frames:\n%s", tr[0])
		}
	}
}
