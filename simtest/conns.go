package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/simnet"
)

// NotedHost is a host whose connections a seed's report notes
// ([ConnsNoted]), as [SeedResult.Conns] and the results file carry it, so
// that a merge of shards tells the same connections line as one process.
type NotedHost struct {
	Host string
	// Open counts the connections the host dialled that were open at both
	// ends at the seed's end, and Peak the most it held open at once.
	Open, Peak int
	// OutOfPorts is when the host's dials first found no ephemeral port
	// free, and PortsHeld how many its connections held then; -1 and 0 if
	// that never happened.
	OutOfPorts time.Duration
	PortsHeld  int
}

// jsonHost is a NotedHost in the results file and the JSON report.
type jsonHost struct {
	Host       string `json:"host"`
	Open       int    `json:"open"`
	Peak       int    `json:"peak"`
	OutOfPorts string `json:"out_of_ports,omitempty"`
	// OutOfPortsNS is OutOfPorts in nanoseconds; absent when the host
	// never ran out.
	OutOfPortsNS *int64 `json:"out_of_ports_ns,omitempty"`
	PortsHeld    int    `json:"ports_held,omitempty"`
}

func hostsToJSON(hs []NotedHost) []jsonHost {
	var js []jsonHost
	for _, h := range hs {
		j := jsonHost{Host: h.Host, Open: h.Open, Peak: h.Peak, PortsHeld: h.PortsHeld}
		if h.OutOfPorts >= 0 {
			ns := int64(h.OutOfPorts)
			j.OutOfPorts, j.OutOfPortsNS = h.OutOfPorts.String(), &ns
		}
		js = append(js, j)
	}
	return js
}

func hostsFromJSON(js []jsonHost) []NotedHost {
	var hs []NotedHost
	for _, j := range js {
		h := NotedHost{Host: j.Host, Open: j.Open, Peak: j.Peak, OutOfPorts: -1, PortsHeld: j.PortsHeld}
		if j.OutOfPortsNS != nil {
			h.OutOfPorts = time.Duration(*j.OutOfPortsNS)
		}
		hs = append(hs, h)
	}
	return hs
}

// notedConns returns the seed's hosts whose connections the report
// notes: those that ran out of ephemeral ports, those that left n or more
// connections they dialled open when the seed ended, and those whose
// dialled connections open at once reached peakNoted(n). n is 0 to note
// only the first.
func (s *S) notedConns(n int) []NotedHost {
	if s == nil || s.net == nil {
		return nil
	}
	var noted []NotedHost
	for _, c := range s.net.Conns() {
		if c.OutOfPorts >= 0 || n > 0 && (c.Open >= n || c.Peak >= peakNoted(n)) {
			noted = append(noted, NotedHost(c))
		}
	}
	return noted
}

// peakNoted is how many dialled connections a host may hold open at once
// before the report notes it, whatever it left open at the end: a
// quarter of its ephemeral ports, or n if more. A process's connections
// close as it stops at the seed's end, so only this shows its leak; a
// pool, or a busy client, holds far fewer.
func peakNoted(n int) int { return max(n, simnet.EphemeralPorts/4) }

// addConns counts the hosts of noted, as effects: what the program did,
// not a fault the simulation injected.
func (c *faultCounts) addConns(noted []NotedHost) {
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
	first     []NotedHost
}

func (t *connsTally) add(seed uint64, noted []NotedHost) {
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
		fmt.Fprintf(&b, "host %s ran out of ephemeral ports at %v, the connections it dialled holding %d, and its dials failed with EADDRNOTAVAIL from then on", h.Host, h.OutOfPorts.Round(time.Millisecond), h.PortsHeld)
		if h.Open > 0 {
			fmt.Fprintf(&b, " (%d still open at the seed's end)", h.Open)
		}
	} else {
		fmt.Fprintf(&b, "host %s left %d connections it dialled open at the seed's end, %d at most at once", h.Host, h.Open, h.Peak)
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
		fmt.Fprintf(&b, "; each holds one of the host's %d ephemeral ports: connections dropped without Close leak them, and a longer seed would run it out (simtest.ConnsNoted raises the count a program that keeps more on purpose may hold; docs/network.md)", simnet.EphemeralPorts)
	}
	return b.String()
}
