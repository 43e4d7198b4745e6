package conformance_test

import (
	"context"
	"net"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/conformance"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestReal(t *testing.T) {
	for _, c := range conformance.Contracts() {
		t.Run(c.Name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			p := providers.Real()
			st, err := providers.OpenOSStorage(t.TempDir())
			require.NoError(t, err)
			defer st.Close()
			p.Storage = st
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c.Run(t, conformance.Env{P: p, Ctx: ctx, Listen: "127.0.0.1:0", ListenSmall: realListenSmall(), Own: realOwn()})
		})
	}
}

func TestSimulated(t *testing.T) {
	cfg := chaos.NoNetworkFaults()
	cfg.Backlog = 2
	for _, c := range conformance.Contracts() {
		t.Run(c.Name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				p := s.Providers()
				p.Storage = s.Storage()
				small := func() (net.Listener, int, error) {
					l, err := p.Network.Listen(s.Context(), ":0")
					return l, cfg.Backlog, err
				}
				c.Run(s, conformance.Env{P: p, Ctx: s.Context(), Listen: ":0", ListenSmall: small, Own: p.Network.Host()})
			}, simtest.Seeds(5), simtest.Network(cfg))
		})
	}
}

// realOwn returns an address of this machine that is not its loopback:
// the first IPv4 address of an interface that is up, else, on Linux,
// 127.0.0.2 (all of 127.0.0.0/8 is the loopback's, and a socket bound to
// one of its addresses is not on another), else nothing.
func realOwn() string {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, err := i.Addrs()
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
					return n.IP.String()
				}
			}
		}
	}
	if runtime.GOOS == "linux" {
		return "127.0.0.2"
	}
	return ""
}
