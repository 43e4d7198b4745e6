package rpc_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// quiet is a simulation without faults, for the tests that check one
// behaviour at a time.
var quiet = []simtest.Option{simtest.Chaos(chaos.Off()), simtest.Seeds(5)}

// The messages of the tests.
type (
	echoReq  struct{ N int }
	echoResp struct{ N int }
)

// newPair makes a server transport on host 10.0.0.1 listening on :4500,
// and a client transport on 10.0.0.2 that also listens, on :4500.
func newPair(s *simtest.S) (server, client *rpc.Transport) {
	ctx := s.Context()
	var err error
	server, err = rpc.NewTransport(ctx, s.HostProviders("10.0.0.1"), rpc.Config{Listen: ":4500"})
	require.NoError(s, err)
	client, err = rpc.NewTransport(ctx, s.HostProviders("10.0.0.2"), rpc.Config{Listen: ":4500"})
	require.NoError(s, err)
	return server, client
}

func double(_ context.Context, r echoReq) (echoResp, error) { return echoResp{2 * r.N}, nil }

// restartableAddr returns a free loopback address for a real server that
// a test closes and listens on again, with a port below the range the
// kernel picks the local ports of outgoing connections from. A port that
// "127.0.0.1:0" gives is from that very range, and while its server is
// down any connection on the machine may take it, so that listening
// again fails with "address already in use".
func restartableAddr(t *testing.T) string {
	t.Helper()
	hi := 32768 // below every default range: Linux's starts at 32768, others' at 49152
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var first, last int
		if _, err := fmt.Sscan(string(b), &first, &last); err == nil {
			hi = min(hi, first)
		}
	}
	lo := max(hi-12000, 1024)
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", lo+rand.IntN(hi-lo))
		if l, err := net.Listen("tcp", addr); err == nil {
			require.NoError(t, l.Close())
			return addr
		}
	}
	t.Fatalf("no free port in [%d, %d) on 127.0.0.1", lo, hi)
	return ""
}

// within returns a context that ends after d of simulated time.
func within(s *simtest.S, d time.Duration) context.Context {
	ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), d)
	s.Cleanup(cancel)
	return ctx
}

// serverProcess is a process that serves double at WellKnown(1), and
// block at WellKnown(2): a handler that never returns.
func serverProcess(ctx context.Context, p providers.Providers) error {
	tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: ":4500"})
	if err != nil {
		return err
	}
	if _, err := rpc.Serve(tr, rpc.WellKnown(1), double); err != nil {
		return err
	}
	if _, err := rpc.Serve(tr, rpc.WellKnown(2), func(ctx context.Context, r echoReq) (echoResp, error) {
		return echoResp{}, providers.Wait(ctx, p.Task)
	}); err != nil {
		return err
	}
	return providers.Wait(ctx, p.Task)
}
