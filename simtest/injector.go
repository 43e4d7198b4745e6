package simtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// An Injector is a fault schedule of the test's own, for what the chaos
// configuration cannot say: a zone's outage while a migration runs, a
// partition that follows the leader, a disk crash right after a
// checkpoint. Its Run runs in a task of the test driver during the chaos
// phase of every [Cluster.Run] after [Cluster.Inject], beside the
// workloads, and acts through its [Faults]; its context ends when the
// chaos phase ends, which is when every workload's Run has returned, or
// at Phases.Chaos. It is no workload: unless Hold is set, the chaos phase
// does not wait for it, and it has no setup or check. An injector still
// running when the phase ends early, as the workloads returned, is cut
// short: the timeline and the Run's summary say so.
type Injector struct {
	// Name names the injector in the timeline and in failures.
	Name string
	// Run makes faults until ctx ends, or until its script is played
	// and it returns nil. An error other than ctx's fails the seed.
	Run func(ctx context.Context, f *Faults) error
	// Hold keeps the chaos phase open until Run returns, up to
	// Phases.Chaos, though every workload has returned: for a script
	// that must play whole. A Hold injector that Phases.Chaos ends
	// first is cut short too. Leave it unset for an injector that makes
	// faults until its ctx ends, which would hold every phase to its
	// whole length.
	Hold bool
}

// Inject adds fault injectors to the cluster: each runs during the chaos
// phase of every later [Cluster.Run] of the seed. An injector with no
// name or no Run, or two of one name, is a configuration error.
func (c *Cluster) Inject(injs ...Injector) {
	c.s.Helper()
	for _, inj := range injs {
		switch {
		case inj.Name == "":
			c.s.configErrorf("simtest: an Injector has no Name; name it, for the timeline and failures")
		case inj.Run == nil:
			c.s.configErrorf("simtest: Injector %q has no Run; give it the function that makes its faults", inj.Name)
		}
		for _, o := range c.injectors {
			if o.Name == inj.Name {
				c.s.configErrorf("simtest: two injectors are named %q; names must be unique", inj.Name)
			}
		}
		c.injectors = append(c.injectors, inj)
		c.injected = append(c.injected, &injectorSeen{name: inj.Name})
	}
}

// chaosPhase is one chaos phase of Cluster.Run, as its injectors see it:
// when it began and how long it may last, and, once it has ended, when
// and whether early, as the workloads (and the injectors that hold it)
// had returned before Phases.Chaos.
type chaosPhase struct {
	at, length, ended time.Duration
	early             bool
}

// injectorSeen is what an injector did in a seed, for the Run's summary:
// a script that the end of the chaos phase cut short, or whose reboots
// found their process down, did not play as written, and the seed's
// "ok" should not hide it.
type injectorSeen struct {
	name string
	ran  bool // a chaos phase started it
	// cut tells whether a chaos phase ended while the injector ran: early,
	// as the workloads had returned (cutEarly), or at Phases.Chaos for an
	// injector that held the phase open (cutAtLength); lasted is how
	// long that phase lasted, and length its Phases.Chaos.
	cut            injectorCut
	lasted, length time.Duration
	// reboots counts the reboots it asked for; rebootsIgnored, those of
	// a process down or going down; late, the faults it asked for after
	// the phase ended.
	reboots, rebootsIgnored, late int
}

type injectorCut uint8

const (
	playedWhole injectorCut = iota
	cutEarly
	cutAtLength
)

// ended notes how an injector's Run ended in the chaos phase ph, and
// tells the timeline when the phase cut it short. f is its Faults.
func (seen *injectorSeen) ended(s *S, inj Injector, ph *chaosPhase, f *Faults) {
	if f.window.Err() == nil {
		return // played whole
	}
	var what string
	switch {
	case ph.early:
		what = fmt.Sprintf("cut short: the chaos phase ended %v into its %v (Phases.Chaos), as every workload had returned", ph.ended-ph.at, ph.length)
		if seen.cut == playedWhole {
			seen.cut, seen.lasted, seen.length = cutEarly, ph.ended-ph.at, ph.length
		}
	case inj.Hold:
		what = fmt.Sprintf("cut short: the chaos phase ended at its length, %v (Phases.Chaos), though the injector holds it", ph.length)
		if seen.cut == playedWhole {
			seen.cut, seen.lasted, seen.length = cutAtLength, ph.length, ph.length
		}
	default:
		// An injector that makes faults until its ctx ends does so.
		what = fmt.Sprintf("ended with the chaos phase, at its length, %v (Phases.Chaos)", ph.length)
	}
	if f.sleep.at != "" {
		what += fmt.Sprintf("; it was in its sleep at %s, until %v into the phase", f.sleep.at, f.sleep.until-ph.at)
	}
	s.w.Event("", fmt.Sprintf("inject: %s: %s", inj.Name, what))
}

