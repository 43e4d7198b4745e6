package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// silentConns follows the connections a random close silenced ("net:
// random close on write of a:1->b:2: silent, no data will pass") until
// either end closes them ("net: close b:2->a:1"): at a failure, a task
// that waits to read from one waits for what never comes, and only a
// deadline or a keepalive notices, which the timeline shows no sign of.
type silentConns struct{ open []silentConn }

// A silentConn is a silenced connection: its two ends, as the close line
// names them, and when it went silent.
type silentConn struct {
	ends [2]string
	at   time.Duration
}

const (
	silentPrefix = "net: random close on "
	silentSuffix = ": silent, no data will pass"
	closePrefix  = "net: close "
)

// hear takes a timeline entry. It is cheap for every other entry: a
// prefix compare.
func (sc *silentConns) hear(e sim.Entry) {
	if !strings.HasPrefix(e.Msg, "net: ") {
		return
	}
	switch {
	case strings.HasPrefix(e.Msg, silentPrefix) && strings.HasSuffix(e.Msg, silentSuffix):
		rest := strings.TrimSuffix(strings.TrimPrefix(e.Msg, silentPrefix), silentSuffix)
		if _, conn, ok := strings.Cut(rest, " of "); ok {
			if ends, ok := connEnds(conn); ok {
				sc.open = append(sc.open, silentConn{ends: ends, at: e.At})
			}
		}
	case strings.HasPrefix(e.Msg, closePrefix) && len(sc.open) > 0:
		conn, _, _ := strings.Cut(strings.TrimPrefix(e.Msg, closePrefix), " ")
		ends, ok := connEnds(conn)
		if !ok {
			return
		}
		for i, c := range sc.open {
			if c.ends == ends || c.ends == [2]string{ends[1], ends[0]} {
				sc.open = append(sc.open[:i], sc.open[i+1:]...)
				return
			}
		}
	}
}

// connEnds splits a connection's name, "a:1->b:2", into its ends.
func connEnds(conn string) ([2]string, bool) {
	a, b, ok := strings.Cut(conn, "->")
	return [2]string{a, b}, ok && a != "" && b != ""
}

// maxSilentNamed is how many silenced connections a failure names.
const maxSilentNamed = 3

// line is the failure's line on the connections still silenced, open at
// both ends, as the seed ended; "" for none.
func (sc silentConns) line() string {
	if len(sc.open) == 0 {
		return ""
	}
	var named []string
	for _, c := range sc.open[:min(len(sc.open), maxSilentNamed)] {
		named = append(named, fmt.Sprintf("%s->%s since %v", c.ends[0], c.ends[1], c.at))
	}
	if more := len(sc.open) - maxSilentNamed; more > 0 {
		named = append(named, fmt.Sprintf("and %d more", more))
	}
	return fmt.Sprintf("  %s silenced by a random close and open at both ends as the seed ended: %s; no data passes and neither end is told, "+
		"so a task that waits to read from one waits until a deadline or a keepalive notices (docs/network.md, Faults)\n",
		pluralWord(len(sc.open), "a connection", fmt.Sprintf("%d connections", len(sc.open))), strings.Join(named, ", "))
}
