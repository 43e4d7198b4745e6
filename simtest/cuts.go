package simtest

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// cut is a partition or an isolation in force, as a seed's timeline told
// it began.
type cut struct {
	start time.Duration
	// off is the hosts it cut off: an isolation's host, or a partition's
	// side with fewer hosts (the first, when they are even).
	off []string
	// sides are a manual partition's, which a heal between them ends.
	sides [2][]string
	msg   string
	// random is set for a partition the network drew, which ends on its
	// own as well as at a heal; isolated, for an isolation, which only
	// a whole heal ends.
	random, isolated bool
	// until is when a random partition ends on its own: its line says
	// how long it lasts, and the line saying it healed comes only when
	// the network is next used, which may be much later.
	until time.Duration
}

// cuts follows the partitions and isolations of a seed's timeline, from
// the network's lines ("net: partition {a} | {b c}"), to tell when each
// ended: at a heal, a heal between its sides (a manual partition), or
// its own end (a random one). The HTML timeline draws them, and the
// summary tells how many processes they cut off and for how long.
type cuts struct{ open []cut }

// hear takes the message of a timeline entry at at, and calls ended with
// each cut it ends.
func (c *cuts) hear(at time.Duration, msg string, ended func(cut, time.Duration)) {
	rest, ok := strings.CutPrefix(msg, "net: ")
	if !ok {
		return
	}
	switch {
	case rest == "heal":
		c.close(at, ended, func(cut) bool { return true })
	case rest == "random partition healed":
		c.close(at, ended, func(k cut) bool { return k.random })
	case strings.HasPrefix(rest, "heal "):
		healed, ok := partitionSides(rest)
		if !ok {
			return
		}
		c.close(at, ended, func(k cut) bool {
			return !k.random && !k.isolated && (within(k.sides, healed) || within(k.sides, [2][]string{healed[1], healed[0]}))
		})
	case strings.HasPrefix(rest, "isolate "):
		host := strings.TrimPrefix(rest, "isolate ")
		c.open = append(c.open, cut{start: at, off: []string{host}, msg: msg, isolated: true})
	case strings.HasPrefix(rest, "partition ") || strings.HasPrefix(rest, "random partition "):
		sides, ok := partitionSides(rest)
		if !ok {
			return
		}
		off := sides[0]
		if len(sides[1]) < len(off) {
			off = sides[1]
		}
		k := cut{start: at, off: off, sides: sides, msg: msg, random: strings.HasPrefix(rest, "random ")}
		if k.random {
			k.until = at + drawnFor(rest)
		}
		c.open = append(c.open, k)
	}
}

// end ends the cuts still in force at the seed's end, at.
func (c *cuts) end(at time.Duration, ended func(cut, time.Duration)) {
	c.close(at, ended, func(cut) bool { return true })
}

// close ends the cuts that heals says a heal at at ends, in the order
// they began.
func (c *cuts) close(at time.Duration, ended func(cut, time.Duration), heals func(cut) bool) {
	kept := c.open[:0]
	for _, k := range c.open {
		if !heals(k) {
			kept = append(kept, k)
			continue
		}
		if ended != nil {
			end := at
			if k.random {
				end = min(end, k.until)
			}
			ended(k, end)
		}
	}
	clear(c.open[len(kept):])
	c.open = kept
}

// drawnFor is how long a random partition's line says it lasts ("...
// for 1.39s"); the most a duration can be when the line says none.
func drawnFor(line string) time.Duration {
	i := strings.LastIndex(line, " for ")
	if i < 0 {
		return math.MaxInt64 / 2
	}
	d, err := time.ParseDuration(line[i+len(" for "):])
	if err != nil {
		return math.MaxInt64 / 2
	}
	return d
}

// within reports whether every host of each side of a is on the same
// side of b: a heal between b's sides ends a partition between a's.
func within(a, b [2][]string) bool {
	for i := range a {
		for _, h := range a[i] {
			if !slices.Contains(b[i], h) {
				return false
			}
		}
	}
	return true
}

// partitionSides returns the two sides of a partition's (or a heal's)
// line, "{a b} | {c}".
func partitionSides(line string) (sides [2][]string, ok bool) {
	m := partitionSide.FindAllStringSubmatch(line, 2)
	if len(m) != 2 {
		return sides, false
	}
	return [2][]string{strings.Fields(m[0][1]), strings.Fields(m[1][1])}, true
}

// partitionSide matches a side of a partition's line, "{a b}".
var partitionSide = regexp.MustCompile(`\{([^}]*)\}`)
