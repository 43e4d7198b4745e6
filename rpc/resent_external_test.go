package rpc_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestResendIsCountedAndLogged cuts the connection while three requests
// to two endpoints wait for their replies: the next connection resends
// them, and the transport counts them in Stats.Resent and logs one line
// that names the peer, how many, the connection and the endpoints, so
// that a second delivery shows in the seed's timeline.
func TestResendIsCountedAndLogged(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		server, client := newPair(s)
		slow := func(ctx context.Context, r echoReq) (echoResp, error) {
			// Slow the first time: the connection is cut meanwhile.
			if r.N > 0 {
				if err := server.Providers().Time.Sleep(ctx, 10*time.Second); err != nil {
					return echoResp{}, err
				}
			}
			return echoResp{r.N}, nil
		}
		deposit, err := rpc.Serve(server, rpc.WellKnown(1), slow)
		require.NoError(s, err)
		withdraw, err := rpc.Serve(server, rpc.WellKnown(2), slow)
		require.NoError(s, err)

		// A round trip first: a request answered on its first connection
		// is not a resend.
		_, err = deposit.GetReply(s.Context(), client, echoReq{})
		require.NoError(s, err)
		require.Zero(s, client.Stats().Resent)

		var calls []providers.Handle
		for i, ep := range []rpc.Endpoint[echoReq, echoResp]{deposit, deposit, withdraw} {
			calls = append(calls, s.Go("call", func(ctx context.Context) error {
				_, err := ep.GetReply(ctx, client, echoReq{N: i + 1})
				return err
			}))
		}
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(8 * time.Second) // past PingTimeout: the connection ends
		s.Network().Heal()
		for _, c := range calls {
			require.NoError(s, c.Join(s.Context()))
		}

		assert.Equal(s, uint64(3), client.Stats().Resent)
		assert.Zero(s, server.Stats().Resent, "a server's replies are never resent")
		var lines []string
		for _, e := range tl.Snapshot() {
			if strings.HasPrefix(e.Msg, "rpc: resent") {
				lines = append(lines, e.String())
			}
		}
		require.Len(s, lines, 1, "one line for the one reconnect")
		line := lines[0]
		assert.Contains(s, line, "rpc: resent 3 requests to 10.0.0.1:4500 on a new connection")
		// The endpoints in the order their requests were queued, which the
		// seed decides.
		_, requests, _ := strings.Cut(line, " requests=")
		assert.ElementsMatch(s, []string{"wellknown/1 x2", "wellknown/2 x1"}, strings.Split(requests, ", "))
		assert.Regexp(s, `conn=10\.0\.0\.2:\d+->10\.0\.0\.1:4500`, line)
	}, quiet...)
}

// TestResendOfOneRequestReadsSingular: one request resent is "1 request".
func TestResendOfOneRequestReadsSingular(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		server, client := newPair(s)
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			return echoResp{}, server.Providers().Time.Sleep(ctx, 10*time.Second)
		})
		require.NoError(s, err)
		call := s.Go("call", func(ctx context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{})
			return err
		})
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(8 * time.Second)
		s.Network().Heal()
		require.NoError(s, call.Join(s.Context()))
		var msgs []string
		for _, e := range tl.Snapshot() {
			if strings.HasPrefix(e.Msg, "rpc: resent") {
				msgs = append(msgs, e.Msg)
			}
		}
		// The first delivery's handler answers on the connection it came
		// on, which ended, so only the resend's reply reaches the caller.
		if diff := cmp.Diff([]string{"rpc: resent 1 request to 10.0.0.1:4500 on a new connection"}, msgs); diff != "" {
			s.Errorf("resend lines (-want +got):\n%s", diff)
		}
		assert.Equal(s, uint64(1), client.Stats().Resent)
	}, quiet...)
}

