package simtest_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// retryStorm is a server that answers one request each 10ms, and clients
// that send one new request each 20ms and resend a request that has gone
// 50ms unanswered. The server stalls for a second, a queue builds, and the
// clients start resending. When planted, the server serves every copy it
// holds, even of requests it has answered already, so it spends its time
// on answers no one waits for: the resends outgrow it, and the backlog
// never drains after the stall ends. The fix drops copies of answered
// requests.
func retryStorm(s *simtest.S, planted bool) {
	type copyOf struct{ id int }
	var queue []copyOf                     // copies of requests, in the order they arrived
	outstanding := map[int]time.Duration{} // id -> first sent
	lastSent := map[int]time.Duration{}
	next := 0
	stalled := false

	s.Eventually("no request waits longer than 100ms", 5*time.Second, func() error {
		for id, first := range outstanding {
			if wait := s.Elapsed() - first; wait > 100*time.Millisecond {
				return fmt.Errorf("request %d has waited %v (%d waiting, %d copies queued)", id, wait, len(outstanding), len(queue))
			}
		}
		return nil
	})
	s.Go("clients", func(ctx context.Context) error {
		for range 300 {
			outstanding[next], lastSent[next] = s.Elapsed(), s.Elapsed()
			queue = append(queue, copyOf{next})
			next++
			s.Sleep(20 * time.Millisecond)
		}
		return nil
	})
	s.Go("resender", func(ctx context.Context) error {
		for {
			s.Sleep(10 * time.Millisecond)
			for id := range next {
				if _, ok := outstanding[id]; ok && s.Elapsed()-lastSent[id] >= 50*time.Millisecond {
					lastSent[id] = s.Elapsed()
					queue = append(queue, copyOf{id})
				}
			}
		}
	})
	s.Go("server", func(ctx context.Context) error {
		for {
			if len(queue) == 0 || stalled {
				s.Sleep(time.Millisecond)
				continue
			}
			c := queue[0]
			queue = queue[1:]
			if _, waiting := outstanding[c.id]; !waiting && !planted {
				continue // answered already
			}
			s.Sleep(10 * time.Millisecond)
			delete(outstanding, c.id)
		}
	})
	s.Sleep(500 * time.Millisecond)
	stalled = true
	s.Sleep(time.Second)
	stalled = false
	s.Quiesce()
	s.Sleep(time.Second)
}

func TestEventuallyCatchesARetryStorm(t *testing.T) {
	r := runIn("TestRetryStorm", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { retryStorm(s, true) }, simtest.Seeds(3))
	})
	require.True(t, r.failed, r.output())
	out := r.output()
	assert.Contains(t, out, `Eventually "no request waits longer than 100ms" failed (eventually_external_test.go:`)
	assert.Contains(t, out, `error="still false 5s after its window opened, when the window of 5s closed; last error: request `)
	assert.Regexp(t, `6\.5s: Eventually "no request waits longer than 100ms" failed`, out, "stamped with the time its window closed")
	assert.Contains(t, out, `eventually "no request waits longer than 100ms": its window of 5s opens`, "the timeline tells when the window opened")
	assert.Regexp(t, `^FAILED Eventually 0 1 1 `, tableLine(t, out, "no request waits longer than 100ms"))

	fixed := runIn("TestRetryStormFixed", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { retryStorm(s, false) }, simtest.Seeds(3))
	})
	require.False(t, fixed.failed, fixed.output())
	assert.Regexp(t, `^ok Eventually 3 0 3 `, tableLine(t, fixed.output(), "no request waits longer than 100ms"))
}

func TestEventuallyOpensWhenClusterRunQuiesces(t *testing.T) {
	var opened time.Duration
	r := runIn("TestEventuallyCluster", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "idle", New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					_ = p.Time.Sleep(ctx, 1000*time.Hour)
					return nil
				})
			}})
			healthy := false
			s.Eventually("the system is healthy", time.Second, func() error {
				if opened == 0 {
					opened = s.Elapsed()
				}
				if !healthy {
					return fmt.Errorf("not yet")
				}
				return nil
			})
			s.Go("healer", func(ctx context.Context) error {
				for !s.Providers().Time.Now().IsZero() {
					if opened > 0 && s.Elapsed() > opened+500*time.Millisecond {
						healthy = true
						return nil
					}
					s.Sleep(100 * time.Millisecond)
				}
				return nil
			})
			c.Run(simtest.Phases{Chaos: 10 * time.Second, Settle: time.Millisecond}, sleeper(2*time.Second))
		}, simtest.Replay(7))
	})
	require.False(t, r.failed, r.output())
	assert.GreaterOrEqual(t, opened, 2*time.Second, "the window opens when the chaos phase ends, not before")
}

