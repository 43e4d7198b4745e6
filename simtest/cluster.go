package simtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/simdisk"
	"github.com/moonpool-go/moonpool/internal/simnet"
	"github.com/moonpool-go/moonpool/providers"
)

// Cluster is the processes of a seed, booted by [S.Boot]. Its methods are
// called from the test driver's tasks, or from a process's through
// [ClusterOf]: a stop, reboot or pause that a process asks for, of a peer
// or of itself, runs to its end whatever becomes of that process.
type Cluster struct {
	s      *S
	procs  []*proc
	byName map[string]*proc
	dead   int // processes down or going down
	// lastBoot is when a process last booted (booting).
	lastBoot time.Duration
	// restarting counts the processes down between a restart they asked
	// for and their next boot.
	restarting int
	// chaosRan is set when the seed reached Run's run phase, the only
	// place attrition reboots.
	chaosRan bool
	// outlived are the processes' tasks waiting in outlivingCaller for a
	// stop or reboot they asked for, each with the processes it takes
	// down.
	outlived []outliving

	injectors []Injector
	// injected is what each injector did in the seed, in the order of
	// injectors.
	injected []*injectorSeen
	// taken and placed are what the groups booted so far take: their
	// names, and their processes' hosts and disks.
	taken  map[string]bool
	placed placements
	// clocks holds, by machine, the host of its first process to come up:
	// the machine's clock, which its other processes read too.
	clocks map[string]*simnet.Host
	// allGone is when every process had exited of itself, as the last
	// chaos phase of Run ended (allExited).
	allGone exitedWhen
	// noChaos is set when the chaos phase of every Cluster.Run lasted no time,
	// although Phases.Chaos did not say so: every workload's Run, and
	// every injector that holds the phase, returned as it began, and no
	// fault came at that instant (a buggify site that fired).
	noChaos bool
	// finishing, while Run waits in quiet for workloads still going, is
	// what it waits for.
	finishing *finishing
	// run is the Run under way, for ChaosContext; nil outside one.
	run *chaosRun
	// redraw, while attrition waits before its next attempt in a run an
	// exploration branched, ends the wait so that it is drawn again
	// (attritionWait): one for attrition's attempts, one for its
	// outages'. hooked is set once the world calls them at branches.
	redraw [2]func()
	hooked bool
	// outage holds attrition's other attempts for the outages
	// (chaos.Attrition.Outages): attrition takes nothing else down while
	// one waits for a whole cluster, or while one is under way
	// (outageHolds).
	outage struct{ waiting, down bool }
}

// exitedWhen tells when every process of a seed's cluster had exited of
// itself (its Run returned nil), if they all had: a Run whose seeds saw
// no fault asks why, and a cluster with no process left to reboot or
// talk to is one answer.
type exitedWhen uint8

const (
	notAllExited      exitedWhen = iota
	exitedBeforeChaos            // at or before the instant the chaos phase began
	exitedDuringChaos            // the last of them while it ran
)

// allExited is when every process had exited, for a chaos phase that
// began at chaosAt.
func (c *Cluster) allExited(chaosAt time.Duration) exitedWhen {
	if len(c.procs) == 0 {
		return notAllExited
	}
	var last time.Duration
	for _, p := range c.procs {
		if !p.done {
			return notAllExited
		}
		last = max(last, p.doneAt)
	}
	if last <= chaosAt {
		return exitedBeforeChaos
	}
	return exitedDuringChaos
}

