package simtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// A Workload drives the system under test and checks it. It runs in the
// test driver and is never rebooted. Give it a Name method to have reports
// name it; otherwise it is "workload-N".
type Workload interface {
	// Setup prepares the system, before chaos: no fault happens while it
	// runs.
	Setup(ctx context.Context, p providers.Providers) error
	// Run drives the system while chaos is on.
	Run(ctx context.Context, p providers.Providers) error
	// Check verifies the system once it has settled, after chaos.
	Check(ctx context.Context, p providers.Providers) error
}

// Phases times [Cluster.Run]. Neither is negative, and together they last
// at most [MaxTimeBudget].
type Phases struct {
	// Chaos is how long, at most, the run phase keeps chaos on: reboots,
	// network and disk faults, buggify. Zero means [DefaultChaosPhase].
	// The phase ends sooner when every workload's Run has returned (and
	// every injector that holds it, [Injector.Hold]).
	// The workloads' contexts do not end with it: a Run still going
	// finishes in quiet, and the seed waits for it, up to Finish
	// (docs/workloads.md, "Make the workload finish"). A Run that
	// should run as long as the phase loops on [ChaosContext].
	Chaos time.Duration
	// Settle is how long the system runs, quiet, between the end of the
	// workloads and their checks. Zero means [DefaultSettlePhase].
	Settle time.Duration
	// Finish bounds how long a Run still going when the faults heal may
	// take to return, in quiet: one still running then fails the seed at
	// that simulated time, named, rather than running on to the time
	// budget. Zero means the longer of Chaos and [DefaultFinishPhase].
	Finish time.Duration
}

// The default phase lengths.
const (
	DefaultChaosPhase  = 30 * time.Second
	DefaultSettlePhase = 5 * time.Second
	// DefaultFinishPhase is the least time a Run still going after its
	// chaos phase is given to return (Phases.Finish).
	DefaultFinishPhase = time.Minute
)

