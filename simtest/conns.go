package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/simnet"
)

// connsNoted is how many connection ends one host may hold open at once
// before the report notes it. The examples' hosts hold 16 at most, and a
// pool keeps a few per peer; a program that drops connections without
// Close passes it in a long seed well before its host runs out of
// ephemeral ports, which no fault and no check would show.
const connsNoted = 256

// notedConns returns the seed's hosts whose connections the report
// notes: those that ran out of ephemeral ports, and those that held
// connsNoted or more open at once.
func (s *S) notedConns() []simnet.HostConns {
	if s == nil || s.net == nil {
		return nil
	}
	var noted []simnet.HostConns
	for _, c := range s.net.Conns() {
		if c.OutOfPorts >= 0 || c.Peak >= connsNoted {
			noted = append(noted, c)
		}
	}
	return noted
}

// addConns counts the hosts of noted, as effects: what the program did,
// not a fault the simulation injected.
func (c *faultCounts) addConns(noted []simnet.HostConns) {
	for _, h := range noted {
		if h.OutOfPorts >= 0 {
			c[netNoPort]++
		} else {
			c[netManyConns]++
		}
	}
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
	// The host out of ports first, if any: the worse.
	h := t.first[0]
	for _, c := range t.first {
		if c.OutOfPorts >= 0 {
			h = c
			break
		}
	}
	if seeds > 1 {
		fmt.Fprintf(&b, "in seed %d, ", t.firstSeed)
	}
	if h.OutOfPorts >= 0 {
		fmt.Fprintf(&b, "host %s ran out of ephemeral ports at %v, its open connections holding %d, and its dials failed with EADDRNOTAVAIL from then on", h.Host, h.OutOfPorts.Round(time.Millisecond), h.PortsHeld)
	} else {
		fmt.Fprintf(&b, "host %s held %d connections open at once", h.Host, h.Peak)
	}
	if h.Open > 0 {
		fmt.Fprintf(&b, " (%d open at the seed's end)", h.Open)
	}
	if more := len(t.first) - 1; more > 0 {
		fmt.Fprintf(&b, ", and %d more %s", more, pluralWord(more, "host", "hosts"))
	}
	if more := t.seeds - 1; more > 0 {
		fmt.Fprintf(&b, "; %d more of the %d seeds did alike", more, seeds)
	}
	if h.OutOfPorts >= 0 {
		b.WriteString("; no fault did this: connections never closed (dropped without Close) hold their ports, and the timeline marks when they ran out (docs/network.md)")
	} else {
		fmt.Fprintf(&b, "; a program that closes its connections holds a few per peer: connections dropped without Close leak, and a longer seed would run the host out of its %d ephemeral ports (docs/network.md)", simnet.EphemeralPorts)
	}
	return b.String()
}
