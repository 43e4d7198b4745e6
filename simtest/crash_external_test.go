package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// lastWords is a server that accepts one connection, reads it or not, and
// says goodbye in its defers, as code that closes its connections with
// defer does.
func lastWords(read bool) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			l, err := p.Network.Listen(ctx, ":80")
			if err != nil {
				return err
			}
			conn, err := l.Accept()
			if err != nil {
				return err
			}
			defer conn.Close()
			defer conn.Write([]byte("goodbye"))
			if read {
				_, _ = conn.Read(make([]byte, 64))
			}
			return p.Time.Sleep(ctx, time.Hour)
		})
	}
}

// dialAndSay dials the server from the test driver's host, writes hello
// and waits for the server to have it.
func dialAndSay(s *simtest.S) io.ReadWriter {
	p := s.Providers()
	conn, err := p.Network.Dial(s.Context(), "server-0:80")
	require.NoError(s, err)
	_, err = conn.Write([]byte("hello"))
	require.NoError(s, err)
	s.Sleep(time.Second)
	return conn
}

// readToEnd reads r until an error, which it returns: io.EOF too.
func readToEnd(r io.Reader) ([]byte, error) {
	var got []byte
	b := make([]byte, 64)
	for {
		n, err := r.Read(b)
		got = append(got, b[:n]...)
		if err != nil {
			return got, err
		}
	}
}

func TestADeadProcessDefersReachNobody(t *testing.T) {
	for _, tc := range []struct {
		name string
		how  simtest.Reboot
		read bool
		want func(s *simtest.S, got []byte, err error)
	}{{
		// The server read everything: its host closes with a FIN.
		name: "crash after reading", how: simtest.Crash, read: true,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got, "the deferred Write of a crashed process is not sent")
			assert.ErrorIs(s, err, io.EOF)
		},
	}, {
		// The hello arrived unread: a reset, not the deferred Close's FIN.
		name: "crash with unread data", how: simtest.Crash, read: false,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got)
			assert.True(s, errors.Is(err, syscall.ECONNRESET), "got %v", err)
		},
	}, {
		// A kill's connections end as a crash's: the process is as dead.
		name: "kill after reading", how: simtest.Kill, read: true,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got, "the deferred Write of a killed process is not sent")
			assert.ErrorIs(s, err, io.EOF)
		},
	}, {
		name: "kill with unread data", how: simtest.Kill, read: false,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got)
			assert.True(s, errors.Is(err, syscall.ECONNRESET), "got %v", err)
		},
	}, {
		name: "wipe with unread data", how: simtest.Wipe, read: false,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got)
			assert.True(s, errors.Is(err, syscall.ECONNRESET), "got %v", err)
		},
	}, {
		// Silence: only the reader's own deadline ends its wait.
		name: "power loss", how: simtest.PowerLoss, read: true,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Empty(s, got)
			assert.ErrorIs(s, err, os.ErrDeadlineExceeded)
		},
	}, {
		// A graceful stop's defers act, as they always did.
		name: "graceful", how: simtest.Graceful, read: true,
		want: func(s *simtest.S, got []byte, err error) {
			assert.Equal(s, "goodbye", string(got))
			assert.ErrorIs(s, err, io.EOF)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "server", New: lastWords(tc.read)})
				s.Sleep(time.Second)
				conn := dialAndSay(s)
				c.Stop("server-0", tc.how, simtest.Grace(time.Second))
				require.NoError(s, conn.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(s.Providers().Time.Now().Add(time.Minute)))
				got, err := readToEnd(conn)
				tc.want(s, got, err)
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
		})
	}
}

func TestAPeerOfAMachineThatLostPowerIsResetWhenItSendsAfterTheReboot(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: lastWords(true)})
		s.Sleep(time.Second)
		conn := dialAndSay(s)
		c.Reboot("server-0", simtest.PowerLoss, simtest.DownFor(10*time.Second))
		s.Sleep(time.Second)
		_, err := conn.Write([]byte("still there?"))
		require.NoError(s, err, "the write is buffered; the reset comes back")
		_, err = readToEnd(conn)
		assert.True(s, errors.Is(err, syscall.ECONNRESET), "got %v", err)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
}

func TestAttritionDrawsPowerLosses(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.Wipe, cfg.Attrition.PowerLoss = 0, 0, 0, 1
	require.NoError(t, cfg.Validate(), "power loss alone is a valid attrition")
	boots := map[providers.Boot]int{}
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", Count: 2, New: countingBoots(boots)})
		c.Run(simtest.Phases{Chaos: time.Minute})
	}, simtest.Chaos(cfg), simtest.Seeds(2))
	assert.Positive(t, boots[providers.AfterCrash], "power losses reboot processes, which boot told of a crash")
	assert.Zero(t, boots[providers.AfterGraceful]+boots[providers.AfterWipe])
}