// Run runs the workloads against the cluster, phase by phase:
//
//  1. setup: each workload's Setup, in order, with every fault paused
//     (no network or disk fault, no buggify), so that preparing the
//     system does not fail by chance;
//  2. run: every workload's Run at once, with chaos on — the network's and
//     the disks' faults, buggify, attrition rebooting processes, and the
//     injectors of [Cluster.Inject] — for Phases.Chaos or until every Run
//     has returned, and every injector that holds the phase
//     ([Injector.Hold]); with neither, for Phases.Chaos;
//  3. quiesce: the contexts of [ChaosContext] end; faults heal and chaos
//     stops; injectors' contexts end and they are waited for (one still
//     running is cut short, which the timeline and the summary tell);
//     reboots under way complete; Runs still going finish in quiet,
//     within Phases.Finish;
//  4. settle for Phases.Settle, then check: each workload's Check, in
//     order.
//
// A workload's context does not end with the chaos phase; the context
// [ChaosContext] returns does, for a Run that goes on as long as the
// phase. An error from any phase fails the seed, naming the workload and
// the phase, at the line of the workload's method that returned it. A
// workload whose Run never returns fails the seed when Phases.Finish has
// passed after the faults healed, naming it. A run phase that ends as it
// begins, every Run returning at once, meets no chaos: when it does so
// with no fault in every seed, under a chaos that injects faults, the
// test fails though its seeds pass, and says how to hold the phase open.
func (c *Cluster) Run(ph Phases, ws ...Workload) {
	s := c.s
	s.Helper()
	if ph.Chaos == 0 {
		ph.Chaos = DefaultChaosPhase
	}
	if ph.Settle == 0 {
		ph.Settle = DefaultSettlePhase
	}
	if ph.Finish == 0 {
		ph.Finish = max(ph.Chaos, DefaultFinishPhase)
	}
	if err := ph.validate(); err != nil {
		s.configError(err)
	}
	for i, w := range ws {
		if w == nil {
			s.configErrorf("simtest: Cluster.Run: workload %d of %d is nil; pass a Workload, or leave it out", i, len(ws))
		}
	}
	// Checked in every seed, not only in those that draw attrition on
	// (Randomize, Swarm): a mistake that the seed order decides to show
	// late would look like a bug that seed found.
	// So are they with every group at its largest count (atLargest): a
	// seed that drew fewer processes is no mistake of the test's.
	a := s.chaos.Attrition
	if n := c.largestTotal(); (a.Enabled || s.reboots) && a.Unit == chaos.Process && a.MaxDead > n {
		s.configErrorf("simtest: Attrition.MaxDead is %d but the cluster has %s; lower MaxDead to at most %d, or boot more processes", a.MaxDead, pluralWord(n, "1 process", fmt.Sprintf("%d processes", n)), n)
	}
	// The checks by unit read the groups placed at their largest counts,
	// placed once.
	var largest []placedProc
	if (a.Enabled || s.reboots) && (a.Unit != chaos.Process || a.Outages.On()) {
		largest = c.atLargest()
	}
	if (a.Enabled || s.reboots) && a.Unit != chaos.Process {
		units := unitsAt(largest, a.Unit)
		n := len(units)
		if a.MaxDead > n {
			s.configErrorf("simtest: Attrition.MaxDead is %d but the cluster has %s (%v) and Attrition.Unit is %s; lower MaxDead to at most %d, or place the processes in more %vs (Processes.Topology)", a.MaxDead, plural.Count(n, a.Unit.String()), units, unitConst(a.Unit), n, a.Unit)
		}
		c.refuseBlockedUnit(largest, "Attrition.Unit", a.Unit, "set Attrition.Unit to chaos.Process")
		c.refusePausedUnits(largest, "Attrition.Unit", a.Unit, "attrition", "set Attrition.Unit to chaos.Process")
	}
	if (a.Enabled || s.reboots) && a.Outages.On() {
		c.checkOutages(a, largest)
	}
	if a.Enabled || s.reboots {
		c.checkPauseOnly(a)
	}
	ctx := s.Context()
	p := s.workloadProviders()
	run := &chaosRun{}
	prev := c.run
	c.run = run
	defer func() { c.run = prev }()
	loc := s.caller() // Run's line: where an error is told whose method has no line
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = workloadName(w, i)
	}

	s.w.Event("", "phase: setup")
	s.pauseFaults(true)
	for i, w := range ws {
		if err := w.Setup(ctx, p); err != nil {
			s.failAt(workloadSiteOr(w, "Setup", loc), fmt.Sprintf("workload %s: setup: %v", names[i], err), err)
			s.FailNow()
		}
	}
	s.pauseFaults(false)

	s.w.Event("", "phase: run, with chaos")
	if s.swarmRegime && !c.chaosRan {
		if groups := c.pauseOnlyGroups(); len(groups) > 0 {
			s.noteChaosLine("chaos: attrition only pauses " + joinAnd(groups) + " whatever this seed's regime (Processes.PauseOnly)")
		}
	}
	first := !c.chaosRan
	c.chaosRan = true
	chaosAt := s.w.Now()
	faultsAt := s.obs.faults
	var attrition providers.Handle
	var reboots []providers.Handle
	var outages providers.Handle
	if a.Enabled && len(c.procs) > 0 {
		attrition = s.Go("attrition", func(ctx context.Context) error {
			if a.Unit != chaos.Process {
				c.unitAttrition(ctx, a, &reboots)
			} else {
				c.attrition(ctx, a, &reboots)
			}
			return nil
		})
		if a.Outages.On() {
			outages = s.Go("outages", func(ctx context.Context) error {
				c.outages(ctx, a, &reboots)
				return nil
			})
		}
	}
	runs := make([]providers.Handle, len(ws))
	returned := make([]bool, len(ws))
	// A Run that fails is reported as it returns, by its own task, so
	// that the report's time and the timeline around the first failure
	// are where it failed, not where the last workload finished.
	for i, w := range ws {
		runs[i] = s.Go("workload "+names[i], func(ctx context.Context) error {
			err := w.Run(ctx, p)
			returned[i] = true
			if err != nil {
				s.failAt(workloadSiteOr(w, "Run", loc), fmt.Sprintf("workload %s: run: %v", names[i], err), err)
			}
			return nil
		})
	}
	window, cancel := s.p.Time.WithTimeout(ctx, ph.Chaos)
	phase := &chaosPhase{at: chaosAt, length: ph.Chaos}
	injectors := c.startInjectors(window, phase)
	held := runs
	for i, inj := range c.injectors {
		if inj.Hold {
			held = append(slices.Clip(held), injectors[i])
		}
	}
	for _, h := range held {
		if err := h.Join(window); err != nil && !errors.Is(err, providers.ErrKilled) {
			break // the chaos window closed first
		}
	}
	if len(held) == 0 {
		_ = providers.Wait(window, s.p.Task) // chaos for the phase's length
	}
	// The injectors still running learn how the phase ended as their
	// ctx ends with it.
	phase.ended, phase.early = s.w.Now(), window.Err() == nil
	// A seed met no chaos only if every Run's phase lasted no time: a
	// body that calls Run twice may load with nothing to drive first.
	// An injector's script may do its work at the phase's first instant:
	// a Run with one is left alone. So may the code under test meet a
	// fault there, a buggify site that fires.
	c.noChaos = (first || c.noChaos) && phase.early && phase.ended == chaosAt && len(held) > 0 && len(c.injectors) == 0 &&
		!s.obs.faults.since(&faultsAt)
	cancel()
	run.end() // the workloads' ChaosContext
	c.allGone = c.allExited(chaosAt)

	// No fault begins once the phase has ended: attrition stops drawing
	// reboots, and the network and disks heal before the reboots under
	// way are waited for, which can take a reboot's whole DownFor.
	s.w.Event("", "phase: quiesce")
	if outages != nil {
		outages.Cancel()
	}
	if attrition != nil {
		attrition.Cancel()
		_ = attrition.Join(ctx)
	}
	if outages != nil {
		_ = outages.Join(ctx)
	}
	s.faultsOff()
	for _, h := range injectors {
		_ = h.Join(ctx) // their reboots under way complete
	}
	if attrition != nil {
		c.disarmDrawn()
		for _, h := range reboots {
			_ = h.Join(ctx)
		}
	}
	c.awaitRestarts()
	s.Quiesce()
	if slices.Contains(returned, false) {
		// The limit schedules nothing: a seed whose Runs return in time
		// keeps its trace.
		c.finishing = &finishing{ph: ph, chaosEnded: phase.ended, names: names, returned: returned}
		s.w.SetLimit(s.w.Now()+ph.Finish, c.finishing.limitMsg(s))
		for _, h := range runs {
			_ = h.Join(ctx)
		}
		s.w.SetLimit(0, nil)
		c.finishing = nil
	}

	s.w.Event("", "phase: settle")
	s.Sleep(ph.Settle)
	c.checkReady(ph.Settle)
	s.w.Event("", "phase: check")
	s.checkErrs.from = len(s.errs)
	defer func() { s.checkErrs.to = len(s.errs) }() // a Check's FailNow too
	for i, w := range ws {
		if err := w.Check(ctx, p); err != nil {
			msg := fmt.Sprintf("workload %s: check: %v", names[i], err)
			if errors.Is(err, SkipCheck) {
				// A workload's Check judges once, at the end: it has no
				// later step to leave the judgement to.
				msg += " (SkipCheck is for an invariant's or an Eventually's check, which runs again at the next step; a workload's Check runs once, " +
					"so return nil where it cannot judge, or an error that says what it could not check)"
			}
			s.failAt(workloadSiteOr(w, "Check", loc), msg, err)
		}
	}
}