// startInjectors starts the injectors' tasks for the chaos phase ph,
// which ends with window.
func (c *Cluster) startInjectors(window context.Context, ph *chaosPhase) []providers.Handle {
	s := c.s
	var hs []providers.Handle
	for i, inj := range c.injectors {
		seen := c.injected[i]
		seen.ran = true
		f := &Faults{c: c, name: inj.Name, window: window, seen: seen}
		hs = append(hs, s.Go("inject "+inj.Name, func(context.Context) error {
			err := inj.Run(window, f)
			seen.ended(s, inj, ph, f)
			if err != nil && !(window.Err() != nil && errors.Is(err, window.Err())) {
				s.Errorf("injector %s: %v", inj.Name, err)
			}
			return nil
		}))
	}
	return hs
}

// Faults is an [Injector]'s hold on the seed's faults. Each fault it makes
// is recorded in the timeline as "inject: NAME: what", before the fault's
// own entries. Once the chaos phase is over, its methods make no fault
// (the seed has quiesced) and record that they were ignored.
type Faults struct {
	c      *Cluster
	name   string
	window context.Context
	seen   *injectorSeen
	// sleep is the injector's sleep under way, if any: where it was
	// called and when it ends, which the timeline names when the chaos
	// phase cuts the injector short.
	sleep struct {
		at    string
		until time.Duration
	}
}

// Providers returns the test driver's providers, for the injector's
// sleeps and draws: its Time is simulated time and its Random the seed's
// stream.
func (f *Faults) Providers() providers.Providers {
	p := f.c.s.Providers()
	p.Time = injectorTime{p.Time, f}
	return p
}

// injectorTime is the driver's clock, for an injector: it notes the
// sleep under way, so that a script the chaos phase cuts short is told
// with the line it waited at.
type injectorTime struct {
	providers.Time
	f *Faults
}

func (t injectorTime) Sleep(ctx context.Context, d time.Duration) error {
	f := t.f
	f.sleep.at, f.sleep.until = f.c.s.caller(), f.c.s.w.Now()+max(d, 0)
	err := t.Time.Sleep(ctx, d)
	if err == nil {
		f.sleep.at = ""
	}
	return err
}

// Cluster returns the cluster, to read which processes are alive and
// where they run.
func (f *Faults) Cluster() *Cluster { return f.c }

// note records a fault in the timeline and reports whether to make it.
func (f *Faults) note(format string, args ...any) bool {
	what := fmt.Sprintf(format, args...)
	if f.window.Err() != nil {
		f.seen.late++
		f.c.s.w.Event("", fmt.Sprintf("inject: %s: %s: ignored, the chaos phase is over", f.name, what))
		return false
	}
	f.c.s.w.Event("", fmt.Sprintf("inject: %s: %s", f.name, what))
	return true
}

// Partition cuts every host of a from every host of b, both ways, until
// Heal, as [Net.Partition].
func (f *Faults) Partition(a, b []string) {
	if f.note("partition %s | %s", strings.Join(a, " "), strings.Join(b, " ")) {
		f.c.s.byHand(func() { f.c.s.network().Partition(a, b) })
	}
}

// PartitionOneWay cuts the packets from every host of from to every host
// of to, until Heal, as [Net.PartitionOneWay].
func (f *Faults) PartitionOneWay(from, to []string) {
	if f.note("partition one way %s -> %s", strings.Join(from, " "), strings.Join(to, " ")) {
		f.c.s.byHand(func() { f.c.s.network().PartitionOneWay(from, to) })
	}
}

// Isolate cuts host from every other host until Heal, as [Net.Isolate].
func (f *Faults) Isolate(host string) {
	if f.note("isolate %s", host) {
		f.c.s.byHand(func() { f.c.s.network().Isolate(host) })
	}
}

// Clog holds the packets from host from to host to for d, as [Net.Clog].
func (f *Faults) Clog(from, to string, d time.Duration) {
	if d < 0 || d > chaos.MaxDuration {
		f.c.s.Fatalf("simtest: injector %s: Clog(%q, %q, %v): a clog lasts zero or more, and at most chaos.MaxDuration (%v); to hold packets until Heal, use PartitionOneWay", f.name, from, to, d, chaos.MaxDuration)
	}
	if f.note("clog %s -> %s for %v", from, to, d) {
		f.c.s.byHand(func() { f.c.s.network().Clog(from, to, d) })
	}
}