// proc is one process slot: a name, a host and a disk that outlive its
// instances.
type proc struct {
	peer    providers.Peer
	spec    *Processes
	group   *sim.Group
	main    providers.Handle
	files   *simdisk.Process // the instance's open files, closed when it goes down
	inst    Process          // the running instance, or the last one
	index   int              // in its group
	boots   int
	boot    providers.Boot
	down    bool // down, until started again
	leaving bool // a stop is under way
	// release is the release of its group's Releases that it runs, or,
	// once a reboot or stop into another has begun, boots into next; ""
	// for a group without Releases.
	release string
	// done: its Run returned, and nothing runs until a reboot or Start;
	// doneAt is when.
	done   bool
	doneAt time.Duration
	// failed: its Run returned an error that failed the seed, and it
	// was not restarted.
	failed bool
	// running: this boot's Run has begun. Until then the instance is
	// one its factory just made, which an invariant judged after the
	// boot's step would find empty (booting).
	running bool
	taker   taker
	// back, once a Stop, Reboot or Start waits for the process to be up
	// again, is closed when it boots.
	back     *providers.Chan[struct{}]
	stopping bool // a graceful stop is under way: its Run returning is expected
	// hit is the worst a unit's reboot did to its disk while it was going
	// down by another way: its next boot is told no better.
	hit      providers.Boot
	restarts []restartAsked // within RestartInterval
	// diskFailures is the count of operations its disk failed (failedOps)
	// at its boot.
	diskFailures int
	// diskCalls is the count of the test's calls that closed its disk's
	// files (S.diskCalls) at its boot.
	diskCalls int
	// bootAt is the stack of the Boot call that declared it, whose line
	// its failures name when its Run is none of the test's code (procSite).
	bootAt []uintptr
	// hold is the pause (Cluster.Pause, attrition) that holds it, nil
	// when it is not paused.
	hold *pauseHold
	// aimed is set while attrition's crash of it waits for its next
	// unsynced write (awaitUnsyncedWrite), and crashing from a crash
	// point's firing until it boots again (crashPoint): it is not picked
	// again meanwhile, nor crashed by another crash point.
	aimed, crashing bool
	// unaim ends the wait of an aimed crash (awaitUnsyncedWrite): a stop
	// that comes first takes the aim back.
	unaim context.CancelFunc
	// movedUnsynced is set once an earlier instance renamed a file
	// holding unsynced data (movesUnsynced).
	movedUnsynced bool
	// ready is false while the process says it is not ready to serve,
	// since notReadySince, for notReadyWhy.
	ready         bool
	notReadyWhy   string
	notReadySince time.Duration
	// bootedAt is when it last booted: WaitReady does not take a
	// process booted at this instant for ready, as its Run may not yet
	// have run to say it is not.
	bootedAt time.Duration
	// calls are the tasks of Cluster.Do running in it, whose contexts a
	// graceful stop ends and which it waits for within its grace, once
	// the process's Run has returned (runReturned).
	calls       []providers.Handle
	runReturned bool
}

// A taker is what took a process down, or is taking it down: it tells
// whether the process comes back by itself.
type taker uint8

const (
	up        taker = iota
	byStop          // Cluster.Stop: down until Cluster.Start
	byRestart       // its own restart request: back after RestartDelay
	byReboot        // a reboot, by hand or by chaos: back when it ends
	// byRestartLimit: it asked to be restarted once too often (RestartBurst)
	// and failed the seed; down until Cluster.Start.
	byRestartLimit
)