func TestACrashedProcessDeferredRemoveIsNotDone(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "store", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				f, err := p.Storage.Create("pid")
				if err != nil {
					return err
				}
				if _, err := f.Write([]byte("1")); err != nil {
					return err
				}
				if err := f.Sync(); err != nil {
					return err
				}
				f.Close()
				defer p.Storage.Remove("pid") // a clean exit's cleanup
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Sleep(time.Second)
		c.Stop("store-0", simtest.Crash)
		assert.Equal(s, "1", readFile(s, "store-0", "pid"), "the deferred Remove of a crashed process removes nothing")
		c.Start("store-0")
		s.Sleep(time.Second)
		c.Stop("store-0", simtest.Graceful, simtest.Grace(time.Second))
		assert.Contains(s, readFile(s, "store-0", "pid"), "no such file", "a graceful stop's defers act")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
}

// panicsIfCut is a process whose defer panics unless its Run finished: code
// that assumes a defer runs only after a clean end. A crash never runs
// defers outside a simulation, so a crash must not fail the seed by it; a
// graceful stop's leftovers, killed after the grace, run their defers as
// the process would, and the panic is the code's.
func panicsIfCut() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		finished := false
		defer func() {
			if !finished {
				panic("the log was left half written")
			}
		}()
		// Deaf to its context, so that a graceful stop kills it too.
		err := p.Time.Sleep(context.WithoutCancel(ctx), time.Hour)
		finished = true
		return err
	})
}

func TestACrashedProcessDeferThatPanicsDoesNotFailTheSeed(t *testing.T) {
	for _, how := range []simtest.Reboot{simtest.Crash, simtest.Wipe, simtest.PowerLoss} {
		t.Run(how.String(), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				tl := s.Timeline()
				c := s.Boot(simtest.Processes{Name: "server", New: panicsIfCut})
				s.Sleep(time.Second)
				c.Stop("server-0", how)
				s.Sleep(time.Second)
				assert.Equal(s, 1, tl.CountIn("server-0", "panic after crash"), "the timeline tells the panic")
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
		})
	}
}

func TestAGracefulStopsLeftoverDeferThatPanicsFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: panicsIfCut})
		s.Sleep(time.Second)
		c.Stop("server-0", simtest.Graceful, simtest.Grace(time.Second))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, `a deferred call panicked while the kill of process server-0 at 2s unwound task "server-0/main": the log was left half written (`)
}

// reportsIfCut is a process whose defer reports a failure unless its Run
// finished, through report: code that checks, in a defer, that its
// function got to its end.
func reportsIfCut(report func(ctx context.Context)) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			finished := false
			defer func() {
				if !finished {
					report(ctx)
				}
			}()
			// Deaf to its context, so that a graceful stop kills it too.
			err := p.Time.Sleep(context.WithoutCancel(ctx), time.Hour)
			finished = true
			return err
		})
	}
}

// deferredReports are the ways a defer can report a failure: through the
// test's S, and through the assertions of production code.
func deferredReports(s *simtest.S) map[string]func(ctx context.Context) {
	return map[string]func(ctx context.Context){
		"Errorf":      func(context.Context) { s.Errorf("the log was left half written") },
		"Fatalf":      func(context.Context) { s.Fatalf("the log was left half written") },
		"require":     func(context.Context) { require.Fail(s, "the log was left half written") },
		"Always":      func(ctx context.Context) { assertions.Always(ctx, false, "the log was left half written") },
		"Unreachable": func(ctx context.Context) { assertions.Unreachable(ctx, "the log was left half written") },
	}
}

var deferredReportNames = []string{"Errorf", "Fatalf", "require", "Always", "Unreachable"}

func TestACrashedProcessDeferThatReportsAFailureDoesNotFailTheSeed(t *testing.T) {
	for _, how := range []simtest.Reboot{simtest.Crash, simtest.Wipe, simtest.PowerLoss} {
		for _, name := range deferredReportNames {
			t.Run(how.String()+"/"+name, func(t *testing.T) {
				res := simtest.Simulate(func(s *simtest.S) {
					tl := s.Timeline()
					c := s.Boot(simtest.Processes{Name: "server", New: reportsIfCut(deferredReports(s)[name])})
					s.Sleep(time.Second)
					c.Stop("server-0", how)
					s.Sleep(time.Second)
					assert.Equal(s, 1, tl.CountIn("server-0", "error after crash"), "the timeline tells the report")
					for _, e := range tl.Snapshot() {
						if e.Name == "error after crash" {
							assert.Contains(s, e.Msg, "the log was left half written")
							assert.Contains(s, e.Msg, "(reported by a deferred call while the task unwound from its process's crash at 1s; ")
						}
					}
					assert.False(s, s.Failed(), "a crashed process's defer fails nothing")
				}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.AllowGaps())
				assert.True(t, res.OK(), res.Report)
			})
		}
	}
}

