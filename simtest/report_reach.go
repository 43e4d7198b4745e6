package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// reach is which of a seed's processes its reboots and pauses reached:
// attrition's rate is the cluster's, not each process's, so in a large
// cluster most processes may see none, which the faults' counts by kind
// do not tell.
type reach struct {
	down, paused map[string]bool
	procs        int // the cluster's processes, as the seed ended
	// protected counts those of procs that attrition never reboots
	// (Processes.Protected); a reboot by hand still reaches them.
	protected int
	// pauseOnly counts those of procs that attrition only pauses
	// (Processes.PauseOnly, and those sharing each unit it takes down
	// with one).
	pauseOnly int
	// wipeable counts those of procs that a wipe attrition draws could
	// reach (Cluster.wipeable).
	wipeable int
	// cuts follows the seed's partitions and isolations, and ended
	// keeps those that ended. endCuts counts in cutOff the processes
	// they cut off, by their hosts as the seed ended, and sets longest
	// to the longest of those that cut off a process, with cut set once
	// one did: a cut of the driver alone is no process's.
	cuts    cuts
	ended   []endedCut
	longest time.Duration
	cut     bool
	cutOff  int
}

// endedCut is a partition or an isolation that ended: the hosts it cut
// off, and how long.
type endedCut struct {
	off []string
	d   time.Duration
}

// add notes the process an entry took down ("down: kv-0 (crash)", a line
// per process of a machine's or a zone's reboot too) or paused.
func (r *reach) add(e sim.Entry, f fault) {
	if !e.Event {
		return
	}
	if strings.HasPrefix(e.Msg, "net: ") {
		r.cuts.hear(e.At, e.Msg, r.cutEnded)
		return
	}
	var set *map[string]bool
	switch {
	case e.Name == "down":
		set = &r.down
	case f == rebootPause:
		set = &r.paused
	default:
		return
	}
	_, rest, _ := strings.Cut(e.Msg, ": ")
	name, _, _ := strings.Cut(rest, " ")
	if name == "" {
		return
	}
	if *set == nil {
		*set = map[string]bool{}
	}
	(*set)[name] = true
}

// cutEnded notes a partition or an isolation that ended at at.
func (r *reach) cutEnded(c cut, at time.Duration) {
	r.ended = append(r.ended, endedCut{off: c.off, d: at - c.start})
}

// endCuts ends the cuts in force as the seed ended, at at, and counts
// the processes the seed's cuts reached, by their hosts.
func (r *reach) endCuts(at time.Duration, hosts []string) {
	r.cuts.end(at, r.cutEnded)
	procs := map[string]bool{}
	for _, h := range hosts {
		procs[h] = true
	}
	off := map[string]bool{}
	for _, c := range r.ended {
		for _, h := range c.off {
			if procs[h] {
				off[h] = true
				r.longest, r.cut = max(r.longest, c.d), true
			}
		}
	}
	for _, h := range hosts {
		if off[h] {
			r.cutOff++
		}
	}
}

// span is the least and the most of a count over the seeds.
type span struct {
	Min int `json:"min"`
	Max int `json:"max"`
	set bool
}

func (s *span) add(n int) {
	if !s.set {
		s.Min, s.Max, s.set = n, n, true
		return
	}
	s.Min, s.Max = min(s.Min, n), max(s.Max, n)
}

// merge adds up a results file's span.
func (s *span) merge(o span) {
	s.add(o.Min)
	s.add(o.Max)
}

func (s span) String() string {
	if s.Min == s.Max {
		return fmt.Sprint(s.Min)
	}
	return fmt.Sprintf("%d to %d", s.Min, s.Max)
}

// reachTally adds up the seeds' reach for the report.
type reachTally struct {
	down, paused, procs, protected, pauseOnly span
	// wipeable is kept for the chaos line, not the results file: a
	// merge takes the shards' chaos lines as they wrote them.
	wipeable span
	// cutOff is the processes partitions and isolations cut off; longest
	// the longest cut in nanoseconds, over the seeds that had one.
	cutOff, longest span
}

func (t *reachTally) add(r reach) {
	if r.procs == 0 {
		return // no cluster
	}
	t.down.add(len(r.down))
	t.paused.add(len(r.paused))
	t.procs.add(r.procs)
	t.protected.add(r.protected)
	t.pauseOnly.add(r.pauseOnly)
	t.wipeable.add(r.wipeable)
	t.cutOff.add(r.cutOff)
	if r.cut {
		t.longest.add(int(r.longest))
	}
}

