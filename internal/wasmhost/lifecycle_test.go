package wasmhost_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A crash drops the instance at once: none of its goroutines acts again,
// and a reboot starts a fresh instance.
func TestCrashDropsTheInstance(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		ticks := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "f", New: func() simtest.Process { return process(mod, nil, "forever") }})
		s.Sleep(3500 * time.Millisecond)
		c.Stop("f-0", simtest.Crash)
		crashed := s.Elapsed()
		before := len(ticks.Next())
		require.GreaterOrEqual(s, before, 3)
		s.Sleep(10 * time.Second)
		require.Empty(s, ticks.Next(), "a crashed instance printed")
		c.Start("f-0")
		s.Sleep(2500 * time.Millisecond)
		after := ticks.Next()
		require.NotEmpty(s, after, "the rebooted instance runs")
		for _, e := range after {
			require.Greater(s, e.At, crashed+10*time.Second)
		}
	}, simtest.Seeds(3), simtest.KeepFailures(false))
}

// A graceful stop is SIGTERM, seen through os/signal; the program's
// cleanup runs and it exits within the grace period.
func TestGracefulStopIsSIGTERM(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		exits := s.Watch()
		c := s.Boot(simtest.Processes{Name: "g", New: func() simtest.Process { return process(mod, &out, "signal") }})
		s.Sleep(time.Second)
		c.Stop("g-0", simtest.Graceful, simtest.Grace(5*time.Second))
		var msgs []string
		for _, e := range exits.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, msgs, "exit: returned from a graceful stop")
		require.NotContains(s, strings.Join(msgs, "\n"), "grace over")
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, "waiting for a signal\ngot terminated\nclean exit\n", out.String())
}

// A program that takes SIGTERM and does not exit is killed when the grace
// period ends.
func TestGraceOverKillsTheProgram(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "s", New: func() simtest.Process { return process(mod, &out, "stubborn") }})
		s.Sleep(1500 * time.Millisecond)
		c.Stop("s-0", simtest.Graceful, simtest.Grace(3*time.Second))
		require.Equal(s, 4500*time.Millisecond, s.Elapsed())
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, strings.Join(msgs, "\n"), "grace over: s-0 did not stop within 3s; killed")
		before := out.String()
		s.Sleep(5 * time.Second)
		require.Equal(s, before, out.String(), "the killed program printed")
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Contains(t, out.String(), "ignoring terminated\n")
}

// A program that does not listen for SIGTERM ends on it at once, as in
// production.
func TestGracefulStopEndsAProgramThatIgnoresSIGTERM(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "f", New: func() simtest.Process { return process(mod, nil, "forever") }})
		s.Sleep(1500 * time.Millisecond)
		c.Stop("f-0", simtest.Graceful, simtest.Grace(5*time.Second))
		require.Equal(s, 1500*time.Millisecond, s.Elapsed(), "the stop is at once")
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, msgs, "exit: returned from a graceful stop")
	}, simtest.Seeds(2), simtest.KeepFailures(false))
}

// Sleeps of a nanosecond end on a host whose clock drifts, where one
// nanosecond of the host's clock may round to no simulated time at all.
func TestNanosecondSleepsOnADriftingClock(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "n", Count: 4, New: func() simtest.Process { return process(mod, &out, "nanosleeps") }})
		s.Sleep(time.Second)
	}, simtest.Seeds(4), simtest.KeepFailures(false))
	require.Equal(t, 16, strings.Count(out.String(), "slept 1000 times\n"))
}

// A poll_oneoff whose timeout is past what int64 holds, 2^64-1 for the
// longest wait WASI can say, waits as long as a wait can, on hosts whose
// clocks drift too: it neither wraps around to a deadline in the past nor
// ends at once.
func TestAPollOfTheLongestTimeoutWaits(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "p", Count: 2, New: func() simtest.Process { return process(mod, &out, "pollforever") }})
		s.Sleep(time.Hour)
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	require.NotContains(t, out.String(), "woke")
}

// A goroutine that loops without blocking is stopped with a clear error.
func TestSpinningProgramIsStopped(t *testing.T) {
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("spin", func(ctx context.Context) error {
			got = mod.Run(ctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "spin"}, SpinBudget: 100_000})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.ErrorIs(t, got, wasmhost.ErrSpinning)
	require.ErrorContains(t, got, "main.run", "the error shows the spinning goroutine's stack")
	require.ErrorContains(t, got, "goroutine 1 ", "and the others'")
	require.ErrorContains(t, got, "the program calls the host in a loop without ever waiting")
}