func TestAGracefulStopsLeftoverDeferThatReportsAFailureFailsTheSeed(t *testing.T) {
	for _, name := range deferredReportNames {
		t.Run(name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "server", New: reportsIfCut(deferredReports(s)[name])})
				s.Sleep(time.Second)
				c.Stop("server-0", simtest.Graceful, simtest.Grace(time.Second))
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.AllowGaps())
			assert.Equal(t, 1, res.Failed)
			assert.Contains(t, res.Report, "the log was left half written")
		})
	}
}

// callsIfCut is a process whose defer calls call unless its Run finished,
// and whose first defer, which runs last, sets *unwound: it tells that the
// task went on unwinding past the call.
func callsIfCut(call func(ctx context.Context), unwound *bool) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			finished := false
			defer func() { *unwound = true }()
			defer func() {
				if !finished {
					call(ctx)
				}
			}()
			// Deaf to its context, so that a graceful stop kills it too.
			err := p.Time.Sleep(context.WithoutCancel(ctx), time.Hour)
			finished = true
			return err
		})
	}
}

// deferredSkips are the ways a defer can skip through the test's S, and
// what the timeline says of each.
var deferredSkips = []struct {
	name string
	skip func(s *simtest.S)
	says string
}{
	{"Skip", func(s *simtest.S) { s.Skip("the disk is", "gone") }, "the disk is gone"},
	{"Skipf", func(s *simtest.S) { s.Skipf("the disk is %s", "gone") }, "the disk is gone"},
	{"SkipNow", func(s *simtest.S) { s.SkipNow() }, "SkipNow was called"},
}

func TestACrashedProcessDeferThatSkipsSkipsNothing(t *testing.T) {
	for _, how := range []simtest.Reboot{simtest.Crash, simtest.Wipe, simtest.PowerLoss} {
		for _, tc := range deferredSkips {
			t.Run(how.String()+"/"+tc.name, func(t *testing.T) {
				res := simtest.Simulate(func(s *simtest.S) {
					tl := s.Timeline()
					unwound := false
					c := s.Boot(simtest.Processes{Name: "server", New: callsIfCut(func(context.Context) { tc.skip(s) }, &unwound)})
					s.Sleep(time.Second)
					c.Stop("server-0", how)
					s.Sleep(time.Second)
					assert.True(s, unwound, "the task unwinds on past the skip")
					assert.False(s, s.Skipped(), "a crashed process's defer skips nothing")
					require.Equal(s, 1, tl.CountIn("server-0", "skip after crash"), "the timeline tells the skip")
					for _, e := range tl.Snapshot() {
						if e.Name == "skip after crash" {
							assert.Contains(s, e.Msg, "crash_external_test.go:")
							assert.Contains(s, e.Msg, ": "+tc.says+" (asked for by a deferred call while the task unwound from its process's crash at 1s; ")
						}
					}
				}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.AllowGaps())
				assert.True(t, res.OK(), res.Report)
				assert.False(t, res.Skipped, res.Report)
				assert.Equal(t, 2, res.Passed, "every seed runs, and passes")
			})
		}
	}
}

func TestALiveTasksSkipStillSkips(t *testing.T) {
	for _, tc := range deferredSkips {
		t.Run("process/"+tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				s.Boot(simtest.Processes{Name: "server", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						tc.skip(s)
						return nil
					})
				}})
				s.Sleep(time.Second)
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.AllowGaps())
			assert.True(t, res.Skipped, res.Report)
			assert.Equal(t, 1, res.Seeds, "the Run ends at the skip")
		})
		// A graceful stop's leftover, killed after the grace, acts as the
		// process would: its defer's skip is the code's.
		t.Run("graceful/"+tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				unwound := false
				c := s.Boot(simtest.Processes{Name: "server", New: callsIfCut(func(context.Context) { tc.skip(s) }, &unwound)})
				s.Sleep(time.Second)
				c.Stop("server-0", simtest.Graceful, simtest.Grace(time.Second))
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.AllowGaps())
			assert.True(t, res.Skipped, res.Report)
			assert.Equal(t, 1, res.Seeds, "the Run ends at the skip")
		})
	}
}

// envCrashKey is the variable a crashed process's defer sets in
// TestACrashedProcessDeferThroughTheSFailsNothing.
const envCrashKey = "MOONPOOL_TEST_SET_BY_A_CRASHED_DEFER"

