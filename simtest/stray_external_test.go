package simtest_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// strayFix is the sentence every stray report ends with.
const strayFix = "start it with the Task provider (p.Task.Go); for net/http, serve and dial through adapters that run connections as tasks; a library that starts goroutines of its own (grpc-go) runs in a program (docs/programs.md)"

// strayed runs body over one seed and returns what the Run reported. The
// body's stray goroutine ends at its first call into the simulation: no
// goroutine is left behind (TestMain checks with goleak).
func strayed(t *testing.T, body func(s *simtest.S), opts ...simtest.Option) string {
	t.Helper()
	r := runIn("TestStray", func(r *recorder) { simtest.Run(r, body, append(opts, simtest.Seeds(1))...) })
	require.True(t, r.failed, r.output())
	out := r.output()
	assert.Contains(t, out, "stray goroutine at ")
	assert.Contains(t, out, "a goroutine that the simulation does not run called into it")
	assert.Contains(t, out, strayFix)
	assert.Contains(t, out, "replay: go test -run '^TestStray$' ./simtest -simseed=")
	assert.Contains(t, out, "stack of the stray goroutine:")
	return out
}

// goAndWait runs f on a goroutine started with a go statement, and waits
// (on the wall clock) until it has ended: a stray goroutine's call into
// the simulation ends it.
func goAndWait(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestStrayGoroutineSleepFailsTheSeed(t *testing.T) {
	returned := false
	out := strayed(t, func(s *simtest.S) {
		p := s.Providers()
		goAndWait(func() {
			_ = p.Time.Sleep(s.Context(), time.Second)
			returned = true
		})
		s.Sleep(time.Second)
		s.Error("the seed went on after a stray call")
	})
	assert.Contains(t, out, "(Sleep)")
	assert.Contains(t, out, "TestStrayGoroutineSleepFailsTheSeed.func", "the stack shows the stray goroutine's code")
	assert.NotContains(t, out, "the seed went on")
	assert.False(t, returned, "the stray call does not return")
}

func TestStrayGoroutineChanSendFailsTheSeed(t *testing.T) {
	out := strayed(t, func(s *simtest.S) {
		p := s.Providers()
		ch := providers.NewChan[int](p.Task, 1) // room: the send would not even park
		goAndWait(func() { _ = ch.Send(s.Context(), 1) })
		s.Sleep(time.Second)
		assert.Equal(s, 0, ch.Len(), "the stray send changed nothing")
	})
	assert.Contains(t, out, "(chan send)")
}

func TestStrayGoroutineConnWriteFailsTheSeed(t *testing.T) {
	out := strayed(t, func(s *simtest.S) {
		p := s.Providers()
		echoOn(s, "10.0.0.1")
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		goAndWait(func() { _, _ = c.Write([]byte("hello")) })
		s.Sleep(time.Second)
	})
	assert.Contains(t, out, "(net write)")
}

// A stray call that comes after its seed ended can no longer fail the
// seed: it fails the test, naming the seed.
func TestStrayCallAfterItsSeedEndedFailsTheTest(t *testing.T) {
	r := afterItsSeed("TestStray", func(s *simtest.S) func() {
		p := s.Providers()
		return func() { _ = p.Time.Sleep(context.Background(), time.Second) }
	})
	require.True(t, r.failed, r.output())
	out := r.output()
	assert.Contains(t, out, "failed after it ended: stray goroutine at 0s: after the run ended, a goroutine that the simulation does not run called into it (Sleep)")
	assert.Contains(t, out, "replay: go test -run '^TestStray$' ./simtest -simseed=")
	assert.Contains(t, out, strayFix)
	assert.Contains(t, out, "TestStrayCallAfterItsSeedEndedFailsTheTest.func")
}

// A deadline's deferred cancel that runs after its seed ended, on a
// goroutine of the test's or on the test itself, is no stray call: it
// only ends its context, as package context's cancel would.
func TestADeadlineCancelAfterItsSeedEndedIsNoStrayCall(t *testing.T) {
	var kept []context.Context
	var cancels []context.CancelFunc
	r := afterItsSeed("TestLateCancel", func(s *simtest.S) func() {
		p := s.Providers()
		_, late := p.Time.WithTimeout(s.Context(), time.Hour)
		ctx, cancel := p.Time.WithDeadline(s.Context(), p.Time.Now().Add(time.Minute))
		kept, cancels = append(kept, ctx), append(cancels, cancel)
		return late
	})
	require.False(t, r.failed, r.output())
	for _, cancel := range cancels {
		assert.NotPanics(t, func() { cancel() })
	}
	for _, ctx := range kept {
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
	}
}

// afterItsSeed runs two seeds of a test named name. The first seed runs
// first, and the function first returns runs on a goroutine of its own
// once that seed is over, while the second seed waits for it.
func afterItsSeed(name string, first func(s *simtest.S) func()) *recorder {
	proceed, done := make(chan struct{}), make(chan struct{})
	seeds := 0
	return runIn(name, func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			seeds++
			if seeds == 2 {
				close(proceed) // the first seed is over
				<-done
				return
			}
			late := first(s)
			go func() {
				defer close(done)
				<-proceed
				late()
			}()
		}, simtest.Seeds(2))
	})
}

