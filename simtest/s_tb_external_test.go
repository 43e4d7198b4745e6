package simtest_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

var _ testing.TB = (*simtest.S)(nil)

// checkBalance is a helper: an error it raises names its caller's line.
func checkBalance(s *simtest.S, got, want int) {
	s.Helper()
	if got != want {
		s.Errorf("balance is %d, want %d", got, want)
	}
}

// requireBalance is a helper over testify's require.
func requireBalance(s *simtest.S, got, want int) {
	s.Helper()
	require.Equal(s, want, got, "balance")
}

// line is the line of its caller, plus delta.
func line(delta int) string {
	_, file, l, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), l+delta)
}

func TestHelperFramesAreSkipped(t *testing.T) {
	var direct, inTask, viaRequire string
	res := simtest.Simulate(func(s *simtest.S) {
		direct = line(1)
		checkBalance(s, 1, 2)
		h := s.Go("auditor", func(ctx context.Context) error {
			inTask = line(1)
			checkBalance(s, 3, 4) // Helper called from a task
			return nil
		})
		_ = h.Join(s.Context())
		viaRequire = line(1)
		requireBalance(s, 5, 6)
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "driver: "+direct+": balance is 1, want 2")
	assert.Contains(t, res.Report, "auditor: "+inTask+": balance is 3, want 4")
	assert.Contains(t, res.Report, "driver: "+viaRequire+": ")
	assert.NotContains(t, res.Report, "s_tb_external_test.go:24:", "no error names the helper's own line")
}

// A function that is not marked is reported at its own line.
func TestUnmarkedFunctionIsReportedAtItsLine(t *testing.T) {
	var at string
	res := simtest.Simulate(func(s *simtest.S) {
		func() {
			at = line(1)
			s.Errorf("here")
		}()
	}, simtest.Seeds(1))
	assert.Contains(t, res.Report, at+": here")
}

func TestContextIsCancelledBeforeCleanups(t *testing.T) {
	var inCleanup error
	var taskSaw time.Duration = -1
	var slept time.Duration
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("watcher", func(ctx context.Context) error {
			// A task started with the seed's context sees it end.
			if err := s.Providers().Time.Sleep(ctx, time.Hour); err != nil {
				taskSaw = s.Elapsed()
			}
			return nil
		})
		s.Cleanup(func() {
			inCleanup = s.Context().Err()
			start := s.Elapsed()
			s.Sleep(time.Second) // a cleanup may still wait
			slept = s.Elapsed() - start
		})
		s.Sleep(time.Second)
	}, simtest.Seeds(1))
	require.True(t, res.OK(), res.Report)
	assert.ErrorIs(t, inCleanup, context.Canceled, "the context ends before the cleanups run, as testing.T's")
	assert.Equal(t, time.Second, slept)
	assert.Equal(t, time.Second, taskSaw, "the task saw the end while the cleanup ran")
}

func TestSDoesNotExportTheTestsTB(t *testing.T) {
	_, ok := reflect.TypeOf(simtest.S{}).FieldByName("TB")
	assert.False(t, ok, "s.TB.Errorf would go around the seed")
}

// cleanupsOf registers, on tb, the cleanups of a test that adds one from
// inside another, and returns the order they ran in once tb is done.
func cleanupsOf(tb testing.TB, ran *[]string) {
	tb.Cleanup(func() { *ran = append(*ran, "first") })
	tb.Cleanup(func() {
		*ran = append(*ran, "second")
		tb.Cleanup(func() { *ran = append(*ran, "added by second") })
	})
	tb.Cleanup(func() { *ran = append(*ran, "third") })
}

