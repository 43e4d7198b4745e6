package simtest_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// A dial that went to the real network fails with the real resolver's
// error for a host only the simulation knows; the report names the
// cause. A lookup of a host the seed does not simulate has no such hint.
func TestTheReportSaysADialOfASimulatedHostWentToTheRealNetwork(t *testing.T) {
	lookup := func(host string) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{
			Err: "no such host", Name: host, Server: "10.255.255.53:53", IsNotFound: true,
		}}
	}
	for _, c := range []struct {
		host string
		hint bool
	}{{"lockd-0", true}, {"lockd.example.com", false}} {
		res := simtest.Simulate(func(s *simtest.S) {
			s.Boot(simtest.Processes{Name: "lockd", New: waiting})
			s.Errorf("acquire: %v", lookup(c.host))
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
		require.False(t, res.OK())
		require.Contains(t, res.Report, "dial tcp: lookup "+c.host+" on 10.255.255.53:53: no such host")
		hint := "lockd-0 is a host of the simulation, yet it was looked up in the real resolver (no such host): " +
			"the code dialed through the real network (net.Dial, a net.Dialer, http.DefaultTransport) instead of p.Network"
		if c.hint {
			assert.Contains(t, res.Report, hint)
		} else {
			assert.NotContains(t, res.Report, "real resolver", c.host)
		}
	}
}
