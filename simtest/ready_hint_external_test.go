package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

// A check that fails at the instant another task's work is due names
// that task, which had not run yet: tasks due at one instant run in the
// order the seed draws, so the check passes on some seeds only, and
// reads as a flaky test.
func TestAFailureNamesTheTasksDueAtItsInstant(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		left := 1
		s.Go("janitor", func(ctx context.Context) error {
			if err := s.Providers().Time.Sleep(ctx, 5*time.Second); err != nil {
				return err
			}
			left = 0
			return nil
		})
		s.Sleep(5 * time.Second)
		assert.Equal(s, 0, left)
	}, simtest.Seeds(30), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.NotZero(t, res.Failed, res.Report)
	require.NotZero(t, res.Passed, "the order at one instant is the seed's")
	assert.Contains(t, res.Report, `at the instant of the first error, task "janitor" was due and had not run yet: tasks due at one instant run in the order the seed draws, `+
		"so a check made at the instant their work is due sees it on some seeds and not on others; to check their work, sleep past the instant (s.Sleep) or check with S.Eventually\n")

	alone := simtest.Simulate(func(s *simtest.S) {
		s.Go("janitor", func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, time.Second) })
		s.Sleep(5 * time.Second)
		s.Errorf("the condition never held")
	}, simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, alone.Failed)
	assert.NotContains(t, alone.Report, "at the instant of the first error", "no other task was due then")
}

// A task that the failing task started, or woke, since it last yielded
// could not have run before the check on any seed: the failure does not
// name it.
func TestAFailureDoesNotNameTheTasksItsOwnStepMadeReady(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Go("server", func(ctx context.Context) error { return s.Providers().Time.Sleep(ctx, time.Hour) })
		wake := providers.NewChan[struct{}](s.Providers().Task, 1)
		s.Go("waiter", func(ctx context.Context) error { _, _, err := wake.Recv(ctx); return err })
		s.Sleep(time.Second)
		_ = wake.Send(s.Context(), struct{}{}) // wakes the waiter, which has not run since
		s.Go("late", func(ctx context.Context) error { return nil })
		s.Error("config invalid")
	}, simtest.Seeds(10), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.NotContains(t, res.Report, "at the instant of the first error", res.Report)
}

// failsAtStart is a process that fails as it starts, as a program that
// cannot bind its port exits with status 1.
type failsAtStart struct{}

func (failsAtStart) Run(context.Context, providers.Providers) error {
	return errors.New("listen tcp 0.0.0.0:70000: bind: invalid argument")
}

// Processes that fail as they start are no check made too soon: the
// others' starts due at that instant are not named, with advice that fits
// a check alone.
func TestAProcessFailingDoesNotNameTheTasksDueAtItsInstant(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "gossip", Count: 5, New: func() simtest.Process { return failsAtStart{} }})
		s.Sleep(time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "process gossip-")
	assert.NotContains(t, res.Report, "at the instant of the first error", res.Report)
}

// A panic that a handler raised and simhttp recovered is no check made
// too soon either: the tasks due at its instant are not named.
func TestARecoveredPanicDoesNotNameTheTasksDueAtItsInstant(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		p := s.HostProviders("10.0.0.1")
		// untilSecond sleeps until the next whole second of the clock:
		// the handler and the tickers are due at the same instants.
		untilSecond := func(ctx context.Context, p providers.Providers) error {
			return p.Time.Sleep(ctx, time.Second-time.Duration(p.Time.Now().UnixNano())%time.Second)
		}
		srv := &simhttp.Server{Providers: p, Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_ = untilSecond(r.Context(), p)
			panic("assignment to entry in nil map")
		})}
		l, err := p.Network.Listen(s.Context(), ":80")
		require.NoError(s, err)
		p.Task.Go(s.Context(), "http server", func(ctx context.Context) error { return srv.Serve(ctx, l) })
		for i := range 5 {
			s.Go(fmt.Sprintf("ticker %d", i), func(ctx context.Context) error {
				for untilSecond(ctx, s.Providers()) == nil {
				}
				return nil
			})
		}
		if resp, err := simhttp.NewClient(s.Providers()).Get("http://10.0.0.1/"); err == nil {
			_ = resp.Body.Close()
		}
		s.Sleep(time.Second)
	}, simtest.Seeds(5), simtest.Chaos(chaos.Off()), simtest.KeepGoing(), simtest.KeepFailures(false))
	require.Equal(t, 5, res.Failed, res.Report)
	assert.Contains(t, res.Report, "simhttp: handler panic serving GET /")
	assert.NotContains(t, res.Report, "at the instant of the first error", res.Report)
}
