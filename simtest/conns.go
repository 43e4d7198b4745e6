package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/simnet"
)

// notedConns returns the seed's hosts whose connections the report
// notes: those that ran out of ephemeral ports.
func (s *S) notedConns() []simnet.HostConns {
	if s == nil || s.net == nil {
		return nil
	}
	var noted []simnet.HostConns
	for _, c := range s.net.Conns() {
		if c.OutOfPorts >= 0 {
			noted = append(noted, c)
		}
	}
	return noted
}

// addConns counts the hosts of noted, as effects: what the program did,
// not a fault the simulation injected.
func (c *faultCounts) addConns(noted []simnet.HostConns) {
	c[netNoPort] += len(noted)
}

// connsTally keeps, over a Run's seeds, how many had a host whose
// connections the report notes, and the first of them.
type connsTally struct {
	seeds     int
	firstSeed uint64
	first     []simnet.HostConns
}

func (t *connsTally) add(seed uint64, noted []simnet.HostConns) {
	if len(noted) == 0 {
		return
	}
	if t.seeds == 0 {
		t.firstSeed, t.first = seed, noted
	}
	t.seeds++
}

// line tells the first noted seed's hosts, or "" when no seed had one:
// a host that ran out of ephemeral ports fails every dial with
// EADDRNOTAVAIL, and a client that retries leaves no other mark of it.
func (t *connsTally) line(seeds int) string {
	if t.seeds == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("connections: ")
	h := t.first[0]
	if seeds > 1 {
		fmt.Fprintf(&b, "in seed %d, ", t.firstSeed)
	}
	fmt.Fprintf(&b, "host %s ran out of ephemeral ports at %v, its open connections holding %d, and its dials failed with EADDRNOTAVAIL from then on", h.Host, h.OutOfPorts.Round(time.Millisecond), h.PortsHeld)
	if h.Open > 0 {
		fmt.Fprintf(&b, " (%d open at the seed's end)", h.Open)
	}
	if more := len(t.first) - 1; more > 0 {
		fmt.Fprintf(&b, ", and %d more %s", more, pluralWord(more, "host", "hosts"))
	}
	if more := t.seeds - 1; more > 0 {
		fmt.Fprintf(&b, "; %d more of the %d seeds did alike", more, seeds)
	}
	b.WriteString("; no fault did this: connections never closed (dropped without Close) hold their ports, and the timeline marks when they ran out (docs/network.md)")
	return b.String()
}