// A goroutine that loops without calling the host at all is stopped by
// the real-time watchdog, in a module compiled to allow it, before the
// simulation's own would report it.
func TestCPUSpinIsStoppedByTheWatchdog(t *testing.T) {
	guestModule(t)
	mod, err := wasmhost.CompileFile(context.Background(), guest.path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir(), StopSpins: true})
	require.NoError(t, err)
	defer mod.Close(context.Background())
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("spin", func(ctx context.Context) error {
			got = mod.Run(ctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "cpuspin"}, Watchdog: 500 * time.Millisecond})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.ErrorIs(t, got, wasmhost.ErrSpinning)
	// The words fit the case: no host calls at all, and no stack to give.
	require.ErrorContains(t, got, "the program ran its own code for 500ms of real time without calling the host")
	require.ErrorContains(t, got, "the host cannot name the loop")
	require.NotContains(t, got.Error(), "calls the host in a loop")
}

// An initializer that spins stops the program's start with the watchdog's
// error, and does not make the program start cold instead: whether the
// watchdog fires depends on the machine, and how a program starts must
// not.
func TestCPUSpinInAnInitializerIsStoppedByTheWatchdog(t *testing.T) {
	guestModule(t)
	mod, err := wasmhost.CompileFile(context.Background(), guest.path, wasmhost.Options{CacheDir: wasmhost.DefaultCacheDir(), StopSpins: true})
	require.NoError(t, err)
	defer mod.Close(context.Background())
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("spin", func(ctx context.Context) error {
			got = mod.Run(ctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "hello"}, Env: []string{"GUEST_INIT=cpuspin"}, Watchdog: 500 * time.Millisecond})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.ErrorIs(t, got, wasmhost.ErrSpinning)
	require.ErrorContains(t, got, "package initializers ran for 500ms of real time without calling the host")
	require.NotContains(t, got.Error(), "calls the host in a loop")
}

// A Process for tests that need a plain providers-level run.
var _ simtest.Process = simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return nil })

// A program that listens for other signals but not for SIGTERM ends on
// SIGTERM at once too: listening for SIGINT leaves SIGTERM its default
// action, as in production.
func TestGracefulStopEndsAProgramThatListensForOtherSignals(t *testing.T) {
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "i", New: func() simtest.Process { return process(mod, nil, "interrupt") }})
		s.Sleep(1500 * time.Millisecond)
		c.Stop("i-0", simtest.Graceful, simtest.Grace(5*time.Second))
		require.Equal(s, 1500*time.Millisecond, s.Elapsed(), "the stop is at once")
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, msgs, "exit: returned from a graceful stop")

		// Run on its own, the program's end says why.
		h := s.Go("run", func(ctx context.Context) error {
			cctx, cancel := context.WithCancel(ctx)
			stop := s.Go("stop", func(context.Context) error {
				_ = s.Providers().Time.Sleep(ctx, time.Second)
				cancel()
				return nil
			})
			got = mod.Run(cctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "interrupt"}})
			return stop.Join(ctx)
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	var exit *wasmhost.ExitError
	require.ErrorAs(t, got, &exit)
	require.True(t, exit.Terminated, "%v", got)
}

// A program that never waits for time or a socket, busy with its disk,
// still ends on SIGTERM when it does not listen for it: the stop reaches
// it at its next call to the host, as a signal reaches a busy process.
func TestGracefulStopEndsABusyProgram(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "b", New: func() simtest.Process { return process(mod, nil, "appendlog") }})
		s.Sleep(10 * time.Millisecond)
		c.Stop("b-0", simtest.Graceful, simtest.Grace(5*time.Second))
		require.Less(s, s.Elapsed(), 20*time.Millisecond, "the program ran on until the grace period ended")
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, msgs, "exit: returned from a graceful stop")
	}, simtest.Seeds(3), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
}

// What a program wrote before a crash reaches the timeline, its last
// line too when it had no newline yet: the bytes were written, as a
// killed process's are.
func TestCrashKeepsAnUnfinishedLine(t *testing.T) {
	mod := guestModule(t)
	simtest.Run(t, func(s *simtest.S) {
		out := s.Watch("stdout")
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process { return process(mod, nil, "partial") }})
		s.Sleep(time.Second)
		c.Stop("p-0", simtest.Crash)
		var msgs []string
		for _, e := range out.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Equal(s, []string{"a line without its end"}, msgs)
	}, simtest.Seeds(2), simtest.KeepFailures(false))
}

// The spin budget counts host calls while the simulated clock stands
// still: a program whose calls each take the disk's time is not spinning,
// however small the budget.
func TestDiskWritesAreNotSpinning(t *testing.T) {
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		p.Storage = s.Storage()
		h := s.Go("run", func(ctx context.Context) error {
			got = mod.Run(ctx, p, wasmhost.Config{Args: []string{"guest", "writes=3000"}, SpinBudget: 1000})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Storage(chaos.NoStorageFaults()))
	require.NoError(t, got)
}

// A program that ignores SIGTERM (signal.Ignore) is not told of a
// graceful stop and runs on: the stop waits out its grace period and
// kills it, as systemd or Kubernetes would.
func TestGracefulStopWaitsForAProgramThatIgnoresSIGTERM(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "i", New: func() simtest.Process { return process(mod, &out, "ignoreterm") }})
		s.Sleep(1500 * time.Millisecond)
		c.Stop("i-0", simtest.Graceful, simtest.Grace(3*time.Second))
		require.Equal(s, 4500*time.Millisecond, s.Elapsed(), "the stop waited for the grace period")
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, strings.Join(msgs, "\n"), "grace over: i-0 did not stop within 3s; killed")
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	require.Equal(t, strings.Repeat("ignored true\n"+strings.Repeat("tick\n", 4), 2), out.String())
}