// validate checks phases whose zeros have been replaced by the defaults.
func (ph Phases) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"Chaos", ph.Chaos}, {"Settle", ph.Settle}, {"Finish", ph.Finish}} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("simtest: Phases.%s is %v; a phase lasts zero (the default) or more", f.name, f.d))
		}
	}
	if errs == nil && ph.Chaos > MaxTimeBudget-ph.Settle {
		errs = append(errs, fmt.Errorf("simtest: Phases.Chaos (%v) and Phases.Settle (%v) last more than simtest.MaxTimeBudget (%v) together; shorten them", ph.Chaos, ph.Settle, MaxTimeBudget))
	}
	return errors.Join(errs...)
}

// attrition reboots processes until ctx ends. Its draws, per attempt: the
// wait before it, then, when fewer than MaxDead are down, which process,
// which kind of reboot, the grace period and the recovery delay; or, for a
// pause, its length and whether it begins at once or at a clock read. A process that is up but not ready counts as down,
// and is not picked; nor is one paused, one protected, or one whose Run
// has returned.
func (c *Cluster) attrition(ctx context.Context, a chaos.Attrition, reboots *[]providers.Handle) {
	s := c.s
	r := s.w.Rand()
	for {
		if err := c.attritionWait(ctx, a.Interval, 0); err != nil {
			return
		}
		if c.outageHolds() {
			continue
		}
		at := r.Draws() // before the draws of which process and how
		alive := slices.DeleteFunc(c.alive(), func(p *proc) bool { return p.spared() || p.paused() || p.aimed || p.crashing })
		if notReady := c.notReady(); notReady > 0 {
			alive = slices.DeleteFunc(alive, func(p *proc) bool { return !p.ready })
			if c.dead+notReady >= a.MaxDead {
				continue
			}
		}
		if c.dead >= a.MaxDead || len(alive) == 0 {
			continue
		}
		p := alive[r.IntN(len(alive))]
		how, pause := pickReboot(a, r.Float64())
		pause = pause || p.spec.PauseOnly // a reboot drawn for it is a pause
		if pause {
			s.w.FaultBegins(sim.Fault{Kind: "pause", At: at, On: p.peer.Name})
			d := a.PauseFor.Draw(r)
			atClockRead := r.IntN(2) == 0
			c.dead++
			*reboots = append(*reboots, s.Go("pause "+p.peer.Name, func(ctx context.Context) error {
				if atClockRead {
					c.pauseAtClockRead(d, p)
				} else {
					c.pauseFor(d, true, p)
				}
				return nil
			}))
			continue
		}
		if how == Wipe && p.spec.SoleCopy {
			how = Crash
		}
		if (how == Wipe || how == PowerLoss) && c.sharesMachine(p) {
			how = Crash // the machine's fate: see Topology
		}
		s.w.FaultBegins(sim.Fault{Kind: rebootFaultKind(how), At: at, On: p.peer.Name})
		grace, recovery := a.Grace.Draw(r), a.DownFor.Draw(r)
		aimed := (how == Crash || how == PowerLoss) && a.CrashAtUnsyncedWriteProb > 0 && r.Float64() < a.CrashAtUnsyncedWriteProb
		c.dead++
		g := p.group
		// A process that has renamed a file holding unsynced data may do
		// it again: half its aims wait for that rename, which follows
		// the file's writes and so is never the next unsynced change.
		atMove := aimed && p.movesUnsynced() && r.IntN(2) == 0
		if aimed {
			p.aimed = true
		}
		*reboots = append(*reboots, s.Go("reboot "+p.peer.Name, func(context.Context) error {
			if aimed && !c.awaitUnsyncedWrite(ctx, p, g, atMove, a.Interval.Max) {
				c.dead-- // it went down meanwhile, another way, or the phase ended
				return nil
			}
			c.stop(p, byReboot, how, grace, false, "")
			_ = s.p.Time.Sleep(s.w.Context(), recovery)
			c.dead--
			c.start(p, p.boot)
			return nil
		}))
	}
}

