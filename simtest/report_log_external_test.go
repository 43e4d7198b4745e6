package simtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/simtest"
)

// A failing seed's report shows the first and last hundred lines of a
// long log and counts the rest, as it windows the timeline: a body that
// logs in a loop must not bury the replay line under its log.
func TestAFailureReportCapsALongLog(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for i := range 1000 {
			s.Logf("line %d", i)
			if i%100 == 0 {
				s.Sleep(time.Millisecond)
			}
		}
		s.Errorf("fail, to show the log")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	rep := res.Report
	assert.Contains(t, rep, "  log, its first 100 and last 100 lines (800 lines not shown; -simv logs them all, -simtimeline=FILE writes them with the timeline):\n")
	assert.Contains(t, rep, "\n    ... 800 lines not shown ...\n")
	for _, i := range []int{0, 99, 900, 999} {
		assert.Regexp(t, fmt.Sprintf(`\n    \S+ driver: report_log_external_test\.go:\d+: line %d\n`, i), rep)
	}
	for _, i := range []int{100, 500, 899} {
		assert.False(t, strings.Contains(rep, fmt.Sprintf(": line %d\n", i)), "line %d is shown", i)
	}
	log := rep[strings.Index(rep, "  log, "):strings.Index(rep, "  timeline ")]
	assert.Equal(t, 202, strings.Count(log, "\n"), "the heading, 200 lines and the gap's")
}

// A log of two hundred lines or fewer is shown whole, under its plain
// heading.
func TestAFailureReportShowsAShortLogWhole(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for i := range 200 {
			s.Logf("line %d", i)
		}
		s.Errorf("fail, to show the log")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "\n  log:\n")
	assert.False(t, strings.Contains(res.Report, "not shown ..."), "the log is cut")
	for i := range 200 {
		assert.True(t, strings.Contains(res.Report, fmt.Sprintf(": line %d\n", i)), "line %d is not shown", i)
	}
}

// Under -simv a failing seed's log is logged whole as the seed ends; its
// failure report says so rather than print the same lines again.
func TestAFailureReportUnderSimvPointsToTheLogAbove(t *testing.T) {
	r := runIn("TestSimvLog", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Logf("a line of the log")
			s.Logf("another line")
			s.Errorf("fail, to show the log")
		}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Verbose())
	})
	require.True(t, r.failed)
	// A log line is stamped with the line of code that logged it; the
	// timeline's window shows its message alone.
	out := r.output()
	assert.Equal(t, 1, strings.Count(out, "report_log_external_test.go:64: a line of the log"), out)
	assert.Equal(t, 1, strings.Count(out, "report_log_external_test.go:65: another line"), out)
	require.Len(t, r.errors, 1)
	assert.Contains(t, r.errors[0], "\n  log: 2 lines, logged in full above (-simv)\n")
	assert.NotContains(t, r.errors[0], "report_log_external_test.go:64")
}
