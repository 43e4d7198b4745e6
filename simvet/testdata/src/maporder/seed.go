package maporder

import (
	"time"

	"github.com/moonpool-go/moonpool/simtest"
)

// SlowZones slows every link between two zones' hosts: the seed's faults
// in map order.
func SlowZones(n *simtest.Net, zones map[string][]string) {
	for za, as := range zones { // want `a call that acts on the seed \(Slow\) carries that order out of the loop`
		for zb, bs := range zones { // want `a call that acts on the seed \(Slow\) carries that order out of the loop`
			if za != zb {
				n.Slow(as[0], bs[0], 10*time.Millisecond)
			}
		}
	}
}

// SlowVia does the same through a function of its own.
func SlowVia(n *simtest.Net, zones map[string]string) {
	slow := func(a, b string) { n.Slow(a, b, time.Millisecond) }
	for a, b := range zones { // want `a call of slow, which makes a call that acts on the seed \(Slow\), carries that order out of the loop`
		slow(a, b)
	}
}

// Alive reads, and the order of reads changes nothing.
func Alive(c *simtest.Cluster, hosts map[string]bool) int {
	n := 0
	for h := range hosts {
		if c.Alive(h) {
			n++
		}
	}
	return n
}

// ByZone appends to each zone's own list: one visit each.
func ByZone(hosts map[string][]string) map[string][]string {
	out := map[string][]string{}
	for z, hs := range hosts {
		out[z] = append(out[z], hs...)
	}
	return out
}
