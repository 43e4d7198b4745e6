package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// A handler's context, kept past its answer by a task of the handler's,
// reads as cancelled, with the cause Canceled, and its deadline passing
// later changes nothing, whether its caller could cancel it or not.
func TestAHandlersContextKeptPastItsAnswerIsCanceled(t *testing.T) {
	for _, cancelable := range []bool{false, true} {
		for _, deadline := range []bool{false, true} {
			t.Run(fmt.Sprintf("cancelable=%v,deadline=%v", cancelable, deadline), func(t *testing.T) {
				simtest.Run(t, func(s *simtest.S) {
					server, client := newPair(s)
					type seen struct{ err, cause error }
					var at []seen
					ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
						server.Providers().Task.Go(ctx, "keeper", func(context.Context) error {
							for range 3 {
								_ = server.Providers().Time.Sleep(context.Background(), 5*time.Second)
								at = append(at, seen{ctx.Err(), context.Cause(ctx)})
							}
							return nil
						})
						return echoResp{r.N}, nil
					})
					require.NoError(s, err)
					ctx := s.Context()
					if deadline {
						ctx = within(s, 7*time.Second)
					}
					if cancelable {
						var cancel context.CancelFunc
						ctx, cancel = context.WithCancel(ctx)
						defer cancel()
					}
					_, err = ep.GetReply(ctx, client, echoReq{N: 1})
					require.NoError(s, err)
					s.Sleep(20 * time.Second)
					require.Len(s, at, 3)
					for i, a := range at {
						if !cancelable && !deadline {
							assert.NoError(s, a.err, "check %d: the connection's context", i)
							continue
						}
						assert.Equal(s, context.Canceled, a.err, "check %d", i)
						assert.Equal(s, context.Canceled, a.cause, "check %d", i)
					}
				}, quiet...)
			})
		}
	}
}

// A server crashed while its handler waits, its caller's deadline
// pending: the deadline passes with nothing of the old incarnation left
// to end, the caller gets its error, and the new incarnation answers.
func TestAServerCrashedWithADeadlinePending(t *testing.T) {
	for _, cancelable := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancelable=%v", cancelable), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
				addr := c.Peers()[0].Host + ":4500"
				client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
				require.NoError(s, err)
				block := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(2))
				var calls []providers.Handle
				for i := range 3 {
					calls = append(calls, s.Go(fmt.Sprintf("call%d", i), func(ctx context.Context) error {
						ctx, cancel := s.Providers().Time.WithTimeout(ctx, time.Duration(5+i)*time.Second)
						defer cancel()
						if cancelable {
							var stop context.CancelFunc
							ctx, stop = context.WithCancel(ctx)
							defer stop()
						}
						_, err := block.GetReply(ctx, client, echoReq{})
						return err
					}))
				}
				s.Sleep(time.Second)
				c.Reboot("srv-0", simtest.Crash, simtest.DownFor(time.Second))
				for _, call := range calls {
					err := call.Join(s.Context())
					require.Error(s, err)
					assert.True(s, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rpc.ErrBrokenPromise), "%v", err)
				}
				s.Sleep(time.Minute)
				double := rpc.At[echoReq, echoResp](addr, rpc.WellKnown(1))
				r, err := double.GetReply(s.Context(), client, echoReq{N: 2})
				require.NoError(s, err)
				assert.Equal(s, 4, r.N)
			}, quiet...)
		})
	}
}