// awaitUnsyncedWrite waits, for attrition's crash of p aimed at an
// unsynced write (chaos.Attrition.CrashAtUnsyncedWriteProb), until one of p's
// tasks returns from a write that leaves data on a disk unsynced (with
// atMove, from a rename of a file whose data is unsynced), which pauses p
// there, or for at most d; it reports whether p is still the
// instance g it was, up, for the crash to strike. A stop of p takes the
// aim back (Cluster.stop), as does attrition's ctx ending
// with the chaos phase, for an aim no write has taken, as disarmDrawn
// takes back a drawn pause: a fault drawn in the chaos phase does not
// begin in the quiesce, once the faults have healed.
func (c *Cluster) awaitUnsyncedWrite(ctx context.Context, p *proc, g *sim.Group, atMove bool, d time.Duration) bool {
	s := c.s
	if !p.aimed || p.group != g {
		return false // a stop came between the draw and this task's start
	}
	wrote := providers.NewChan[struct{}](s.p.Task, 1)
	arm, what := g.PauseAfterUnsyncedWrite, "changed a disk and has not synced the change"
	if atMove {
		arm, what = g.PauseAfterUnsyncedMove, "renamed a file whose data has not been synced"
	}
	arm(func() {
		// On the writer's task, paused with its process.
		// Not "reboot: ...", which the report would count as a
		// second crash: the reboot's own entry follows.
		msg := fmt.Sprintf("aimed crash: %s crashes just after %s %s", p.peer.Name, s.w.CurrentTask(), what)
		s.faultEvent(false, msg, msg)
		_ = wrote.TrySend(struct{}{})
	})
	wait, cancel := s.p.Time.WithTimeout(ctx, d)
	p.unaim = cancel
	_, _, err := wrote.Recv(wait)
	cancel()
	p.aimed, p.unaim = false, nil
	// With no such write in d, the crash strikes now.
	if err != nil && g.Disarm() && ctx.Err() != nil {
		return false // the phase ended first
	}
	return p.group == g && !p.down && !p.leaving
}

