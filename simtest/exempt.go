package simtest

import "fmt"

// ExemptPorts exempts the given ports from the network's faults in every
// seed, on every host: connections to a listener on one of them, and
// datagrams from or to a socket on one, pass partitions and clogs and see
// no random close, partial read or write, bit flip, connect fault, loss,
// duplication or reordering. They still take their latency, and a
// process's crash or power loss ends them as any other.
//
// It is for the harness's own control traffic (a workload that drives its
// processes through an admin port, say), whose failures would be the
// test's, not the system's. Code under test that talks on these ports
// meets no network chaos, so keep them apart from the system's own.
//
// A port is between 1 and 65535. The exemption is recorded in each seed's
// timeline and trace.
func ExemptPorts(ports ...int) Option {
	return optionFunc(func(c *config) error {
		for _, p := range ports {
			if p < 1 || p > 65535 {
				return fmt.Errorf("simtest.ExemptPorts: port %d is not a port; use a number between 1 and 65535", p)
			}
		}
		ports := append([]int(nil), ports...)
		c.devices = append(c.devices, func(s *S) {
			for _, p := range ports {
				s.network().Exempt(p)
			}
		})
		return nil
	})
}
