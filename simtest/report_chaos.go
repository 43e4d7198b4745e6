package simtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/plural"
)

// chaosLine tells, in a Run's summary, how attrition reboots the cluster's
// processes, and above all whether it wipes them: a wipe needs a
// member-replacement protocol, and whether a run had them should not take
// reading the configuration to know. The kinds carry their weights, said
// to be weights: "graceful 2, crash 2" under a Run of 200 seeds reads as
// four reboots in all. It says too whether a crash can lose the
// directory changes not yet synced (dirLossLine), for disks is the
// addresses DiskStorage configures, and whether each can. ran says
// whether a seed reached the run phase of Cluster.Run, where alone
// attrition reboots: without it the weights would announce reboots that
// none of the seeds could have; unwipeable, that no seed's cluster had a
// process a wipe could reach; onlyPaused, that attrition only paused every
// process of every seed (Processes.PauseOnly), which its weights of the
// other kinds would belie.
func chaosLine(cfg chaos.Config, disks map[string]bool, ran, unwipeable, onlyPaused bool) string {
	reboots := rebootLine(cfg, unwipeable, onlyPaused)
	if !ran && (cfg.Attrition.Enabled || cfg.Randomize) {
		reboots = "random reboots and wipes: none, as no seed reached the run phase of Cluster.Run, where attrition reboots"
	}
	line := reboots + "; " + dirLossLine(cfg, disks)
	if cfg.SpikeProb > 0 {
		line += "; network spikes on " + strconv.FormatFloat(cfg.SpikeProb*100, 'g', 3, 64) + "% of seeds (SpikeProb)"
	}
	return line
}

func rebootLine(cfg chaos.Config, unwipeable, onlyPaused bool) string {
	a := cfg.Attrition
	// Randomize draws per seed whether attrition is on, whatever Enabled
	// says (chaos.Config.ForSeed).
	if !a.Enabled && !cfg.Randomize {
		return "random reboots: off (chaos.Defaults has them); random wipes: off (chaos.Harsh has them)"
	}
	var kinds []string
	for _, k := range []struct {
		name string
		w    float64
	}{{"graceful", a.Graceful}, {"crash", a.Crash}, {"power loss", a.PowerLoss}, {"wipe", a.Wipe}, {"kill", a.Kill}, {"pause", a.Pause}} {
		if k.w > 0 {
			kinds = append(kinds, k.name+" "+strconv.FormatFloat(k.w, 'g', -1, 64))
		}
	}
	// How long a process stays down or paused sits beside the kinds: a
	// lease or a time-out shorter than the down time hides restart bugs.
	if a.Graceful > 0 || a.Crash > 0 || a.PowerLoss > 0 || a.Wipe > 0 || a.Kill > 0 {
		kinds = append(kinds, "down "+rangeText(a.DownFor))
	}
	if a.Pause > 0 {
		kinds = append(kinds, "paused "+rangeText(a.PauseFor))
	}
	if p := a.CrashAtUnsyncedWriteProb; p > 0 && (a.Crash > 0 || a.PowerLoss > 0) {
		kinds = append(kinds, strconv.FormatFloat(p*100, 'g', 3, 64)+"% of crashes and power losses at an unsynced write (CrashAtUnsyncedWriteProb)")
	}
	line := fmt.Sprintf("random reboots weighted %s (MaxDead %d)", strings.Join(kinds, ", "), a.MaxDead)
	if onlyPaused {
		// Every kind drawn for a PauseOnly process is a pause.
		line = fmt.Sprintf("random pauses only, as attrition only pauses every process (Processes.PauseOnly): paused %s (MaxDead %d)", rangeText(a.PauseFor), a.MaxDead)
	}
	if o := a.Outages; o.On() {
		line += fmt.Sprintf(", and an outage of a %v every %s, down %s (Attrition.Outages)", o.Unit, rangeText(o.Interval), rangeText(o.DownFor))
	}
	if cfg.Swarm {
		line += ", swarm"
	}
	if a.Swarm {
		line += ", a regime per seed (Attrition.Swarm)"
	}
	if cfg.Randomize {
		line += ", on some seeds (Randomize)"
	}
	if a.Wipe == 0 {
		return line + "; random wipes: off (chaos.Harsh has them)"
	}
	if unwipeable {
		return line + "; random wipes: none could strike, as every process is SoleCopy or shares its machine (a wipe drawn for one is a crash), Protected or only paused"
	}
	return line + "; random wipes: on (a wiped process rejoins with an empty disk: see docs/wipes.md)"
}

// rangeText writes r as "1s-10s", or one length when its ends agree.
func rangeText(r chaos.Range) string {
	if r.Max <= r.Min {
		return r.Min.String()
	}
	return r.Min.String() + "-" + r.Max.String()
}