// A check's first call comes as its window opens, before anything else
// runs, so that a check can note s.Elapsed() there as the instant the
// faults stopped (docs/assertions.md): at s.Quiesce, and at once for a
// property registered after it.
func TestEventuallyChecksFirstAsItsWindowOpens(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		first := map[string]time.Duration{}
		note := func(name string, until time.Duration) func() error {
			return func() error {
				if _, ok := first[name]; !ok {
					first[name] = s.Elapsed()
				}
				if s.Elapsed() < until {
					return fmt.Errorf("not until %v", until)
				}
				return nil
			}
		}
		s.Eventually("registered before", 5*time.Second, note("registered before", 4*time.Second))
		s.Sleep(1500 * time.Millisecond)
		assert.Empty(s, first, "no check runs before its window opens")
		s.Quiesce()
		assert.Equal(s, map[string]time.Duration{"registered before": 1500 * time.Millisecond}, first)
		s.Sleep(time.Second)
		s.Eventually("registered after", time.Second, note("registered after", 0))
		assert.Equal(s, 2500*time.Millisecond, first["registered after"])
	}, simtest.Seeds(3))
}

// sleeper is a workload that runs for its duration.
type sleeper time.Duration

func (sleeper) Setup(context.Context, providers.Providers) error { return nil }
func (d sleeper) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, time.Duration(d))
}
func (sleeper) Check(context.Context, providers.Providers) error { return nil }

func TestEventuallyWindowThatNeverOpens(t *testing.T) {
	r := runIn("TestEventuallyNeverOpens", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.Eventually("recovers", time.Second, func() error { return nil })
			s.Sleep(time.Second)
		}, simtest.Replay(1))
	})
	require.True(t, r.failed)
	assert.Contains(t, r.output(), `Eventually "recovers" failed (eventually_external_test.go:`)
	assert.Contains(t, r.output(), "its window never opened: the seed ended with its faults still on; run the workload with Cluster.Run, call s.Quiesce")
}

// A seed that a failure cut short, before its faults stopped, reports
// that failure alone: the window that never opened is its consequence,
// and the advice to open it would send the user after a call they made.
func TestEventuallyWindowASeedsFailureKeptShut(t *testing.T) {
	for name, fail := range map[string]func(s *simtest.S, ctx context.Context, p providers.Providers) error{
		"FailNow": func(s *simtest.S, ctx context.Context, p providers.Providers) error {
			s.Fatalf("the lock is held twice")
			return nil
		},
		"wall-clock deadline": func(s *simtest.S, ctx context.Context, p providers.Providers) error {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			return p.Time.Sleep(ctx, time.Millisecond)
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := runIn("TestEventuallyCutShort", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) {
					s.Eventually("recovers", time.Second, func() error { return nil })
					c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return sleeper(time.Hour) }})
					c.Run(simtest.Phases{Chaos: 10 * time.Second}, cutShort(func(ctx context.Context, p providers.Providers) error {
						if err := p.Time.Sleep(ctx, time.Second); err != nil {
							return err
						}
						return fail(s, ctx, p)
					}))
				}, simtest.Replay(1))
			})
			require.True(t, r.failed)
			assert.NotContains(t, r.output(), "never opened", r.output())
		})
	}
}

// cutShort is a workload whose Run is the function.
type cutShort func(ctx context.Context, p providers.Providers) error

func (cutShort) Setup(context.Context, providers.Providers) error       { return nil }
func (f cutShort) Run(ctx context.Context, p providers.Providers) error { return f(ctx, p) }
func (cutShort) Check(context.Context, providers.Providers) error       { return nil }

func TestEventuallyAfterOpensAtItsTimeAndTheSeedWaitsForIt(t *testing.T) {
	var held time.Duration
	r := runIn("TestEventuallyAfter", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			s.EventuallyAfter(2*time.Second, "three seconds pass", 5*time.Second, func() error {
				if s.Elapsed() < 3*time.Second {
					return fmt.Errorf("only %v", s.Elapsed())
				}
				held = s.Elapsed()
				return nil
			})
			s.Go("ticker", func(ctx context.Context) error {
				for {
					s.Sleep(100 * time.Millisecond)
				}
			})
		}, simtest.Replay(1))
	})
	require.False(t, r.failed, r.output())
	assert.Equal(t, 3*time.Second, held, "the body returned at once; the seed waited for the window")
}

func TestEventuallyBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *simtest.S)
		want string
	}{
		{"zero window", func(s *simtest.S) { s.Eventually("drains", 0, func() error { return nil }) },
			`s.Eventually("drains"): the window is 0s; give the system a positive time to recover in`},
		{"negative window", func(s *simtest.S) { s.Eventually("drains", -time.Second, func() error { return nil }) },
			`s.Eventually("drains"): the window is -1s`},
		{"nil check", func(s *simtest.S) { s.Eventually("drains", time.Second, nil) },
			`s.Eventually("drains"): the check is nil`},
		{"after its start", func(s *simtest.S) {
			s.Sleep(2 * time.Second)
			s.EventuallyAfter(time.Second, "drains", time.Second, func() error { return nil })
		}, `s.EventuallyAfter(1s, "drains"): the window would open at 1s, but the seed is already at 2s; register the property before its window opens`},
		{"twice", func(s *simtest.S) {
			s.Eventually("drains", time.Second, func() error { return nil })
			s.Eventually("drains", time.Second, func() error { return nil })
		}, `s.Eventually("drains"): a property of that name is already registered`},
		{"panicking check", func(s *simtest.S) {
			s.Eventually("drains", time.Second, func() error { panic("boom") })
			s.Quiesce()
		}, `Eventually "drains" failed (eventually_external_test.go:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn("TestEventuallyBad", func(r *recorder) { simtest.Run(r, tc.body, simtest.Replay(1)) })
			require.True(t, r.failed)
			assert.Contains(t, r.output(), tc.want)
			if tc.name == "panicking check" {
				assert.Contains(t, r.output(), "the check panicked: boom")
			}
		})
	}
}

func TestEntryAttr(t *testing.T) {
	e := simtest.Entry{Attrs: []slog.Attr{
		slog.Int("n", 3),
		slog.Group("req", slog.String("id", "r-1"), slog.Group("peer", slog.String("host", "10.0.0.2"))),
	}}
	v, ok := e.Attr("n")
	require.True(t, ok)
	assert.Equal(t, int64(3), v.Int64())
	v, ok = e.Attr("req.peer.host")
	require.True(t, ok)
	assert.Equal(t, "10.0.0.2", v.String())
	_, ok = e.Attr("req.missing")
	assert.False(t, ok)
	_, ok = e.Attr("n.x")
	assert.False(t, ok, "a path through a value that is not a group finds nothing")
	assert.True(t, strings.HasPrefix(fmt.Sprint(e.Attr("req")), "[id=r-1"), "a group is found as its value")
}

// The context ends when the body returns, and with it a janitor started
// with s.Go: an Eventually that waited for its work fails, and says which
// task ended and how to keep it running through the window. A janitor on
// a context that outlives the body does its work.
func TestEventuallyNamesTheTasksThatEndedWithTheBody(t *testing.T) {
	body := func(outlive bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			left := 3
			janitor := func(ctx context.Context) error {
				for left > 0 {
					if err := s.Providers().Time.Sleep(ctx, time.Second); err != nil {
						return nil // stops with its context, as a janitor does
					}
					left--
				}
				return nil
			}
			if outlive {
				s.Providers().Task.Go(context.WithoutCancel(s.Context()), "janitor", janitor)
			} else {
				s.Go("janitor", janitor)
			}
			s.Sleep(500 * time.Millisecond)
			s.Quiesce()
			s.Eventually("the janitor empties the table", 5*time.Second, func() error {
				if left > 0 {
					return fmt.Errorf("%d entries left", left)
				}
				return nil
			})
		}
	}
	res := simtest.Simulate(body(false), simtest.Seeds(5))
	require.False(t, res.OK(), "the janitor stopped when the body returned")
	assert.Contains(t, res.Report, `the task it started with s.Go ended with it before the window closed (\"janitor\" at 500ms)`)
	assert.Contains(t, res.Report, "the context ends when the body returns")
	assert.Contains(t, res.Report, "s.Sleep(5s) after s.Eventually")
	assert.Contains(t, res.Report, "context.WithoutCancel(s.Context())")

	res = simtest.Simulate(body(true), simtest.Seeds(5))
	require.True(t, res.OK(), res.Report)
	assert.NotContains(t, res.Report, "ended with it")
}