// TestResentCopyRunsBesideTheFirst is what docs/rpc.md's "Idempotence by
// id" warns of: a request resent after a reconnect reaches the same
// server, in the same incarnation, while its first copy is still in its
// handler, waiting for a lock. A handler that looked its id up before
// taking the lock would find it absent in both copies. The first copy's
// context ended with its connection, but the write it had begun under
// the lock does not stop for it, as a journal's append would not.
func TestResentCopyRunsBesideTheFirst(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		server, client := newPair(s)
		p := server.Providers()
		journal := providers.NewMutex(p.Task)
		inside, most, caught := 0, 0, 0
		applied := map[int]int{}
		ep, err := rpc.Serve(server, rpc.WellKnown(1), func(ctx context.Context, r echoReq) (echoResp, error) {
			inside++
			most = max(most, inside)
			defer func() { inside-- }()
			early := applied[r.N] > 0 // before the lock: both copies find it absent
			if err := journal.Lock(ctx); err != nil {
				return echoResp{}, err
			}
			defer journal.Unlock()
			if applied[r.N] > 0 {
				if !early {
					caught++ // applied by the other copy while this one waited
				}
				return echoResp{applied[r.N]}, nil
			}
			// A slow write, held under the lock, that finishes once begun:
			// the connection is cut meanwhile.
			if err := p.Time.Sleep(context.WithoutCancel(ctx), 10*time.Second); err != nil {
				return echoResp{}, err
			}
			applied[r.N]++
			return echoResp{applied[r.N]}, nil
		})
		require.NoError(s, err)
		call := s.Go("call", func(ctx context.Context) error {
			_, err := ep.GetReply(ctx, client, echoReq{N: 7})
			return err
		})
		s.Sleep(time.Second)
		s.Network().Isolate("10.0.0.1")
		s.Sleep(8 * time.Second) // past PingTimeout: the connection ends
		s.Network().Heal()
		require.NoError(s, call.Join(s.Context()))
		assert.Equal(s, 2, most, "the resent copy ran while the first was in its handler")
		assert.Equal(s, 1, caught, "only the lookup under the lock saw the first copy's apply")
		assert.Equal(s, 1, applied[7], "looked up again under the lock: applied once")
		assert.Equal(s, uint64(1), client.Stats().Resent)
	}, quiet...)
}

// TestAnOutageLogsItsFirstFailedConnectAndItsEnd: while a peer refuses
// connections, the transport redials with backoff, and the log tells the
// first failure and the connection that ends the outage, with how many
// connects failed, not every redial (the network's timeline has each).
func TestAnOutageLogsItsFirstFailedConnectAndItsEnd(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		tl := s.Timeline()
		serverHost := s.HostProviders("10.0.0.1") // up, with nothing listening yet
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.2"), rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		call := s.Go("call", func(ctx context.Context) error {
			_, err := rpc.At[echoReq, echoResp]("10.0.0.1:4500", rpc.WellKnown(1)).GetReply(ctx, client, echoReq{N: 1})
			return err
		})
		s.Sleep(10 * time.Second) // the server is not up: connects are refused
		server, err := rpc.NewTransport(s.Context(), serverHost, rpc.Config{Listen: ":4500"})
		require.NoError(s, err)
		_, err = rpc.Serve(server, rpc.WellKnown(1), double)
		require.NoError(s, err)
		require.NoError(s, call.Join(s.Context()))

		var failed, connected []string
		refused := 0
		for _, e := range tl.Snapshot() {
			switch {
			case strings.HasPrefix(e.Msg, "rpc: connect failed"):
				failed = append(failed, e.String())
			case strings.HasPrefix(e.Msg, "rpc: connected after failed connects"):
				connected = append(connected, e.String())
			case strings.Contains(e.Msg, "net: connect 10.0.0.2 -> 10.0.0.1:4500 refused"):
				refused++
			}
		}
		require.Greater(s, refused, 3, "the transport redialed through the outage")
		require.Len(s, failed, 1, "one line for the outage's first failure: %v", failed)
		assert.Contains(s, failed[0], "addr=10.0.0.1:4500")
		assert.Contains(s, failed[0], "connection refused")
		require.Len(s, connected, 1, "one line for its end")
		assert.Contains(s, connected[0], fmt.Sprintf("failed=%d", refused))
	}, quiet...)
}