// A cleanup registered by a cleanup runs, as testing.T's does.
func TestCleanupsRunAsTestingTs(t *testing.T) {
	var want, got []string
	t.Run("testing.T", func(t *testing.T) { cleanupsOf(t, &want) })
	res := simtest.Simulate(func(s *simtest.S) { cleanupsOf(s, &got) }, simtest.Seeds(1))
	require.True(t, res.OK(), res.Report)
	require.Equal(t, []string{"third", "second", "added by second", "first"}, want)
	assert.Empty(t, cmp.Diff(want, got), "S's cleanups (-testing.T +S)")
}

// A cleanup that panics fails the seed, and the cleanups registered
// before it still run, as testing.T's do.
func TestCleanupThatPanicsLetsTheOthersRun(t *testing.T) {
	var ran []string
	res := simtest.Simulate(func(s *simtest.S) {
		s.Cleanup(func() { ran = append(ran, "first") })
		s.Cleanup(func() { panic("the cleanup broke") })
		s.Cleanup(func() { ran = append(ran, "third") })
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "the cleanup broke")
	assert.Equal(t, []string{"third", "first"}, ran)
}

// The cleanups run when the seed ends by a failure: FailNow in the driver,
// where they may still wait, and Fatal in another task, which tears the
// world down, where a cleanup that waits ends there and the next runs.
func TestCleanupsRunWhenTheSeedFailsNow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     func(s *simtest.S)
		want     []string
		cutShort bool // the report tells that the waiting cleanup ended at its wait
	}{
		{"FailNow in the driver", func(s *simtest.S) { s.FailNow() }, []string{"waits", "waited 1s", "first"}, false},
		{"Fatal in a task", func(s *simtest.S) {
			s.Go("checker", func(context.Context) error { s.Fatal("the check failed"); return nil })
			s.Sleep(time.Hour)
		}, []string{"waits", "first"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			res := simtest.Simulate(func(s *simtest.S) {
				s.Cleanup(func() { ran = append(ran, "first") })
				s.Cleanup(func() {
					ran = append(ran, "waits")
					start := s.Elapsed()
					s.Sleep(time.Second)
					ran = append(ran, fmt.Sprint("waited ", s.Elapsed()-start))
				})
				tc.body(s)
			}, simtest.Seeds(1))
			require.False(t, res.OK())
			assert.Equal(t, tc.want, ran)
			if tc.cutShort {
				assert.Regexp(t, `cleanup cut short: the cleanup registered at s_tb_external_test\.go:\d+ waited in simulated time after another task ended the seed`, res.Report)
			} else {
				assert.NotContains(t, res.Report, "cleanup cut short")
			}
		})
	}
}

// skipTB is a test's testing.TB that records how Run ends it: skipped
// (with what message) or failed.
type skipTB struct {
	testing.TB
	mu    sync.Mutex
	calls []string
}

func (r *skipTB) record(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func (r *skipTB) Skip(args ...any) { r.record("Skip: " + fmt.Sprint(args...)); runtime.Goexit() }
func (r *skipTB) SkipNow()         { r.record("SkipNow"); runtime.Goexit() }
func (r *skipTB) Error(args ...any) {
	r.record("Error: " + fmt.Sprint(args...))
}
func (r *skipTB) FailNow() { r.record("FailNow"); runtime.Goexit() }

// A seed skips the test as testing.T skips: Skip's arguments are spaced
// as Log's, and Skip with none or SkipNow skips with nothing to say,
// rather than failing the seed.
func TestSkipSkipsTheTestAsTestingTDoes(t *testing.T) {
	for _, tc := range []struct {
		name string
		skip func(s *simtest.S)
		want string
	}{
		{"Skip", func(s *simtest.S) { s.Skip("no", "server", 2) }, "Skip: no server 2"},
		{"Skipf", func(s *simtest.S) { s.Skipf("no %s %d", "server", 2) }, "Skip: no server 2"},
		{"SkipNow", func(s *simtest.S) { s.SkipNow() }, "SkipNow"},
		{"Skip with nothing to say", func(s *simtest.S) { s.Skip() }, "SkipNow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := &skipTB{TB: t}
			skipped := false
			done := make(chan struct{})
			go func() {
				defer close(done)
				simtest.Run(tb, func(s *simtest.S) {
					s.Cleanup(func() { skipped = s.Skipped() })
					tc.skip(s)
				}, simtest.Seeds(3))
			}()
			<-done
			assert.True(t, skipped, "Skipped, in a cleanup")
			assert.Equal(t, []string{tc.want}, tb.calls)

			res := simtest.Simulate(tc.skip, simtest.Seeds(3))
			assert.True(t, res.Skipped, res.Report)
			assert.Zero(t, res.Failed, res.Report)
		})
	}
}

