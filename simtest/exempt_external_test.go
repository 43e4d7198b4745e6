package simtest_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestExemptPortsPassFaults(t *testing.T) {
	cfg := chaos.DefaultNetwork()
	cfg.PartialReadProb, cfg.PartialWriteProb, cfg.DatagramLossProb = 1, 1, 1
	simtest.Run(t, func(s *simtest.S) {
		p := s.Providers()
		host := s.HostProviders("10.0.0.1")
		for _, port := range []string{":7", ":8"} {
			echoOnPort(s, "10.0.0.1", port)
		}
		s.Network().Isolate("10.0.0.1")

		// The control port passes the isolation, whole.
		c, err := p.Network.Dial(s.Context(), "10.0.0.1:7")
		require.NoError(s, err)
		msg := make([]byte, 5000)
		_, err = c.Write(msg)
		require.NoError(s, err)
		require.NoError(s, c.SetReadDeadline(s.Now().Add(time.Second)))
		buf := make([]byte, len(msg))
		k, err := c.Read(buf)
		require.NoError(s, err)
		assert.Equal(s, len(msg), k, "no partial reads or writes on an exempt connection")

		// So does a datagram to it, loss or not.
		u, err := host.Network.ListenPacket(s.Context(), ":7")
		require.NoError(s, err)
		d, err := p.Network.ListenPacket(s.Context(), ":0")
		require.NoError(s, err)
		_, err = d.WriteTo([]byte("ping"), u.LocalAddr())
		require.NoError(s, err)
		_, _, err = u.ReadFrom(buf)
		require.NoError(s, err)

		// Other ports meet the isolation.
		ctx, cancel := p.Time.WithTimeout(s.Context(), time.Second)
		defer cancel()
		_, err = p.Network.Dial(ctx, "10.0.0.1:8")
		var ne net.Error
		require.ErrorAs(s, err, &ne)
		assert.True(s, ne.Timeout())
	}, simtest.Network(cfg), simtest.ExemptPorts(7), simtest.Seeds(5))
}

func TestExemptPortsRejectsBadPorts(t *testing.T) {
	r := runIn("TestBadExempt", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) { s.Fatal("no seed runs") }, simtest.ExemptPorts(7, 0))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "simtest.ExemptPorts: port 0 is not a port; use a number between 1 and 65535")
}
