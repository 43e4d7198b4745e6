package rpc_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// unlockingServer is a process that serves at WellKnown(1) a handler that
// holds a Mutex of the process while it waits, deaf to its context, so
// that a graceful stop's grace ends with it killed. A request for 0
// unlocks by hand before it waits, and its deferred Unlock then unlocks
// what another handler holds: as a kill unwinds both, one Unlock is one
// too many, and panics. deferAt is set to the line of the defer.
func unlockingServer(deferAt *int) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
			if err != nil {
				return err
			}
			m := providers.NewMutex(p.Task)
			if _, err := rpc.Serve(tr, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
				if err := m.Lock(ctx); err != nil {
					return echoResp{}, err
				}
				_, _, *deferAt, _ = runtime.Caller(0)
				defer m.Unlock()
				if r.N == 0 {
					m.Unlock()
				}
				return echoResp{}, p.Time.Sleep(context.WithoutCancel(ctx), time.Hour)
			}); err != nil {
				return err
			}
			return providers.Wait(ctx, p.Task)
		})
	}
}

// A handler's deferred call that panics while a kill unwinds the handler
// fails the seed as a panic of the code, at the defer, and the server's
// recover lets the kill go on: no "kill recovered" blames the server's
// wrapper, and the handler's task ends killed.
func TestAHandlersDeferThatPanicsAsAKillUnwindsItFailsTheSeedAtTheDefer(t *testing.T) {
	var deferAt int
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "srv", New: unlockingServer(&deferAt)})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
		require.NoError(s, ep.Send(s.Context(), client, echoReq{0}))
		s.Sleep(time.Second)
		require.NoError(s, ep.Send(s.Context(), client, echoReq{1}))
		s.Sleep(time.Second)
		c.Stop("srv-0", simtest.Graceful, simtest.Grace(time.Second))
	}, quiet...)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, fmt.Sprintf(`unwind_external_test\.go:%d: panic at 2s in task "srv-0/rpc handler wellknown/1": `, deferAt+1)+
		`a deferred call panicked while the kill of process srv-0 at 2s unwound task "srv-0/rpc handler wellknown/1": `+
		`providers: unlock of unlocked Mutex \(`, res.Report)
	assert.Contains(t, res.Report, "providers.(*Mutex).Unlock\n", "the stack is the Unlock's")
	assert.NotContains(t, res.Report, "kill recovered")
	assert.NotContains(t, res.Report, "rpc.(*server", "the server's own frames are trimmed")
}

// A crashed process runs no defers outside a simulation: a handler's
// deferred call that panics as the crash unwinds it is noted, as the
// engine notes a task's own (simtest's TestACrashedProcessDeferThatPanicsDoesNotFailTheSeed),
// not failed, and the server's recover lets the kill go on.
func TestAHandlersDeferThatPanicsAsACrashUnwindsItIsNoted(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
				if err != nil {
					return err
				}
				if _, err := rpc.Serve(tr, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
					done := false
					defer func() {
						if !done {
							panic("the write was cut short")
						}
					}()
					err := p.Time.Sleep(ctx, time.Hour)
					done = true
					return echoResp{}, err
				}); err != nil {
					return err
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		addr := c.Peers()[0].Host + ":4500"
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		require.NoError(s, rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1)).Send(s.Context(), client, echoReq{}))
		s.Sleep(time.Second)
		c.Stop("srv-0", simtest.Crash)
		s.Sleep(time.Second)
		assert.Equal(s, 1, tl.CountIn("srv-0", "panic after crash"), "the timeline tells the panic")
		assert.Zero(s, tl.CountIn("srv-0", "failed"), "no task of the process failed")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(5))
	assert.Zero(t, res.Failed, res.Report)
}