// net/http's server runs each connection on a goroutine of its own: served
// on a simulated listener, that goroutine is stray.
func TestHTTPServerOnASimulatedListenerFailsTheSeed(t *testing.T) {
	out := strayed(t, func(s *simtest.S) {
		server := s.HostProviders("10.0.0.1")
		l, err := server.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })}
		server.Task.Go(s.Context(), "http", func(ctx context.Context) error { return srv.Serve(l) })
		p := s.Providers()
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:80")
		require.NoError(s, err)
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(s, err)
		buf := make([]byte, 512)
		_ = c.SetReadDeadline(p.Time.Now().Add(time.Minute))
		_, err = c.Read(buf)
		require.NoError(s, err, "no answer comes: the server's connection goroutine is stray")
	})
	assert.Contains(t, out, "net/http.(*conn).serve")
}

// net/http's client dials, reads and writes on goroutines of its own: a
// Transport that dials the simulated network is stray too. The task that
// waits for the dial waits on the Transport's channels, outside the
// simulation: the watchdog gives the seed up at its next look, a sixteenth
// of its period, and reports the stray call.
func TestHTTPClientOnTheSimulatedNetworkFailsTheSeed(t *testing.T) {
	// The request's context is the wall clock's, so that the abandoned
	// task can be released when the test is over.
	rctx, release := context.WithCancel(context.Background())
	defer release()
	out := strayed(t, func(s *simtest.S) {
		echoOn(s, "10.0.0.1")
		p := s.Providers()
		client := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return p.Network.Dial(ctx, "10.0.0.1:7")
			},
		}}
		req, err := http.NewRequestWithContext(rctx, "GET", "http://10.0.0.1:7/", nil)
		require.NoError(s, err)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}, simtest.Watchdog(5*time.Second)) // a bound only: long, so that the stray dial comes before it
	assert.Contains(t, out, "(net dial)")
	assert.Contains(t, out, "net/http.(*Transport)")
}

func TestStrayGoroutineAssertionFailsTheSeed(t *testing.T) {
	out := strayed(t, func(s *simtest.S) {
		goAndWait(func() { assertions.Always(s.Context(), true, "checked on a stray goroutine") })
		s.Sleep(time.Second)
	}, simtest.AllowGaps())
	assert.Contains(t, out, "(an assertion)")
}

func TestStrayGoroutineDiskWriteFailsTheSeed(t *testing.T) {
	out := strayed(t, func(s *simtest.S) {
		f, err := s.Storage().Create("data")
		require.NoError(s, err)
		goAndWait(func() { _, _ = f.Write([]byte("hello")) })
		s.Sleep(time.Second)
	})
	assert.Contains(t, out, "(file write)")
}

// A stray call after its seed ended, under Simulate, names the option
// that replays the seed: there is no go test command to run.
func TestStrayCallAfterItsSeedEndedUnderSimulate(t *testing.T) {
	var late func()
	res := simtest.Simulate(func(s *simtest.S) {
		if late != nil {
			goAndWait(late) // on a goroutine of no simulation's
			return
		}
		p := s.Providers()
		late = func() { _ = p.Time.Sleep(context.Background(), time.Second) }
	}, simtest.Seeds(2))
	assert.Contains(t, res.Report, "failed after it ended")
	assert.Regexp(t, `replay: simtest\.Replay\(\d+\)\n`, res.Report)
	assert.NotContains(t, res.Report, "go test")
}

// TestAStrayCallIntoAnEndedSeedIsNotTheRunningSeeds: the stray call into
// the first seed's world comes while the second seed runs; it fails the
// test naming the first seed, and the second, which did nothing wrong,
// passes.
func TestAStrayCallIntoAnEndedSeedIsNotTheRunningSeeds(t *testing.T) {
	var late func()
	res := simtest.Simulate(func(s *simtest.S) {
		if late != nil {
			goAndWait(late)
			late = nil
			return
		}
		p := s.Providers()
		late = func() { _ = p.Time.Sleep(context.Background(), time.Second) }
	}, simtest.Seeds(3))
	require.Len(t, res.PerSeed, 3, res.Report)
	first := strconv.FormatUint(res.PerSeed[0].Seed, 10)
	assert.Contains(t, res.Report, "simtest: seed "+first+" failed after it ended")
	assert.NotContains(t, res.Report, "failed through its own testing.T")
	assert.Equal(t, 3, res.Passed, "every seed passed; the test failed")
}