// Boot starts every declared process and returns the cluster. Bad
// declarations (no name, no factory, duplicate names or hosts, a host that
// is the test driver's or cannot name a host, more than [MaxProcesses] in
// the cluster) are a configuration error:
// they fail the test once, before anything boots, and the seed is not
// kept. A seed has one cluster: a later Boot adds its groups to it (a
// client group started after its servers, say), with names and hosts of
// their own, and returns the same Cluster.
func (s *S) Boot(groups ...Processes) *Cluster {
	s.Helper()
	c := s.cluster
	if c == nil {
		c = &Cluster{s: s, byName: make(map[string]*proc), taken: map[string]bool{},
			clocks: map[string]*simnet.Host{},
			placed: placements{hosts: map[string]string{}, disks: map[string]string{}}}
	}
	first := len(c.procs)
	// The stack, not its line: the line is needed only for a failure,
	// and finding it costs a process's boot allocations.
	at := make([]uintptr, 16)
	at = at[:runtime.Callers(2, at)]
	for gi := range groups {
		ps := new(Processes)
		*ps = groups[gi] // its own: a later boot calls the factory declared now
		ps.Hosts = slices.Clone(ps.Hosts)
		ps.Releases = maps.Clone(ps.Releases)
		if err := ps.validate(c.taken, len(c.placed.hosts)); err != nil {
			s.configError(err)
		}
		c.taken[ps.Name] = true
		if err := c.placed.declare(ps); err != nil {
			s.configError(err)
		}
		n := s.drawCount(ps.Count, ps.MaxCount)
		for i := range n {
			name, host, loc := ps.placement(i)
			var tags map[string]string
			if ps.Tags != nil {
				tags = maps.Clone(ps.Tags(i))
			}
			release, err := ps.firstRelease(i)
			if err != nil {
				s.configError(err)
			}
			p := &proc{peer: providers.Peer{Name: name, Host: host, Tags: tags, Locality: loc}, spec: ps, index: i, bootAt: at, release: release}
			c.procs = append(c.procs, p)
			c.byName[name] = p
		}
	}
	if s.cluster == nil {
		s.w.OnCrashPoint(c.crashMay, c.crashPoint)
	}
	s.cluster = c
	// A host placed before the cluster was booted was taken at its
	// word: the zone it named must be one of the cluster's. A later Boot
	// could add it, which this one cannot know: the error says where to
	// place the host instead.
	for _, host := range slices.Sorted(maps.Keys(s.placed)) {
		switch err := c.checkPlaced(host, s.placed[host]); err.(type) {
		case nil:
		case noLaterBoot:
			s.configError(err)
		default:
			s.configError(fmt.Errorf("%w; placed before this Boot, it is checked against the processes booted so far: place it after the Boot whose Processes are in its zone", err))
		}
	}
	for _, p := range c.procs[first:] {
		c.start(p, providers.FirstBoot)
	}
	return c
}

// placement names the i-th process of ps and says where it runs.
func (ps *Processes) placement(i int) (name, host string, loc providers.Locality) {
	// Unique, as group names are: the text after a name's last dash is
	// its index, and what comes before is its group's name.
	name = fmt.Sprintf("%s-%d", ps.Name, i)
	host = name
	if ps.Hosts != nil {
		host = ps.Hosts[i]
	}
	if ps.Topology.set() {
		loc = ps.Topology.place(i)
	}
	return name, host, loc
}

// placements is what the groups booted so far take: hosts, by the process
// on each, and disks' addresses, by the process alone on each or "" for a
// machine's.
type placements struct {
	hosts, disks map[string]string
}

// declare checks where the processes of ps would run against the places
// taken, and takes them. It places the group at its largest count, not at
// the count a seed drew, so that a clash fails every seed alike rather
// than only those that draw a count large enough to meet it.
func (pl placements) declare(ps *Processes) error {
	for i := range largestCount(ps.Count, ps.MaxCount) {
		name, host, loc := ps.placement(i)
		switch {
		case host == DriverHost:
			return fmt.Errorf("simtest: Processes %q places %s on %q, the test driver's host (simtest.DriverHost); give it a host of its own", ps.Name, name, host)
		case host == DriverDisk:
			return fmt.Errorf("simtest: Processes %q places %s on %q, the address of the test driver's disk (simtest.DriverDisk); give it a host of its own", ps.Name, name, host)
		case !simnet.ValidHostName(host):
			return fmt.Errorf("simtest: Processes %q places %s on %q, which cannot name a host; use an IP literal such as \"10.0.0.1\" or a name of letters, digits, '-', '.' and '_' (not localhost or a loopback or wildcard address)", ps.Name, name, host)
		}
		if other, dup := pl.hosts[host]; dup {
			return fmt.Errorf("simtest: processes %s and %s share the host %q; give each process its own (Processes.Hosts)", other, name, host)
		}
		pl.hosts[host] = name
		addr, owner := host, name // a process no topology placed is a machine of its own
		if loc.Machine != "" {
			addr, owner = loc.Machine, ""
		}
		switch was, ok := pl.disks[addr]; {
		case ok && was != "":
			return fmt.Errorf("simtest: Processes %q places %s on machine %q, which is the host of %s, and a host alone is a machine of its own; give %s another host (Processes.Hosts)", ps.Name, name, loc.Machine, was, was)
		case ok && loc.Machine == "":
			return fmt.Errorf("simtest: Processes %q places %s on host %q, the name of a machine of a Topology; give %s another host (Processes.Hosts)", ps.Name, name, host, name)
		}
		pl.disks[addr] = owner
	}
	return nil
}