// A seed's Setenv and Chdir are undone when the seed ends, as a test's
// are when the test ends: each seed starts in the environment and the
// directory the test had, so that its replay, alone, runs as it did.
func TestSetenvAndChdirAreUndoneWhenTheSeedEnds(t *testing.T) {
	const key = "MOONPOOL_S_SETENV_TEST"
	t.Setenv(key, "the test's")
	wd, err := os.Getwd()
	require.NoError(t, err)
	var envs, dirs []string
	res := simtest.Simulate(func(s *simtest.S) {
		envs = append(envs, os.Getenv(key))
		dir, _ := os.Getwd()
		dirs = append(dirs, dir)
		s.Setenv(key, fmt.Sprint("seed ", s.Seed()))
		s.Chdir(s.TempDir())
	}, simtest.Seeds(3))
	require.True(t, res.OK(), res.Report)
	assert.Equal(t, []string{"the test's", "the test's", "the test's"}, envs)
	assert.Equal(t, []string{wd, wd, wd}, dirs)
	assert.Equal(t, "the test's", os.Getenv(key))
}

// Setenv and Chdir change the whole process: a Run that runs seeds at
// once refuses them, as testing.T does in a parallel test, as a
// configuration error.
func TestSetenvAndChdirAreRefusedOnSeveralWorkers(t *testing.T) {
	for _, tc := range []struct {
		method string
		call   func(s *simtest.S)
	}{
		{"Setenv", func(s *simtest.S) { s.Setenv("MOONPOOL_S_SETENV_TEST", "x") }},
		{"Chdir", func(s *simtest.S) { s.Chdir(s.TempDir()) }},
	} {
		t.Run(tc.method, func(t *testing.T) {
			res := simtest.Simulate(tc.call, simtest.Seeds(4), simtest.Workers(2))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "simtest: configuration error: S."+tc.method+" changes the whole process, and this Run runs 2 seeds at once")
			assert.Contains(t, res.Report, "at s_tb_external_test.go:", "the report names the line of the call")
			assert.Contains(t, res.Report, "replay: simtest.Workers(2)", "the seed replayed alone, on one worker, would pass")
			assert.Equal(t, "simtest.Workers(2)", res.Replay)
		})
	}
}

// A seed's temporary directories are removed when the seed ends, as a
// test's are when the test ends.
func TestTempDirIsRemovedWhenTheSeedEnds(t *testing.T) {
	var dirs []string
	existed := map[string]bool{}
	res := simtest.Simulate(func(s *simtest.S) {
		for _, d := range dirs {
			_, err := os.Stat(d)
			existed[d] = err == nil
		}
		dir := s.TempDir()
		require.NoError(s, os.WriteFile(filepath.Join(dir, "state"), []byte("x"), 0o600))
		dirs = append(dirs, dir)
	}, simtest.Seeds(3))
	require.True(t, res.OK(), res.Report)
	require.Len(t, dirs, 3)
	assert.Equal(t, map[string]bool{dirs[0]: false, dirs[1]: false}, existed, "an earlier seed's directory, as a later seed began")
}

// logBalance is a helper that logs: its line names its caller's.
func logBalance(s *simtest.S, got int) {
	s.Helper()
	s.Logf("balance is %d", got)
}