// checkPauseOnly fails the test when a group is PauseOnly but a's pauses
// would last no time: every reboot attrition draws for its processes is
// a pause of PauseFor.
func (c *Cluster) checkPauseOnly(a chaos.Attrition) {
	if a.PauseFor.Max > 0 {
		return
	}
	for _, p := range c.procs {
		if p.spec.PauseOnly {
			c.s.configErrorf("simtest: Processes %q is PauseOnly but chaos.Attrition.PauseFor is [0s, 0s], so attrition's pauses of it would last no time; "+
				"give PauseFor a positive Max (chaos.DefaultAttrition().PauseFor is 200ms to 5s), or drop PauseOnly", p.spec.Name)
			return
		}
	}
}

// unitHas reports whether a process of p's unit of kind u is one that
// f reports.
func (c *Cluster) unitHas(u chaos.Unit, p *proc, f func(*proc) bool) bool {
	if u == chaos.Process {
		return f(p)
	}
	name := unitOf(p, u)
	return slices.ContainsFunc(c.procs, func(q *proc) bool { return unitOf(q, u) == name && f(q) })
}

// wipeable counts the processes a wipe that attrition a draws can reach:
// not Protected, not only paused (onlyPaused), in a unit (a.Unit's)
// that holds no SoleCopy process, as a wipe drawn for one is a crash,
// and, for attrition by process with no outages, alone on its machine,
// as a wipe drawn for a process that shares its machine is a crash too.
func (c *Cluster) wipeable(a chaos.Attrition, paused map[*proc]bool) int {
	n := 0
	for _, p := range c.procs {
		sole := c.unitHas(a.Unit, p, func(q *proc) bool { return q.spec.SoleCopy })
		shared := a.Unit == chaos.Process && !a.Outages.On() && c.sharesMachine(p)
		if !p.spec.Protected && !paused[p] && !sole && !shared {
			n++
		}
	}
	return n
}