// Peers lists every process, in declaration order.
func (c *Cluster) Peers() []providers.Peer {
	out := make([]providers.Peer, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.peer
		out[i].Tags = maps.Clone(p.peer.Tags)
	}
	return out
}

// Group lists the names of the processes of the group declared as
// Processes{Name: name}, in index order: this seed's count of them, when
// the count is drawn (MaxCount). A name that is no group's lists none.
func (c *Cluster) Group(name string) []string {
	var out []string
	for _, p := range c.procs {
		if p.spec.Name == name {
			out = append(out, p.peer.Name)
		}
	}
	return out
}

// Alive reports whether the named process is running. A paused process
// ([Cluster.Pause]) is alive: it has stopped without going down.
func (c *Cluster) Alive(name string) bool { return !c.get(name).down }

// Paused reports whether the named process is paused now
// ([Cluster.Pause], [Cluster.PauseAfterClockRead], or attrition's
// pauses): none of its tasks runs until it resumes. A pause waiting for
// the process's next clock read has not begun, and a process down is not
// paused. An invariant that a live process must keep (a holder learns in
// time that its lease ran out) can exempt a paused one:
//
//	if c.Alive(name) && !c.Paused(name) { ... }
func (c *Cluster) Paused(name string) bool {
	p := c.get(name)
	return p.paused() && !p.hold.armed
}

// Join waits for the named process's running instance to end and returns
// the error its Run returned: nil when it returned by itself, or was
// stopped gracefully and returned; an error when it was killed (a crash, a
// wipe, a graceful stop past its grace period, or a restart it asked for). A process that is down
// has no running instance; Join then returns at once, nil. Join gives up
// with ctx's error.
func (c *Cluster) Join(ctx context.Context, name string) error {
	p := c.get(name)
	if p.main == nil || p.down {
		return nil
	}
	err := p.main.Join(ctx)
	if e, ok := err.(exit); ok {
		return e.err
	}
	if errors.Is(err, providers.ErrKilled) { // the task ended without returning
		return fmt.Errorf("simtest: process %s: %w", name, ErrKilled)
	}
	return err // ctx's
}

// ErrKilled is the error [Cluster.Join] returns for a process that was
// killed rather than returning from its Run.
var ErrKilled = errors.New("the process was killed")

// exit is what a process's main task returns: its Run's error, wrapped so
// that Join tells it from a kill, whose Join gives providers.ErrKilled,
// and from ctx's error.
type exit struct{ err error }

func (e exit) Error() string { return fmt.Sprint(e.err) }

// SimulationTold tells the engine that the timeline tells of a process's
// exit in lines of its own (exited), and that its main task's end need
// not repeat it.
func (exit) SimulationTold() {}

// Instance returns the instance of the named process that New made for its
// latest boot: the one running, or, while the process is down, the one
// that last ran. An invariant or a check reads a process's state through
// it, with no wrapper around the factory. (A process learns its own name
// and host from its providers' Cluster.Self.)
func (c *Cluster) Instance(name string) Process { return c.get(name).inst }

// InstanceOf is [Cluster.Instance] as a T, the type of the instances of
// the process's group, for an invariant or a check that reads a
// process's state:
//
//	b := simtest.InstanceOf[*Broker](c, "b-0")
//
// An instance of another type (a process of another group, or a release
// of another type) is a configuration error that names both types;
// where a group's releases differ in type, switch on Instance's instead.
func InstanceOf[T Process](c *Cluster, name string) T {
	p := c.get(name)
	inst := p.inst
	t, ok := inst.(T)
	switch {
	case inst == nil:
		c.s.configErrorf("simtest: InstanceOf[%v](c, %q): %s returned nil for it; return a Process", reflect.TypeFor[T](), name, p.spec.factoryName(p.release))
	case !ok:
		c.s.configErrorf("simtest: InstanceOf[%v](c, %q): the process's instance is a %T; ask for that type, or switch on Cluster.Instance's type where releases differ", reflect.TypeFor[T](), name, inst)
	}
	return t
}