// signal.Notify after signal.Ignore listens for SIGTERM again, as on
// Linux: a graceful stop delivers it, and the program exits at once.
func TestNotifyAfterIgnoreTakesSIGTERMAgain(t *testing.T) {
	mod := guestModule(t)
	var out testenv.Buffer
	simtest.Run(t, func(s *simtest.S) {
		w := s.Watch()
		c := s.Boot(simtest.Processes{Name: "u", New: func() simtest.Process { return process(mod, &out, "unignore") }})
		s.Sleep(time.Second)
		c.Stop("u-0", simtest.Graceful, simtest.Grace(3*time.Second))
		require.Equal(s, time.Second, s.Elapsed(), "the program took SIGTERM and exited")
		var msgs []string
		for _, e := range w.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Contains(s, msgs, "exit: returned from a graceful stop")
	}, simtest.Seeds(2), simtest.KeepFailures(false))
	require.Equal(t, strings.Repeat("ignored false\ngot terminated\n", 2), out.String())
}

// A malformed GOMEMLIMIT stops the program as the Go runtime stops a
// native one: its message on standard error, naming the variable and
// where to read of its form, and exit status 2, not a trap.
func TestAMalformedGOMEMLIMITExitsWithStatus2(t *testing.T) {
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("run", func(ctx context.Context) error {
			got = mod.Run(ctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "hello"}, Env: []string{"GOMEMLIMIT=abc"}})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	var exit *wasmhost.ExitError
	require.ErrorAs(t, got, &exit, "%v", got)
	require.EqualValues(t, 2, exit.Code)
	require.True(t, strings.HasPrefix(exit.Stderr, "GOMEMLIMIT=abc\nfatal error: malformed GOMEMLIMIT; see `go doc runtime/debug.SetMemoryLimit`\n"), exit.Stderr)
}

// runToExit runs the guest with args to its exit, and returns the error.
func runToExit(t *testing.T, args ...string) *wasmhost.ExitError {
	t.Helper()
	mod := guestModule(t)
	var got error
	simtest.Run(t, func(s *simtest.S) {
		h := s.Go("run", func(ctx context.Context) error {
			got = mod.Run(ctx, s.Providers(), wasmhost.Config{Args: append([]string{"guest"}, args...)})
			return nil
		})
		require.NoError(s, h.Join(s.Context()))
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	var exit *wasmhost.ExitError
	require.ErrorAs(t, got, &exit, "%v", got)
	return exit
}

// A program that logged a hundred lines of JSON before it exited fails
// with its last lines, a few KiB at most; ExitError.Stderr keeps more.
func TestAnExitAfterMuchLoggingQuotesItsLastLines(t *testing.T) {
	exit := runToExit(t, "logexit=200")
	require.EqualValues(t, 1, exit.Code)
	msg := exit.Error()
	assert.Less(t, len(msg), 2500, msg)
	assert.Contains(t, msg, "its standard error ends:\n… (the last ")
	assert.Contains(t, msg, " of 201 lines; the timeline has them all: -simtimeline=FILE)\n")
	assert.True(t, strings.HasSuffix(msg, `"msg":"final","err":"gave up after 8 tries"}`), msg)
	assert.Greater(t, len(exit.Stderr), 16<<10)
}

// A panic whose goroutines' stacks run past the end of standard error
// that ExitError.Stderr keeps is still quoted by its line and the stack
// of the goroutine that panicked.
func TestAPanicPastTheKeptEndIsQuoted(t *testing.T) {
	exit := runToExit(t, "logpanic=50")
	require.EqualValues(t, 2, exit.Code)
	require.NotContains(t, exit.Stderr, "panic: the journal is corrupt", "the goroutines' stacks pushed it out of the tail")
	msg := exit.Error()
	assert.Less(t, len(msg), 8<<10, msg)
	assert.Contains(t, msg, "its standard error ends:\n… (49 lines before; the timeline has them all: -simtimeline=FILE)\n"+
		"applied add 49\npanic: the journal is corrupt\n\ngoroutine 1 [running]:\nmain.run(")
	assert.Regexp(t, `\n… \(\d+ lines more, the stacks of \d+ more goroutines; the timeline has them all: -simtimeline=FILE\)$`, msg)
}