func TestACrashedProcessDeferThroughTheSFailsNothing(t *testing.T) {
	never := errors.New("the crashed process's check ran")
	for _, tc := range []struct {
		name string
		call func(s *simtest.S)
	}{
		// What registers a function that runs in the live seed registers
		// nothing: the function would fail the seed.
		{"Cleanup", func(s *simtest.S) { s.Cleanup(func() { s.Errorf("the crashed process's cleanup ran") }) }},
		{"Invariant", func(s *simtest.S) { s.Invariant("the crashed process's invariant", func() error { return never }) }},
		{"Eventually", func(s *simtest.S) {
			s.Eventually("the crashed process's liveness", time.Second, func() error { return never })
		}},
		// The rest fail nothing either, and the S's own undoing of
		// what a call did still happens at the seed's end.
		{"Log", func(s *simtest.S) { s.Log("the log was left half written") }},
		{"Output", func(s *simtest.S) { _, _ = io.WriteString(s.Output(), "the log was left half written\n") }},
		{"Go", func(s *simtest.S) {
			s.Go("late", func(context.Context) error { s.Errorf("a crashed process's task ran"); return nil })
		}},
		{"Sleep", func(s *simtest.S) { s.Sleep(time.Second); s.Errorf("a crashed process's Sleep returned") }},
		{"TempDir", func(s *simtest.S) { _ = s.TempDir() }},
		{"Setenv", func(s *simtest.S) { s.Setenv(envCrashKey, "1") }},
	} {
		for _, how := range []simtest.Reboot{simtest.Crash, simtest.Wipe, simtest.PowerLoss} {
			t.Run(tc.name+"/"+how.String(), func(t *testing.T) {
				res := simtest.Simulate(func(s *simtest.S) {
					_, set := os.LookupEnv(envCrashKey)
					require.False(s, set, "an earlier seed's Setenv was put back")
					unwound := false
					c := s.Boot(simtest.Processes{Name: "server", New: callsIfCut(func(context.Context) { tc.call(s) }, &unwound)})
					s.Sleep(time.Second)
					c.Stop("server-0", how)
					s.Sleep(time.Second)
					assert.True(s, unwound, "the task unwinds on")
				}, simtest.Chaos(chaos.Off()), simtest.Seeds(2), simtest.AllowGaps())
				assert.True(t, res.OK(), res.Report)
				assert.Equal(t, 2, res.Passed)
			})
		}
	}
}

// unlocksTwice is a process whose two tasks share a Mutex. The first
// defers its Unlock, then unlocks by hand to let the second in while it
// waits: a kill that unwinds both runs one Unlock too many, and the last
// deferred Unlock panics. deferAt is set to the line of the second task's
// defer statement.
func unlocksTwice(deferAt *int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			m := providers.NewMutex(p.Task)
			deaf := context.WithoutCancel(ctx) // so that a graceful stop kills the tasks
			p.Task.Go(ctx, "first", func(ctx context.Context) error {
				if err := m.Lock(ctx); err != nil {
					return err
				}
				defer m.Unlock()
				m.Unlock()
				return p.Time.Sleep(deaf, time.Hour)
			})
			p.Task.Go(ctx, "second", func(ctx context.Context) error {
				if err := p.Time.Sleep(ctx, time.Millisecond); err != nil { // after the first
					return err
				}
				if err := m.Lock(ctx); err != nil {
					return err
				}
				_, _, *deferAt, _ = runtime.Caller(0)
				defer m.Unlock()
				return p.Time.Sleep(deaf, time.Hour)
			})
			return p.Time.Sleep(deaf, time.Hour)
		})
	}
}

// A deferred call that panics while a kill unwinds its task fails the
// seed at the line that deferred it, with the stack of that panic, not
// that of the kill's: here an Unlock that a dying task's other deferred
// Unlock made one too many.
func TestADeferredCallThatPanicsAsAKillUnwindsIsReportedAtItsDefer(t *testing.T) {
	var deferAt int
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: unlocksTwice(&deferAt)})
		s.Sleep(time.Second)
		c.Stop("server-0", simtest.Graceful, simtest.Grace(time.Second))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed, res.Report)
	site := fmt.Sprintf("crash_external_test.go:%d", deferAt+1)
	assert.Contains(t, res.Report, site+`: panic at 2s in task "server-0/second": a deferred call panicked while the kill of process server-0 at 2s `+
		`unwound task "server-0/second": providers: unlock of unlocked Mutex (`)
	stack := regexp.MustCompile(`(?s)stack of task "server-0/second":\n(.*?)\n  [a-z]`).FindStringSubmatch(res.Report)
	require.Len(t, stack, 2, res.Report)
	assert.Regexp(t, `^\s+github.com/moonpool-go/moonpool/providers.\(\*Mutex\).Unlock\n\s+\S+/providers/mutex.go:\d+\n`+
		`\s+github.com/moonpool-go/moonpool/simtest_test\.\S*unlocksTwice\S*\n\s+\S+/`+regexp.QuoteMeta(site)+`$`, stack[1],
		"the stack is the Unlock's, down to its defer statement, not where the kill found the task")
	assert.NotContains(t, res.Report, "kill recovered")
}