// The dirLossLine sentences of disks that keep the changes whose
// directory was not synced, which withUnsyncedDirs finds.
const (
	dirLossOff  = "lost directory changes: off (chaos.Storage.LoseUnsyncedDirectories has them)"
	dirLossSome = "lost directory changes: on for some disks (DiskStorage)"
)

// dirLossLine tells whether a crash can undo the creates, renames and
// removes whose directory was not synced (chaos.Storage's
// LoseUnsyncedDirectories): off in every preset, where a store that
// forgets to sync the directory after its rename passes every seed.
func dirLossLine(cfg chaos.Config, disks map[string]bool) string {
	on := cfg.Storage.Effective().LoseUnsyncedDirectories
	for _, d := range disks {
		if d != on {
			return dirLossSome
		}
	}
	if !on {
		return dirLossOff
	}
	return "lost directory changes: on (a crash undoes creates, renames and removes whose directory was not synced)"
}

// withUnsyncedDirs adds to a chaos line that says disks keep the changes
// whose directory was not synced how many seeds crashed with one: the
// option's name alone says nothing of whether the store under test ever
// left one unsynced, and one that renames without syncing the directory
// passes every seed.
func withUnsyncedDirs(line string, n, seeds int) string {
	if n == 0 {
		return line
	}
	what := fmt.Sprintf("%d of %s crashed with a create, mkdir, rename or remove whose directory was not synced, which a real disk could lose: a Sync of the directory, opened read-only, after the change keeps them (after MkdirAll, of each new directory's parent; a crash's own entry names the changes)", n, plural.Count(seeds, "seed"))
	line = strings.Replace(line, dirLossOff, "lost directory changes: off, yet "+what+" (chaos.Storage.LoseUnsyncedDirectories loses them)", 1)
	return strings.Replace(line, dirLossSome, dirLossSome+", yet on the others "+what, 1)
}

// injectsNothing reports whether cfg injects no fault in any seed: no
// reboots, no network or disk faults, no buggify.
func injectsNothing(cfg chaos.Config) bool {
	return !cfg.Attrition.Enabled && !cfg.Buggify.Enabled && !cfg.Randomize && cfg.SpikeProb == 0 &&
		!cfg.Network.HasFaults() && !cfg.Storage.HasFaults()
}

// A fault family a Run's chaos can switch off for every seed, as the gap
// advice names it.
type family struct {
	key    string // in the results file's faults.off
	name   string
	field  string
	needs  string
	plural bool
}

var families = []family{
	{"reboots", "random reboots", "chaos.Config.Attrition", "a reboot", true},
	{"network", "the network's faults", "chaos.Config.Network", "a network fault", true},
	{"disks", "the disks' faults", "chaos.Config.Storage", "a disk fault", true},
	{"buggify", "buggify", "chaos.Config.Buggify", "a buggify site to fire", false},
}

// familiesOff lists the keys of the families that cfg switches off in
// every seed: not those a seed draws (Randomize, Swarm), and reboots only
// when a seed booted processes (clustered), as attrition reboots nothing
// else; the disks' faults not when DiskStorage configures a disk of its
// own (disks). None when cfg injects nothing at all (chaos.Off): such a
// Run tests without faults on purpose, and its summary says so.
func familiesOff(cfg chaos.Config, clustered, disks bool) []string {
	if injectsNothing(cfg) || cfg.Randomize {
		return nil
	}
	var off []string
	if clustered && !cfg.Attrition.Enabled {
		off = append(off, "reboots")
	}
	if !cfg.Network.Randomize && !cfg.Network.HasFaults() {
		off = append(off, "network")
	}
	if !disks && !cfg.Storage.HasFaults() {
		off = append(off, "disks")
	}
	if !cfg.Buggify.Enabled {
		off = append(off, "buggify")
	}
	return off
}

// offAdvice is the sentence that the advice under failing gaps adds when
// families of faults are off (familiesOff's keys): more runs, each a
// unit, reach nothing that needs them. "" when none is.
func offAdvice(off []string, unit string) string {
	var names, fields, needs []string
	plural := len(off) > 1
	for _, f := range families {
		if slices.Contains(off, f.key) {
			names, fields, needs = append(names, f.name), append(fields, f.field), append(needs, f.needs)
			plural = plural || f.plural
		}
	}
	if len(names) == 0 {
		return ""
	}
	verb := "is"
	if plural {
		verb = "are"
	}
	return fmt.Sprintf("%s %s off in this Run (%s): an assertion that needs %s is reached by no number of %ss",
		joinAnd(names), verb, strings.Join(fields, ", "), joinOr(needs), unit)
}

// joinOr is joinAnd for alternatives: "a", "a or b", "a, b or c".
func joinOr(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
