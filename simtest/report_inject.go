package simtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// injectTally adds up, over the seeds, what each injector did that its
// script did not say: a seed's "ok" does not tell that the chaos phase
// ended before a script's last faults, or that a reboot it asked for
// found the process down and was ignored.
type injectTally struct {
	byName []*jsonInjector // in the order the injectors were first seen
}

// jsonInjector is the results file's (and -simjson's) record of an
// injector over the seeds, for a merge to add up.
type jsonInjector struct {
	Name string `json:"name"`
	// Seeds counts the seeds whose chaos phase started it.
	Seeds int `json:"seeds"`
	// SeedsCutShort counts the seeds in which the chaos phase ended
	// before the injector returned, as the workloads had returned before
	// Phases.Chaos; LastedMinNS and LastedMaxNS are how long those
	// phases lasted, least and most, and ChaosNS the longest
	// Phases.Chaos they had.
	SeedsCutShort int   `json:"seeds_cut_short,omitempty"`
	LastedMinNS   int64 `json:"lasted_min_ns,omitempty"`
	LastedMaxNS   int64 `json:"lasted_max_ns,omitempty"`
	ChaosNS       int64 `json:"chaos_ns,omitempty"`
	// SeedsCutAtLength counts the seeds in which an injector that holds
	// the phase open (Injector.Hold) was still running at Phases.Chaos.
	SeedsCutAtLength int `json:"seeds_cut_at_length,omitempty"`
	// Reboots counts the reboots it asked for; RebootsIgnored, those of
	// a process down or going down, and Late, the faults it asked for
	// after the phase had ended: both were ignored.
	Reboots        int `json:"reboots,omitempty"`
	RebootsIgnored int `json:"reboots_ignored,omitempty"`
	Late           int `json:"late,omitempty"`
}

// add counts a seed's injectors.
func (t *injectTally) add(seen []injectorSeen) {
	for _, s := range seen {
		if !s.ran {
			continue
		}
		j := jsonInjector{Name: s.name, Seeds: 1, Reboots: s.reboots, RebootsIgnored: s.rebootsIgnored, Late: s.late}
		switch s.cut {
		case cutEarly:
			j.SeedsCutShort = 1
			j.LastedMinNS, j.LastedMaxNS, j.ChaosNS = int64(s.lasted), int64(s.lasted), int64(s.length)
		case cutAtLength:
			j.SeedsCutAtLength = 1
			j.ChaosNS = int64(s.length)
		}
		t.merge([]jsonInjector{j})
	}
}

// merge adds up records of injectors, a results file's or a seed's.
func (t *injectTally) merge(js []jsonInjector) {
	for _, j := range js {
		var to *jsonInjector
		for _, o := range t.byName {
			if o.Name == j.Name {
				to = o
			}
		}
		if to == nil {
			to = &jsonInjector{Name: j.Name}
			t.byName = append(t.byName, to)
		}
		if j.SeedsCutShort > 0 {
			if to.SeedsCutShort == 0 {
				to.LastedMinNS, to.LastedMaxNS = j.LastedMinNS, j.LastedMaxNS
			}
			to.LastedMinNS, to.LastedMaxNS = min(to.LastedMinNS, j.LastedMinNS), max(to.LastedMaxNS, j.LastedMaxNS)
		}
		to.Seeds += j.Seeds
		to.SeedsCutShort += j.SeedsCutShort
		to.SeedsCutAtLength += j.SeedsCutAtLength
		to.ChaosNS = max(to.ChaosNS, j.ChaosNS)
		to.Reboots += j.Reboots
		to.RebootsIgnored += j.RebootsIgnored
		to.Late += j.Late
	}
}

// record is what the results file keeps, nil when no injector ran.
func (t injectTally) record() []jsonInjector {
	var js []jsonInjector
	for _, j := range t.byName {
		js = append(js, *j)
	}
	return js
}

// line is the summary's line on what the injectors did not play as
// written, "" when every one played whole:
//
//	injectors: "incident" cut short in 49 of 50 seeds: ...
func (t injectTally) line() string {
	var parts []string
	for _, j := range t.byName {
		parts = append(parts, j.told()...)
	}
	if len(parts) == 0 {
		return ""
	}
	return "injectors: " + strings.Join(parts, "; ")
}

// told is what the summary says of j: nothing when it played whole.
func (j *jsonInjector) told() []string {
	var parts []string
	if j.SeedsCutShort > 0 {
		// To a tenth of a second: a script's times are round, and the
		// seeds' ends are not.
		lasted := time.Duration(j.LastedMinNS).Round(100 * time.Millisecond).String()
		if most := time.Duration(j.LastedMaxNS).Round(100 * time.Millisecond).String(); most != lasted {
			lasted += " to " + most
		}
		// An injector that makes faults until its ctx ends is cut
		// short too, as it should be: the line says what each needs.
		parts = append(parts, fmt.Sprintf("%q cut short by the end of the chaos phase in %d of %s: the phase ends when every workload's Run has returned, "+
			"here after %s of its %v (Phases.Chaos); a script that must play whole needs Injector.Hold, "+
			"or workloads that run as long, and an injector that makes faults until its ctx ends needs nothing (docs/topology.md#fault-injectors)",
			j.Name, j.SeedsCutShort, plural.Count(j.Seeds, "seed"), lasted, time.Duration(j.ChaosNS)))
	}
	if j.SeedsCutAtLength > 0 {
		parts = append(parts, fmt.Sprintf("%q cut short by the end of the chaos phase in %d of %s: it holds the phase open (Injector.Hold), and was still running at its length, %v (Phases.Chaos); lengthen the phase, or shorten the script",
			j.Name, j.SeedsCutAtLength, plural.Count(j.Seeds, "seed"), time.Duration(j.ChaosNS)))
	}
	if j.RebootsIgnored > 0 {
		parts = append(parts, fmt.Sprintf("%q had %d of its %s ignored, as the process was down or going down "+
			"(taken down by attrition, restarting, or returned from its Run): for a scripted step that must happen "+
			"(an upgrade's reboot Into a release), call f.Cluster().Reboot, which waits until the process is back; "+
			"for a script that must reboot it at its own times, "+
			"turn attrition off (chaos.Attrition.Enabled), or keep attrition off the process (Processes.Protected)",
			j.Name, j.RebootsIgnored, plural.Count(j.Reboots, "reboot")))
	}
	if j.Late > 0 {
		parts = append(parts, fmt.Sprintf("%q asked for %s after the chaos phase had ended, ignored: its Run goes on past its ctx's end; return from Run once ctx is done (check ctx.Err() between faults)",
			j.Name, plural.Count(j.Late, "fault")))
	}
	return parts
}
