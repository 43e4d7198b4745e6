package simtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// exitsWith is a process that exits at once as a program does with err.
type exitsWith struct{ err error }

func (p exitsWith) Run(context.Context, providers.Providers) error { return p.err }

// The report's "first at" (of a seed that got stuck after it failed) and
// the timeline's "error:" line in the report keep what a program's exit
// announces as the results file does (the entry itself carries the whole
// message): the panic, or else the last line of its standard
// error, not the bare "its standard error ends:".
func TestEveryFailureLineKeepsWhatAProgramsExitAnnounces(t *testing.T) {
	for _, c := range []struct{ stderr, want string }{
		{"goroutine 1 [running]:\npanic: the log is corrupt\n\ngoroutine 7 [select]:\nmain.loop()", "its standard error ends: panic: the log is corrupt"},
		{"2024/01/01 00:00:01 starting\n2024/01/01 00:00:02 fsync failed: disk full", "its standard error ends: … 2024/01/01 00:00:02 fsync failed: disk full"},
	} {
		exit := fmt.Errorf("program store: %w", &program.ExitError{Code: 2, Stderr: c.stderr})
		var errorLines []string
		res := simtest.Simulate(func(s *simtest.S) {
			errs := s.Watch("error")
			s.Cleanup(func() {
				for _, e := range errs.Next() {
					errorLines = append(errorLines, e.Msg)
				}
			})
			s.Boot(simtest.Processes{Name: "store", New: func() simtest.Process { return exitsWith{exit} }})
			never := providers.NewChan[int](s.Providers().Task, 0)
			_, _, _ = never.Recv(s.Context()) // stuck: the seed deadlocks after the process failed
		}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
		require.Len(t, res.PerSeed, 1, res.Report)
		line := "process store-0 failed: program store: the program exited with status 2; " + c.want
		first, _, _ := strings.Cut(res.Report, "\n")
		assert.Contains(t, first, "failed: first at ")
		assert.Contains(t, first, line+"; then: deadlock")
		require.Len(t, errorLines, 1)
		assert.True(t, strings.HasPrefix(errorLines[0], "error: process store-0 failed: "), errorLines[0])
		assert.Contains(t, errorLines[0], c.stderr, "the entry carries the whole message")
		assert.Contains(t, res.Report, "error: "+line+"\n", "the timeline in the report, on one line")
		assert.Contains(t, res.PerSeed[0].FirstFailure, line)
	}
}

// A testify failure's one line keeps the test's own words (its Messages),
// not the last line that testify writes, the test's name, nor the last
// line of a diff; its timeline entry carries the whole of it.
func TestATestifyFailureLineKeepsItsMessages(t *testing.T) {
	type pair struct{ A, B int }
	for _, c := range []struct {
		body func(s *simtest.S)
		want string
	}{
		{func(s *simtest.S) { require.Equal(s, 1, 2) }, "Not equal:"},
		{func(s *simtest.S) { require.Equal(s, pair{1, 2}, pair{1, 3}) }, "Not equal:"},
		{func(s *simtest.S) { require.Equal(s, 1, 2, "the counts") }, "Not equal: … Messages: the counts"},
		{func(s *simtest.S) { require.False(s, true, "the flag") }, "Should be false … Messages: the flag"},
		{func(s *simtest.S) { require.False(s, true) }, "Should be false"},
	} {
		var errorLines []string
		res := simtest.Simulate(func(s *simtest.S) {
			errs := s.Watch("error")
			s.Cleanup(func() {
				for _, e := range errs.Next() {
					errorLines = append(errorLines, e.Msg)
				}
			})
			c.body(s)
		}, simtest.Seeds(1), simtest.KeepFailures(false))
		require.Len(t, res.PerSeed, 1, res.Report)
		assert.Equal(t, c.want, res.PerSeed[0].FirstFailure)
		require.Len(t, errorLines, 1)
		assert.Contains(t, errorLines[0], "Error Trace:", "the entry carries the whole message")
		assert.Contains(t, res.Report, "error: "+c.want+"\n", "the timeline in the report, on one line")
	}
}

// A crashed process's defer that reports a failure is noted on the
// timeline as an "error after crash" entry, whose one line keeps what the
// failure announces as every other one-line account does: a program's
// panic, or testify's Messages line.
func TestAnErrorAfterCrashKeepsWhatItAnnounces(t *testing.T) {
	exit := fmt.Errorf("program store: %w", &program.ExitError{Code: 2,
		Stderr: "goroutine 1 [running]:\npanic: the log is corrupt\n\ngoroutine 7 [select]:\nmain.loop()"})
	for _, c := range []struct {
		report func(s *simtest.S)
		want   string
	}{
		{func(s *simtest.S) { s.Errorf("the store failed: %v", exit) },
			"the store failed: program store: the program exited with status 2; its standard error ends: panic: the log is corrupt"},
		{func(s *simtest.S) { require.Equal(s, 1, 2, "the counts") }, "Not equal: … Messages: the counts"},
	} {
		var entries []string
		res := simtest.Simulate(func(s *simtest.S) {
			tl := s.Timeline()
			cl := s.Boot(simtest.Processes{Name: "store", New: reportsIfCut(func(context.Context) { c.report(s) })})
			s.Sleep(time.Second)
			cl.Stop("store-0", simtest.Crash)
			s.Sleep(time.Second)
			for _, e := range tl.Snapshot() {
				if e.Name == "error after crash" {
					entries = append(entries, e.Msg)
				}
			}
		}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
		require.True(t, res.OK(), res.Report)
		require.Len(t, entries, 1)
		assert.Contains(t, entries[0], "error after crash: failure_line_external_test.go:")
		assert.Contains(t, entries[0], ": "+c.want+" (reported by a deferred call while the task unwound from its process's crash at 1s; ")
	}
}

// The replay line comes right under the headline's first line, above the
// stuck tasks a time budget's failure lists, however many they are.
func TestTheReplayLineIsNotBuriedUnderStuckTasks(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		for range 20 {
			ch := providers.NewChan[int](s.Providers().Task, 0)
			s.Go("waiter", func(ctx context.Context) error { _, _, err := ch.Recv(ctx); return err })
		}
		s.Sleep(2 * time.Hour)
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	lines := strings.Split(res.Report, "\n")
	require.Greater(t, len(lines), 5, res.Report)
	assert.Contains(t, lines[0], "failed: time budget exceeded at 1h0m0s")
	assert.Contains(t, lines[1], "replay: simtest.Replay(", "the line under the headline's first")
	assert.Contains(t, lines[2], `task "driver" waits on sleep`, "the stuck tasks after it")
	assert.Contains(t, lines[5], `20 tasks wait on chan receive, all at one place ("waiter" x20):`, "the waiters, told once")
}