// Slow adds extra to the latency of every packet from host from to host
// to, until Heal, as [Net.Slow]: a downstream that answers late. The last
// extra set for a pair replaces the one before, and 0 ends it; extra is
// at most [chaos.MaxDuration].
func (f *Faults) Slow(from, to string, extra time.Duration) {
	if extra < 0 || extra > chaos.MaxDuration {
		f.c.s.Fatalf("simtest: injector %s: Slow(%q, %q, %v): a slow link adds zero (none) or more, and at most chaos.MaxDuration (%v)", f.name, from, to, extra, chaos.MaxDuration)
	}
	if f.note("slow %s -> %s by %v", from, to, extra) {
		f.c.s.byHand(func() { f.c.s.network().Slow(from, to, extra) })
	}
}

// Heal ends every partition, isolation, clog and slow link, the chaos
// configuration's too, as [Net.Heal].
func (f *Faults) Heal() {
	if f.note("heal") {
		f.c.s.network().Heal()
	}
}

// HealBetween ends the partitions, clogs and slow links between every
// host of a and every host of b, both ways, as [Net.HealBetween]: the
// injector's own cut ends while others stay.
func (f *Faults) HealBetween(a, b []string) {
	if f.note("heal %s | %s", strings.Join(a, " "), strings.Join(b, " ")) {
		f.c.s.network().HealBetween(a, b)
	}
}

// Reboot reboots one process and returns when it is back, as
// [Cluster.Reboot]. A reboot under way when the chaos phase ends
// completes. A process already down or going down (taken by attrition,
// restarting at its own request, or returned from its Run) is left to
// whatever took it down, as a [Cluster.RebootUnit] of a machine or a
// larger unit leaves one, and the timeline says so: the injector cannot
// see that race coming. Given [Into], such a process still takes the
// release, and boots into it when it comes back; a script whose reboot
// must happen (the graceful restart of an upgrade) calls
// f.Cluster().Reboot, which waits until the process is back, then
// reboots it.
func (f *Faults) Reboot(name string, how Reboot, opts ...RebootOption) {
	c := f.c
	t := c.rebootTimesOf("Reboot", fmt.Sprintf("%q", name), how, opts)
	p := c.get(name)
	c.checkInto(t, p)
	f.seen.reboots++
	if (p.down || p.leaving) && f.window.Err() == nil {
		f.seen.rebootsIgnored++
		c.s.w.Event("", fmt.Sprintf("inject: %s: reboot %s (%v): ignored, %s is down or going down", f.name, name, how, name)+p.intoLater(t.into))
		return
	}
	if f.note("reboot %s (%v%s)", name, how, p.intoNote(t.into)) {
		c.reboot(name, how, t)
	}
}

// RebootUnit reboots every process of a machine, a zone or a data center
// and returns when they are back, as [Cluster.RebootUnit]. A
// [chaos.Process] unit already down or going down is left alone, as
// [Faults.Reboot] leaves one.
func (f *Faults) RebootUnit(u chaos.Unit, name string, how Reboot, opts ...RebootOption) {
	c := f.c
	call, t := c.rebootUnitChecked(u, name, how, opts)
	f.seen.reboots++
	if p := c.byName[name]; u == chaos.Process && (p.down || p.leaving) && f.window.Err() == nil {
		f.seen.rebootsIgnored++
		c.s.w.Event("", fmt.Sprintf("inject: %s: reboot %v %s (%v): ignored, %s is down or going down", f.name, u, name, how, name)+p.intoLater(t.into))
		return
	}
	into := ""
	if slices.ContainsFunc(c.in(u, name), func(p *proc) bool { return p.intoNote(t.into) != "" }) {
		into = ", into " + t.into
	}
	if f.note("reboot %v %s (%v%s)", u, name, how, into) {
		c.rebootUnit(u, name, how, t, call)
	}
}

// intoLater sets the release of p, a process down or going down that an
// injector's reboot into release left alone, and returns what the
// timeline's line on the ignored reboot adds: "; it boots into v2 when it
// is back".
func (p *proc) intoLater(release string) string {
	if p.into(release) == "" {
		return ""
	}
	return "; it boots into " + release + " when it is back"
}

// CrashDisk cuts the power of the disk at addr (a process's host, or a
// machine's name), as [Disk.Crash]: its files lose what was not synced,
// and the files open on it fail from then on. The processes that use it
// go on, and meet the failures.
func (f *Faults) CrashDisk(addr string) {
	if f.note("crash disk %s", addr) {
		f.c.s.Disk(addr).Crash() // counted as the test's, as Disk.Crash is
	}
}