// A task that waits outside the simulation for a stray goroutine (here on
// a raw channel the stray goroutine never gets to send on) is given up by
// the watchdog. Its seed's trace still names the run: not zero, the same
// on a replay and under CheckDeterminism, another for another seed; and
// its failure is told at the simulated time it came.
func TestAStrayCallTheTaskWaitsForKeepsTheTrace(t *testing.T) {
	release := make(chan struct{})
	defer close(release) // the given-up tasks come back, and unwind
	body := func(first bool) func(s *simtest.S) {
		return func(s *simtest.S) {
			if !first {
				s.Sleep(time.Second)
			}
			p := s.Providers()
			sent := make(chan struct{})
			go func() {
				_ = p.Time.Sleep(context.Background(), time.Second)
				close(sent)
			}()
			select {
			case <-sent:
			case <-release:
			}
		}
	}
	for _, first := range []bool{true, false} {
		opts := []simtest.Option{simtest.Watchdog(160 * time.Millisecond), simtest.KeepGoing()}
		res := simtest.Simulate(body(first), append(opts, simtest.Seeds(2))...)
		require.Len(t, res.PerSeed, 2, res.Report)
		a, b := res.PerSeed[0], res.PerSeed[1]
		assert.NotZero(t, a.Trace, res.Report)
		assert.NotZero(t, b.Trace, res.Report)
		assert.NotEqual(t, a.Trace, b.Trace, "the trace names the seed")
		assert.NotContains(t, res.Report, "trace=0000000000000000")
		at := "stray goroutine at 0s"
		if !first {
			at = "stray goroutine at 1s"
		}
		assert.Contains(t, res.Report, at)

		again := simtest.Simulate(body(first), append(opts, simtest.Replay(a.Seed))...)
		require.Len(t, again.PerSeed, 1, again.Report)
		assert.Equal(t, a.Trace, again.PerSeed[0].Trace, "a replay reaches the same trace")

		checked := simtest.Simulate(body(first), append(opts, simtest.Replay(a.Seed), simtest.CheckDeterminism())...)
		require.Len(t, checked.PerSeed, 1, checked.Report)
		assert.Equal(t, a.Trace, checked.PerSeed[0].Trace)
		assert.NotContains(t, checked.Report, "not deterministic")
	}
}

// Under CheckDeterminism, a seed the watchdog gave up runs once, and the
// report says why it was not checked: its task has not come back, and a
// second run would leave a second goroutine waiting beside it until what
// it waits on comes, if it ever does.
func TestAGivenUpSeedIsNotRunAgainByTheCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		wait func(s *simtest.S, release <-chan struct{})
		why  string
	}{
		{"blocked", func(_ *simtest.S, release <-chan struct{}) { <-release }, "its task blocked outside the simulation;"},
		{"stray", func(s *simtest.S, release <-chan struct{}) {
			p := s.Providers()
			sent := make(chan struct{})
			go func() {
				_ = p.Time.Sleep(context.Background(), time.Second) // ends this goroutine
				close(sent)
			}()
			select {
			case <-sent:
			case <-release:
			}
		}, "its task blocked outside the simulation (waiting for a goroutine that its stray call ended);"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			release := make(chan struct{})
			var runs, waiting atomic.Int32
			res := simtest.Simulate(func(s *simtest.S) {
				runs.Add(1)
				waiting.Add(1)
				defer waiting.Add(-1)
				c.wait(s, release)
			}, simtest.Seeds(1), simtest.Watchdog(160*time.Millisecond), simtest.CheckDeterminism())
			assert.Equal(t, int32(1), runs.Load(), "the seed ran once")
			assert.Equal(t, int32(1), waiting.Load(), "one goroutine is left waiting")
			assert.Equal(t, 1, res.Failed, res.Report)
			assert.Contains(t, res.Report, "not checked for determinism: the watchdog gave the seed up, "+c.why+
				" a second run would leave behind a second goroutine that Go cannot stop")
			assert.NotContains(t, res.Report, "not deterministic")
			close(release)
			goleak.VerifyNone(t, before) // waits for the seed's goroutines to end
			assert.Zero(t, waiting.Load())
		})
	}
}