// Boots reports how many times the named process has booted.
func (c *Cluster) Boots(name string) int { return c.get(name).boots }

// Release reports the release of its group's [Processes.Releases] that
// the named process runs or, once a reboot [Into] another has begun,
// boots into next; "" for a group without Releases. An invariant that
// holds only once every process runs a release reads it here.
func (c *Cluster) Release(name string) string { return c.get(name).release }

func (c *Cluster) get(name string) *proc {
	p := c.byName[name]
	if p == nil {
		c.s.configErrorf("simtest: no process is named %q; the cluster has %v", name, c.names())
	}
	return p
}

func (c *Cluster) names() []string {
	var out []string
	for _, p := range c.procs {
		out = append(out, p.peer.Name)
	}
	return out
}

// movesUnsynced reports whether an instance of p has renamed a file
// whose data was unsynced, where a crash aimed at unsynced changes may
// wait (Cluster.awaitUnsyncedWrite).
func (p *proc) movesUnsynced() bool {
	return p.movedUnsynced || p.group != nil && p.group.UnsyncedMoves() > 0
}

// start boots a fresh instance of p.
func (c *Cluster) start(p *proc, how providers.Boot) {
	s := c.s
	p.boots++
	p.boot = how
	p.down, p.leaving, p.stopping, p.done, p.failed, p.running, p.crashing, p.hit = false, false, false, false, false, false, false, providers.FirstBoot
	p.taker = up
	if p.back != nil {
		p.back.Close()
		p.back = nil
	}
	p.ready, p.notReadyWhy, p.bootedAt = true, "", s.w.Now()
	c.lastBoot = p.bootedAt
	p.calls, p.runReturned = nil, false // an earlier instance's, ended with its group
	p.movedUnsynced = p.movesUnsynced()
	p.group = s.w.NewGroup(p.peer.Name)
	prov := c.providersOf(p)
	var inst Process
	release := p.release
	id := ProcessID{Name: p.peer.Name, Index: p.index, Host: p.peer.Host, Boot: p.boots, Locality: p.peer.Locality, Release: release}
	switch {
	case release != "":
		inst = p.spec.Releases[release](id)
	case p.spec.NewFor != nil:
		inst = p.spec.NewFor(id)
	default:
		inst = p.spec.New()
	}
	p.inst = inst
	g := p.group
	if release != "" {
		s.w.Event("", "boot: "+p.peer.Name+" ("+how.String()+", release "+release+")")
	} else {
		s.w.Event("", "boot: "+p.peer.Name+" ("+how.String()+")")
	}
	p.main = g.Go(s.w.Context(), "main", func(ctx context.Context) error {
		if inst == nil {
			// Told here, in a task: a restart boots from a timer.
			s.configErrorf("simtest: Processes %q: %s returned nil for %s; return a Process", p.spec.Name, p.spec.factoryName(release), p.peer.Name)
		}
		if p.group == g {
			p.running = true
		}
		err := inst.Run(ctx, prov)
		c.exited(p, g, inst, err)
		return exit{err}
	})
}

// booting reports whether a process booted at this instant has not yet
// begun its Run (invariants wait for it: observer.afterStep).
func (c *Cluster) booting() bool {
	now := c.s.w.Now()
	if c.lastBoot != now {
		return false // the common case, at a glance
	}
	for _, p := range c.procs {
		if !p.running && !p.down && !p.leaving && p.bootedAt == now && p.boots > 0 {
			return true
		}
	}
	return false
}