// record is what the results file keeps of t, for a merge; nil when no
// seed booted a cluster.
func (t reachTally) record() *jsonReach {
	if !t.procs.set {
		return nil
	}
	j := &jsonReach{Rebooted: t.down, Paused: t.paused, Processes: t.procs}
	if t.protected.Max > 0 {
		j.Protected = t.protected
	}
	if t.pauseOnly.Max > 0 {
		j.PauseOnly = t.pauseOnly
	}
	if t.cutOff.Max > 0 {
		j.Partitioned = t.cutOff
	}
	if t.longest.set {
		j.LongestPartitionNS = &t.longest
	}
	return j
}

// merge adds up a results file's record.
func (t *reachTally) merge(j *jsonReach) {
	if j != nil {
		t.down.merge(j.Rebooted)
		t.paused.merge(j.Paused)
		t.procs.merge(j.Processes)
		if j.Protected.Max > 0 {
			t.protected.merge(j.Protected)
		}
		if j.PauseOnly.Max > 0 {
			t.pauseOnly.merge(j.PauseOnly)
		}
		// Absent, no seed of the file cut a process off.
		t.cutOff.merge(j.Partitioned)
		if j.LongestPartitionNS != nil {
			t.longest.merge(*j.LongestPartitionNS)
		}
	}
}

// jsonReach is the results file's (and -simjson's) record of how many
// processes the seeds' reboots and pauses reached, least and most a seed.
type jsonReach struct {
	Rebooted span `json:"rebooted"`
	Paused   span `json:"paused"`
	// Processes counts all the cluster's processes; Protected, those of
	// them that attrition never reboots (Processes.Protected); PauseOnly,
	// those it only pauses (Processes.PauseOnly).
	Processes span `json:"processes"`
	Protected span `json:"protected,omitzero"`
	PauseOnly span `json:"pause_only,omitzero"`
	// Partitioned counts the processes that partitions and isolations
	// cut off, absent when none did; LongestPartitionNS is the longest
	// cut of a process a seed had, in nanoseconds, over the seeds that
	// had one, and absent when none had.
	Partitioned        span  `json:"partitioned,omitzero"`
	LongestPartitionNS *span `json:"longest_partition_ns,omitempty"`
}

// line is the summary's line on how many processes the reboots and
// pauses reached: "reboots reached 8 of 60 processes", or "... 3 to 9 of
// 60 processes a seed" over several seeds, with how many of them are
// protected from attrition, and how many it only pauses, when any are (a
// reboot by hand reaches them too), and the pauses' when there were any; "" when no seed booted a
// cluster, or none was reached.
func (t reachTally) line(seeds int) string {
	if !t.procs.set || t.down.Max == 0 && t.paused.Max == 0 {
		return ""
	}
	each := ""
	if seeds > 1 {
		each = " a seed"
	}
	line := fmt.Sprintf("reboots reached %v of %v %s%s", t.down, t.procs, pluralWord(t.procs.Max, "process", "processes"), each)
	var of []string
	if t.protected.Max > 0 {
		of = append(of, fmt.Sprintf("%v of them protected from attrition", t.protected))
	}
	if t.pauseOnly.Max > 0 {
		of = append(of, fmt.Sprintf("%v of them only paused by attrition", t.pauseOnly))
	}
	if of != nil {
		line += " (" + strings.Join(of, ", ") + ")"
	}
	if t.paused.Max > 0 {
		line += fmt.Sprintf(", pauses reached %v", t.paused)
	}
	return line
}

// cutLine is the summary's line on how many processes the partitions and
// isolations cut off, and how long the longest lasted: "partitions cut
// off 14 of 20 processes; the longest lasted 4.1s", or "... 3 to 9 of 20
// processes a seed; the longest lasted 1.2s to 12s" over several seeds,
// of those that had one; "" when no seed booted a cluster, or none cut a
// process off. A partition cuts off its side with fewer hosts, as the
// HTML timeline draws it; one that cut off the driver alone counts in
// neither figure.
func (t reachTally) cutLine(seeds int) string {
	if !t.procs.set || !t.longest.set {
		return ""
	}
	each := ""
	if seeds > 1 {
		each = " a seed"
	}
	longest := roundCut(time.Duration(t.longest.Min)).String()
	if t.longest.Max != t.longest.Min {
		longest += " to " + roundCut(time.Duration(t.longest.Max)).String()
	}
	return fmt.Sprintf("partitions cut off %v of %v %s%s; the longest lasted %s", t.cutOff, t.procs, pluralWord(t.procs.Max, "process", "processes"), each, longest)
}

// roundCut rounds a cut's length for the summary: to the millisecond, as
// a timeout is set, or finer below one.
func roundCut(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d
	}
	return d.Round(time.Millisecond)
}
