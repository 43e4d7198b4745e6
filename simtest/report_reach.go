package simtest

import (
	"fmt"
	"strings"

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
}

// add notes the process an entry took down ("down: kv-0 (crash)", a line
// per process of a machine's or a zone's reboot too) or paused.
func (r *reach) add(e sim.Entry, f fault) {
	if !e.Event {
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