// A log line names the line that logged it, through helpers, as
// testing.T's does.
func TestLogNamesTheCallersLine(t *testing.T) {
	var direct, viaHelper string
	res := simtest.Simulate(func(s *simtest.S) {
		direct = line(1)
		s.Log("opening", "the ledger")
		viaHelper = line(1)
		logBalance(s, 3)
		s.Error("fail, to show the log")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "0s driver: "+direct+": opening the ledger\n")
	assert.Contains(t, res.Report, "0s driver: "+viaHelper+": balance is 3\n")
}

// logMaybeMarked logs, and is a helper only when mark is set.
func logMaybeMarked(s *simtest.S, mark bool, msg string) (own string) {
	if mark {
		s.Helper()
	}
	own = line(1)
	s.Logf("%s", msg)
	return own
}

// A line is resolved when the log is shown, long after it was logged,
// but it names what testing.T would have named as it logged: a function
// marked by Helper only later is not skipped in the lines before.
func TestLogNamesTheLineAsOfWhenItLogged(t *testing.T) {
	var own, viaHelper, inTask string
	res := simtest.Simulate(func(s *simtest.S) {
		own = logMaybeMarked(s, false, "before the mark")
		viaHelper = line(1)
		logMaybeMarked(s, true, "after the mark")
		h := s.Go("auditor", func(ctx context.Context) error {
			inTask = line(1)
			logMaybeMarked(s, false, "in a task")
			return nil
		})
		_ = h.Join(s.Context())
		s.Error("fail, to show the log")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "0s driver: "+own+": before the mark\n")
	assert.Contains(t, res.Report, "0s driver: "+viaHelper+": after the mark\n")
	assert.Contains(t, res.Report, "0s auditor: "+inTask+": in a task\n", "marked since, by any task")
}

// An S called from a goroutine the simulation does not run, while the
// seed runs, fails the seed as a stray goroutine, naming the method,
// rather than taking the error as the running task's: testing.T takes
// calls from any goroutine, but a seed is one deterministic run.
func TestSFromARawGoroutineIsAStray(t *testing.T) {
	for _, tc := range []struct {
		method string
		call   func(s *simtest.S)
	}{
		{"S.Error", func(s *simtest.S) { s.Errorf("from a raw goroutine") }},
		{"S.Log", func(s *simtest.S) { s.Log("from a raw goroutine") }},
		{"S.Fail", func(s *simtest.S) { s.Fail() }},
	} {
		t.Run(tc.method, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					tc.call(s)
				}()
				<-done
				s.Sleep(time.Second)
			}, simtest.Seeds(1))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "a goroutine that the simulation does not run called into it ("+tc.method+")")
			assert.NotContains(t, res.Report, "driver: s_tb_external_test.go", "not the driver's")
		})
	}
}

// A cleanup registered after the seed ended would never run: it fails
// the test, naming the seed, as every late call on an S does.
func TestCleanupAfterTheSeedEndedFailsTheTest(t *testing.T) {
	var kept *simtest.S
	ran := false
	r := runIn("TestLateCleanup", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
		kept.Cleanup(func() { ran = true })
	})
	require.True(t, r.failed, r.output())
	assert.False(t, ran)
	assert.Contains(t, r.output(), "Cleanup was called on the S of seed "+fmt.Sprint(kept.Seed())+" after the seed ended")
	assert.Contains(t, r.output(), "its function will not run")
}