// pauseOnlyGroups names, quoted, the groups attrition only pauses.
func (c *Cluster) pauseOnlyGroups() []string {
	var out []string
	for _, p := range c.procs {
		if !p.spec.PauseOnly {
			continue
		}
		if q := strconv.Quote(p.spec.Name); !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// largestTotal is the number of processes with each group at its
// largest count, as atLargest places them.
func (c *Cluster) largestTotal() int {
	n := 0
	for _, ps := range c.groups() {
		n += largestCount(ps.Count, ps.MaxCount)
	}
	return n
}

// onlyPaused is the set of the processes that attrition a can only
// pause: the PauseOnly ones, and those whose every unit it takes down
// (a.Unit's and, with outages, a.Outages.Unit's) holds a PauseOnly
// process, which makes that unit's reboot a pause (unitDown); nil for
// none.
func (c *Cluster) onlyPaused(a chaos.Attrition) map[*proc]bool {
	paused := func(p *proc, u chaos.Unit) bool {
		return c.unitHas(u, p, func(q *proc) bool { return q.spec.PauseOnly })
	}
	var set map[*proc]bool
	for _, p := range c.procs {
		if p.spec.PauseOnly || paused(p, a.Unit) && (!a.Outages.On() || paused(p, a.Outages.Unit)) {
			if set == nil {
				set = map[*proc]bool{}
			}
			set[p] = true
		}
	}
	return set
}

// attritionWait sleeps out the interval before attrition's next attempt,
// drawn from the run's stream, and returns ctx's error if ctx ends first.
// In a run an exploration branched, a branch point met while it waits
// ends the wait, and the interval is drawn again from the branch's
// source, from then: a child branched between two reboots can bring the
// next one sooner or later, where it kept its root's time.
// The wait is drawn from interval; slot is the stream's in c.redraw.
func (c *Cluster) attritionWait(ctx context.Context, interval chaos.Range, slot int) error {
	s := c.s
	r := s.w.Rand()
	if !s.w.Branched() {
		return s.p.Time.Sleep(ctx, interval.Draw(r))
	}
	if !c.hooked {
		c.hooked = true
		s.w.OnBranch(func() {
			for _, redraw := range c.redraw {
				if redraw != nil {
					redraw()
				}
			}
		})
	}
	for {
		d := interval.Draw(r) // a branch at this draw draws it from the branch's source
		wait, cancel := s.w.WithCancel(ctx)
		c.redraw[slot] = cancel
		err := s.p.Time.Sleep(wait, d)
		c.redraw[slot] = nil
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
}

// rebootFaultKind names a reboot as attrition's fault of its kind
// (sim.World.FaultBegins).
func rebootFaultKind(how Reboot) string {
	if how == Graceful {
		return "graceful reboot"
	}
	return how.String()
}

// pickReboot picks the kind of reboot by its weight for u in [0, 1), or
// reports a pause.
func pickReboot(a chaos.Attrition, u float64) (how Reboot, pause bool) {
	// PowerLoss, then Kill, then Pause, come last, so that a zero weight
	// leaves the others' draws as they were before it existed.
	x := u * (a.Graceful + a.Crash + a.Wipe + a.PowerLoss + a.Kill + a.Pause)
	switch {
	case x < a.Graceful:
		return Graceful, false
	case x < a.Graceful+a.Crash:
		return Crash, false
	case x < a.Graceful+a.Crash+a.Wipe || a.PowerLoss+a.Kill+a.Pause == 0:
		return Wipe, false
	case x < a.Graceful+a.Crash+a.Wipe+a.PowerLoss || a.Kill+a.Pause == 0:
		return PowerLoss, false
	case x < a.Graceful+a.Crash+a.Wipe+a.PowerLoss+a.Kill || a.Pause == 0:
		return Kill, false
	}
	return 0, true
}

// pauseFaults pauses the seed's faults (network, disks, buggify) or lets
// them go on; once the seed's faults are off, they stay off.
func (s *S) pauseFaults(paused bool) {
	if s.obs.faultsOff {
		return
	}
	s.network().Pause(paused)
	s.diskSet().Pause(paused)
	s.w.ChaosOff(paused)
}

// ClusterOf returns the cluster of a workload's providers: p as
// [Cluster.Run] hands it to Setup, Run and Check. Through it a workload
// reboots processes, reaches other hosts ([Cluster.HostProviders]) and
// waits for processes, without carrying the test's S. A process's
// providers have it too. It returns nil for providers of anything else.
func ClusterOf(p providers.Providers) *Cluster {
	switch v := p.Cluster.(type) {
	case clusterView:
		return v.c
	case hostView:
		return v.s.cluster
	}
	return nil
}

// HostProviders returns providers for the driver's tasks on host, as
// [S.HostProviders] does: a workload uses them, the whole bundle, to act
// from another host, such as a client on the far side of a partition,
// whose tasks are named after the host and drawn on its lane.
func (c *Cluster) HostProviders(host string) providers.Providers {
	return c.s.HostProviders(host)
}

// workloadProviders are the driver's providers with a view of the cluster.
func (s *S) workloadProviders() providers.Providers {
	p := s.Providers()
	if s.cluster != nil {
		p.Cluster = clusterView{c: s.cluster, self: providers.Peer{Name: "driver", Host: DriverHost}}
	}
	return p
}

// workloadSiteOr is the line of w's method name, or loc when it has none.
func workloadSiteOr(w Workload, name, loc string) string {
	if site := workloadSite(w, name); site != "" {
		return site
	}
	return loc
}

func workloadName(w Workload, i int) string {
	if n, ok := w.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("workload-%d", i)
}

// finishing is what Cluster.Run knows while it waits, the faults healed,
// for the workloads whose Run was still going when the chaos phase ended:
// a seed that fails meanwhile names them, whatever failed it.
type finishing struct {
	ph         Phases
	chaosEnded time.Duration
	names      []string
	returned   []bool
}

// running lists the workloads whose Run has not returned.
func (f *finishing) running() []string {
	var out []string
	for i, done := range f.returned {
		if !done {
			out = append(out, "workload "+f.names[i])
		}
	}
	return out
}

// head says, for a failure at at, which workloads run on and for how
// long since their chaos phase ended.
func (f *finishing) head(at time.Duration) string {
	run := f.running()
	return fmt.Sprintf("%s %s still running %v after the chaos phase ended (Phases.Chaos %v; settle, %v, and the checks wait for it)",
		strings.Join(run, ", "), pluralWord(len(run), "is", "are"), at-f.chaosEnded, f.ph.Chaos, f.ph.Settle)
}

// fix says why a workload runs on and what to change.
func (f *finishing) fix() string {
	return fmt.Sprintf("a workload's context does not end with the chaos phase, so its Run must return on its own: "+
		"loop while simtest.ChaosContext(ctx).Err() == nil (that context ends with the phase), or stop after a set number of operations; "+
		"Phases.Finish (%v here) bounds how long Cluster.Run waits for it (docs/workloads.md, \"Make the workload finish\")", f.ph.Finish)
}

// limitMsg is the message of the failure of a seed whose workloads run
// past Phases.Finish.
func (f *finishing) limitMsg(s *S) func() string {
	return func() string {
		return f.head(s.w.Now()) + ", past Phases.Finish (" + f.ph.Finish.String() + "): " + f.fix()
	}
}