// exited hears that a process's Run returned.
func (c *Cluster) exited(p *proc, g *sim.Group, inst Process, err error) {
	s := c.s
	if p.group != g {
		return // an older instance
	}
	// A pause armed for a clock read (PauseAfterClockRead) lets the
	// process run, and so exit: the arming ends with this instance, as a
	// stop ends it, and does not fall on the next.
	c.unpauseFor(p, Crash)
	switch {
	case p.stopping:
		// The calls into the process (Cluster.Do) have what is left of
		// the grace to return, as a server's shutdown lets the requests
		// under way finish before it returns; Do takes its own off the
		// list as it returns.
		_ = c.awaitCalls(s.w.Context(), p)
		// The process exits: its other tasks end with it, before any
		// takes another step, as a program's threads end when main
		// returns. Their defers still act, as when the grace runs out.
		g.Exit()
		s.w.Event(p.peer.Name+"/main", "exit: returned from a graceful stop")
	case wantsRestart(err) && !p.leaving:
		c.restart(p, inst, err)
	case err != nil:
		p.failed = true
		// The engine's line says nothing: name the process's Run.
		s.failOf(s.procSite(p, inst), fmt.Sprintf("process %s failed: %v", p.peer.Name, err), err, false)
	default:
		p.done, p.doneAt = true, s.w.Now()
		s.w.Event(p.peer.Name+"/main", "exit: returned")
	}
}

// spared reports whether attrition leaves p alone: it is protected, it
// has done its work, which a reboot would make it do again, or it failed
// the seed, which a reboot would make it fail again, told twice.
func (p *proc) spared() bool { return p.spec.Protected || p.done || p.failed }

// Stop takes the named process down the given way and leaves it down
// until [Cluster.Start]. It returns when the process is down: at once for
// a crash, wipe, power loss or kill, after it returns or the grace period
// ends for a graceful stop. how is Graceful, Crash, Wipe, PowerLoss or
// Kill; a graceful stop waits [DefaultGrace] unless given [Grace]:
//
//	c.Stop("kv-0", simtest.Graceful, simtest.Grace(2*time.Second))
//	c.Stop("kv-1", simtest.Crash)
//
// Given [Into], it leaves the process to boot into that release at Start.
// A process that a reboot (attrition's, an injector's, another task's) or
// its own restart request has taken down comes back by itself: Stop waits
// until it is back, then stops it. Stop of a process that a Stop took
// down, and no Start booted again, fails the test, as does Stop of one
// that stays down for asking to be restarted too often ([RestartBurst]).
func (c *Cluster) Stop(name string, how Reboot, opts ...RebootOption) {
	t := c.rebootTimesOf("Stop", fmt.Sprintf("%q", name), how, opts)
	c.checkInto(t, c.get(name))
	c.outlivingCaller("stop "+name, []*proc{c.get(name)}, func() { c.stopNow("Stop", name, how, t) })
}

// factoryName names the factory of ps that makes a process of release.
func (ps *Processes) factoryName(release string) string {
	switch {
	case release != "":
		return fmt.Sprintf("Releases[%q]", release)
	case ps.NewFor != nil:
		return "NewFor"
	}
	return "New"
}

// outlivingCaller runs fn, which takes the processes of down down or
// brings them back, to its end whatever becomes of the caller. Called
// from a process's task it runs in a task of no process, which the
// caller waits for: the process may stop or crash itself, or be crashed,
// before fn is done, and would leave a process down, or going down, for
// good. The driver's tasks run it themselves, as they always have, so
// that their seeds' traces stay as they were.
func (c *Cluster) outlivingCaller(name string, down []*proc, fn func()) {
	s := c.s
	if s.w.CurrentProcess() == "" {
		fn()
		return
	}
	o := outliving{caller: s.w.CurrentHandle(), down: down}
	c.outlived = append(c.outlived, o)
	// A caller killed while it waits (its process crashed) is listed no
	// longer either: its defers act.
	defer func() {
		c.outlived = slices.DeleteFunc(c.outlived, func(x outliving) bool { return x.caller == o.caller })
	}()
	h := s.w.GoUngrouped(s.ctx, name, func(context.Context) error {
		fn()
		return nil
	})
	_ = h.Join(s.w.Context())
}

// An outliving is a process's task waiting in outlivingCaller for a stop
// or reboot of the processes down.
type outliving struct {
	caller providers.Handle
	down   []*proc
}