// An invariant or a liveness property registered after the seed ended
// would never be checked: each fails the test, naming the call (not the
// Cleanup that Eventually registers inside), as a late Cleanup does.
func TestPropertyAfterTheSeedEndedFailsTheTest(t *testing.T) {
	for method, register := range map[string]func(s *simtest.S){
		"Eventually":      func(s *simtest.S) { s.Eventually("drains", time.Second, func() error { return nil }) },
		"EventuallyAfter": func(s *simtest.S) { s.EventuallyAfter(time.Hour, "drains", time.Second, func() error { return nil }) },
		"Invariant":       func(s *simtest.S) { s.Invariant("drains", func() error { return nil }) },
	} {
		t.Run(method, func(t *testing.T) {
			var kept *simtest.S
			r := runIn("TestLateProperty", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
				register(kept)
			})
			require.True(t, r.failed, r.output())
			assert.Contains(t, r.output(), method+" was called on the S of seed "+fmt.Sprint(kept.Seed())+" after the seed ended")
			assert.Contains(t, r.output(), `"drains" is not checked`)
			assert.NotContains(t, r.output(), "Cleanup was called")
		})
	}
}

// require (FailNow) in an invariant's check cannot end the seed, which
// no task runs there: the check's failure says what to do instead.
func TestFailNowInAnInvariantSaysWhatToDo(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		n := 0
		s.Invariant("n stays small", func() error {
			require.Less(s, n, 2)
			return nil
		})
		for range 3 {
			n++
			s.Sleep(time.Second)
		}
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, `"n stays small" failed`)
	assert.Contains(t, res.Report, "outside any task, where the seed cannot end at once; return an error from the check instead")
	assert.NotContains(t, res.Report, "simvet's goroutine rule", "it is not a raw goroutine")
}

// The lines written to Output go to the seed's log, as testing.T's go to
// the test's log: shown with a failing seed's report, stamped with time
// and task, without a line of code; a last line without its newline is
// logged as the seed ends.
func TestOutputWritesToTheSeedsLog(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		logger := slog.New(slog.NewTextHandler(s.Output(), &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey && len(groups) == 0 {
					return slog.Attr{} // as Output's doc shows
				}
				return a
			},
		}))
		h := s.Go("server", func(context.Context) error {
			logger.Info("serving", "port", 80)
			return nil
		})
		_ = h.Join(s.Context())
		fmt.Fprint(s.Output(), "a last line,")
		fmt.Fprint(s.Output(), " in two writes")
		s.Error("fail, to show the log")
	}, simtest.Seeds(1))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "    0s server: level=INFO msg=serving port=80\n")
	assert.NotContains(t, res.Report, "time=", "no wall-clock stamp beside the simulated time")
	assert.Contains(t, res.Report, "    0s driver: a last line, in two writes\n")
}

// After its seed ended, an S's TempDir is the test's, as it was: there is
// no seed left for the directory to end with.
func TestTempDirAfterTheSeedEndedIsTheTests(t *testing.T) {
	var dir string
	ok := t.Run("inner", func(t *testing.T) {
		var kept *simtest.S
		simtest.Run(t, func(s *simtest.S) { kept = s }, simtest.Seeds(1))
		dir = kept.TempDir()
		assert.DirExists(t, dir)
	})
	assert.True(t, ok, "a late TempDir does not fail the test")
	assert.NoDirExists(t, dir, "removed when the test ended")
}

// A raw goroutine that makes a deadline from the wall clock, on a host's
// clock or the driver's, fails the seed as a stray goroutine, as any call
// into the simulation from it does, before the deadline is looked at.
func TestAWallClockDeadlineFromARawGoroutineIsAStray(t *testing.T) {
	for name, providersOf := range map[string]func(s *simtest.S) providers.Providers{
		"host":   func(s *simtest.S) providers.Providers { return s.HostProviders("a") },
		"driver": func(s *simtest.S) providers.Providers { return s.Providers() },
	} {
		t.Run(name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				p := providersOf(s)
				done := make(chan struct{})
				go func() {
					defer close(done)
					_, cancel := p.Time.WithDeadline(context.Background(), time.Now().Add(time.Second))
					cancel()
				}()
				<-done
				s.Sleep(time.Second)
			}, simtest.Seeds(1))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "a goroutine that the simulation does not run called into it (Time.WithDeadline)")
		})
	}
}
