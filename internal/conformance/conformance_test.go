package conformance_test

import (
	"context"
	"net"
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
			c.Run(t, conformance.Env{P: p, Ctx: ctx, Listen: "127.0.0.1:0", ListenSmall: realListenSmall()})
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
				c.Run(s, conformance.Env{P: p, Ctx: s.Context(), Listen: ":0", ListenSmall: small})
			}, simtest.Seeds(5), simtest.Network(cfg))
		})
	}
}