// awaitCalls waits, until ctx ends, for the calls of Cluster.Do running
// in p, whose Run has returned in a graceful stop, as a server's shutdown
// lets the requests under way finish before it returns; Do takes its own
// off the list as it returns. A call whose fn waits for a stop or reboot
// of p itself is not waited for: that stop waits for p's exit, which
// would wait for the call. It returns ctx's error if ctx ended first.
func (c *Cluster) awaitCalls(ctx context.Context, p *proc) error {
	p.runReturned = true
	for _, h := range slices.Clone(p.calls) {
		if slices.ContainsFunc(c.outlived, func(o outliving) bool { return o.caller == h && slices.Contains(o.down, p) }) {
			continue
		}
		_ = h.Join(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// stopNow takes a process down for op, Stop or Reboot, with the timings
// and release of t, once it is up. It returns nil if the seed ended
// first.
func (c *Cluster) stopNow(op, name string, how Reboot, t rebootTimes) *proc {
	p := c.get(name)
	if !c.upFor(op, fmt.Sprintf("%s(%q)", op, name), p) {
		return nil
	}
	c.refuseMachineWide(fmt.Sprintf("Cluster.%s(%q, %v)", op, name, how), p, how)
	c.dead++
	by := byReboot
	if op == "Stop" {
		by = byStop
	}
	c.stop(p, by, how, t.grace, true, t.into)
	return p
}

// upFor waits until p, if down or going down, is up again, for op: a
// reboot or a restart it asked for brings it back by itself, but a Stop,
// or one restart too many, leaves it down, and call on it fails the test.
// It returns false if the seed ended first.
func (c *Cluster) upFor(op, call string, p *proc) bool {
	for p.down || p.leaving {
		switch p.taker {
		case byStop:
			c.s.Fatalf("simtest: %s on a process that Stop took down; Start it first", call)
		case byRestartLimit:
			c.s.Fatalf("simtest: %s on a process that stays down: it asked to be restarted more than %d times within %v (above); Start it first", call, RestartBurst, RestartInterval)
		}
		if !c.whenBack(op, p) {
			return false
		}
	}
	return true
}

// whenBack waits until p, down or going down, is up again, for op. It
// returns false if the seed ended first.
func (c *Cluster) whenBack(op string, p *proc) bool {
	s := c.s
	s.w.Event("", fmt.Sprintf("%s %s: waits until %s is back", op, p.peer.Name, p.peer.Name))
	if p.back == nil {
		p.back = providers.NewChan[struct{}](s.p.Task, 0)
	}
	_, _, err := p.back.Recv(s.w.Context())
	return err == nil
}

// Start boots the named process again after a Stop, telling it how it
// went down. A process that asked to be restarted boots at once, without
// waiting out [RestartDelay]. A process that a reboot has taken down comes
// back by itself: Start waits until it is back.
func (c *Cluster) Start(name string) {
	p := c.get(name)
	if p.taker == byReboot {
		c.whenBack("Start", p)
		return
	}
	if !p.down {
		if p.leaving {
			c.s.Fatalf("simtest: Start(%q) on a process that a Stop is still taking down; Start it once that Stop returns", name)
		}
		c.s.Fatalf("simtest: Start(%q) on a process that is running; Stop it first", name)
	}
	c.dead--
	c.start(p, p.boot)
}

// Reboot stops the named process the given way, keeps it down for the
// time [DownFor] gives (none without it), and boots it again. It returns
// when the process is back. how and [Grace] are as for [Cluster.Stop].
// The kinds: [Graceful], [Crash], [Wipe], [PowerLoss] (the machine's power,
// connections vanishing in silence) and [Kill] (kill -9, the disk keeping
// unsynced writes):
//
//	c.Reboot("kv-0", simtest.Graceful, simtest.Grace(2*time.Second), simtest.DownFor(5*time.Second))
//	c.Reboot("kv-1", simtest.Wipe, simtest.DownFor(time.Second))
//	c.Reboot("kv-2", simtest.Graceful, simtest.Into("v2")) // an upgrade
//
// [Into] boots it into another of its group's [Processes.Releases]. A
// process down or going down by another way is waited for as by Stop.
func (c *Cluster) Reboot(name string, how Reboot, opts ...RebootOption) {
	t := c.rebootTimesOf("Reboot", fmt.Sprintf("%q", name), how, opts)
	c.checkInto(t, c.get(name))
	c.outlivingCaller("reboot "+name, []*proc{c.get(name)}, func() { c.reboot(name, how, t) })
}

// reboot is Reboot with its timings read.
func (c *Cluster) reboot(name string, how Reboot, t rebootTimes) {
	p := c.stopNow("Reboot", name, how, t)
	if p == nil {
		return
	}
	_ = c.s.p.Time.Sleep(c.s.w.Context(), t.down)
	c.dead--
	c.start(p, p.boot)
}

// stop takes p down, to boot next into the release into ("" for the one
// it has). hand: the test asked for it (Cluster.Stop, Reboot, an
// Injector's Reboot), not attrition.
func (c *Cluster) stop(p *proc, by taker, how Reboot, grace time.Duration, hand bool, into string) {
	s := c.s
	ctx := s.w.Context()
	name := p.peer.Name
	c.unpauseFor(p, how)
	if p.aimed {
		// An aimed crash waits no more: a write in a graceful stop's
		// grace would otherwise pause the process for a crash that the
		// stop has made moot, and hold its shutdown to the grace's end.
		p.group.Disarm()
		p.aimed = false
		if p.unaim != nil {
			p.unaim()
		}
	}
	p.leaving, p.taker = true, by
	// A Stop's process stays down until a Start: its entry says so, and
	// hashes as it did when it said reboot, so that the traces stay.
	// A change of release is told, and hashed: only a group with
	// Releases has one.
	what := how.String() + p.into(into)
	key := "reboot: " + name + " (" + what + ")"
	msg := key
	if by == byStop {
		msg = "stop: " + name + " (" + what + ")"
	}
	s.faultEvent(hand, key, msg)
	if how == Graceful {
		p.stopping = true
		p.main.Cancel()
		p.endCalls()
		gctx, cancel := s.p.Time.WithTimeout(ctx, grace)
		err := p.main.Join(gctx)
		if p.done {
			// Its Run returned before the stop: its calls under way
			// have the grace, as they have once a Run returns in it.
			err = c.awaitCalls(gctx, p)
		}
		cancel()
		if _, returned := err.(exit); !returned && err != nil && !errors.Is(err, providers.ErrKilled) {
			s.w.Event("", p.graceOver(grace))
		}
	}
	if how == Graceful {
		p.group.Kill() // what outlived the grace: its defers still act
	} else {
		p.group.Crash()
	}
	c.devicesDown(p, how)
	p.down = true
	p.boot = max(how.boot(), p.hit)
	s.w.Event("", "down: "+name+" ("+how.String()+")")
}

// providersOf assembles a process's providers: the world's tasks and
// randomness, its host's clock and network, its disk, and its view of the
// cluster.
func (c *Cluster) providersOf(p *proc) providers.Providers {
	s := c.s
	prov := providers.Providers{
		Task:    s.w.Providers().Task,
		Random:  s.w.Providers().Random,
		Cluster: clusterView{c: c, self: p.peer, boot: p.boot, proc: p, boots: p.boots},
		Logger:  s.Logger(),
	}
	c.devicesUp(p, &prov) // the clock, the network, the disk
	return prov
}

type clusterView struct {
	c    *Cluster
	self providers.Peer
	boot providers.Boot
	// proc and boots are the process and boot the view was made for; nil
	// and zero for the test driver's.
	proc  *proc
	boots int
}

func (v clusterView) Self() providers.Peer    { return v.self }
func (v clusterView) Peers() []providers.Peer { return v.c.Peers() }
func (v clusterView) Boot() providers.Boot    { return v.boot }

// alive returns the processes that are up and not going down, in
// declaration order.
func (c *Cluster) alive() []*proc {
	return slices.DeleteFunc(slices.Clone(c.procs), func(p *proc) bool { return p.down || p.leaving })
}
