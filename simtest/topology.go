package simtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/providers"
)

// Topology places a group's processes on machines, machines in zones and
// zones in data centers, as [Processes.Topology]. The zero Topology places
// nothing: each process is a machine of its own. Otherwise a zero count
// means one.
//
// Processes fill the machines in order, as a rack is filled: the first
// PerMachine processes on the first machine of the first zone of the first
// data center, the next on its second machine, and so on, zone after zone.
// The names are positions: data center "dc0", its zone "dc0-z1", that
// zone's machine "dc0-z1-m2". Groups whose topologies reach the same
// position share the machine, as a storage and a log process of
// FoundationDB do.
//
// The processes of one machine keep their own hosts (network addresses)
// and tasks, and share the machine's disk, at the machine's name as its
// address (for [DiskStorage] and [S.Disk]): each keeps its files under
// names of its own. They share the machine's fate: a wipe or a power loss
// is the machine's, taken with [Cluster.RebootUnit] or attrition by
// [chaos.Machine] or a larger unit. A process alone rebooted on a shared
// machine ([Cluster.Stop], [Cluster.Reboot], [Cluster.RebootUnit] of its
// [chaos.Process] unit, attrition by process) is a process ending, and
// the disk stays as it is: the operating system keeps what the process
// wrote, synced or not, and the other processes' files stay open. A wipe
// or a power loss of it is a configuration error that names the machine.
type Topology struct {
	DataCenters int // zero means one
	Zones       int // in each data center; zero means one
	Machines    int // in each zone; zero means one
	PerMachine  int // processes on each machine; zero means one
}

func (t Topology) set() bool { return t != Topology{} }

// dims returns the counts with zeros replaced by one.
func (t Topology) dims() (dcs, zones, machines, per int) {
	one := func(n int) int { return max(n, 1) }
	return one(t.DataCenters), one(t.Zones), one(t.Machines), one(t.PerMachine)
}

// check reports a topology that cannot hold n processes of group.
func (t Topology) check(group string, n int) error {
	if !t.set() {
		return nil
	}
	for _, c := range []struct {
		field string
		n     int
	}{{"DataCenters", t.DataCenters}, {"Zones", t.Zones}, {"Machines", t.Machines}, {"PerMachine", t.PerMachine}} {
		if c.n < 0 {
			return fmt.Errorf("simtest: Processes %q: Topology.%s is %d; a count is zero (meaning one) or more", group, c.field, c.n)
		}
	}
	d, z, m, k := t.dims()
	holds := 1 // the product, capped at n so that large counts cannot overflow it
	for _, c := range []int{d, z, m, k} {
		if holds > n/c {
			holds = n
			break
		}
		holds *= c
	}
	if holds < n {
		return fmt.Errorf("simtest: Processes %q has up to %d processes (Count, MaxCount) but its Topology holds %d (DataCenters %d × Zones %d × Machines %d × PerMachine %d); raise a count of the Topology, or lower Count and MaxCount", group, n, holds, d, z, m, k)
	}
	return nil
}

// place returns the locality of the i-th process.
func (t Topology) place(i int) providers.Locality {
	_, z, m, k := t.dims()
	slot := i / k    // the machine, counted over the whole topology
	zone := slot / m // the zone, counted over the whole topology
	dc := fmt.Sprintf("dc%d", zone/z)
	zn := fmt.Sprintf("%s-z%d", dc, zone%z)
	return providers.Locality{DataCenter: dc, Zone: zn, Machine: fmt.Sprintf("%s-m%d", zn, slot%m)}
}

// diskAddr is the address of a process's disk: its machine's, or, for a
// process no topology placed, its host's.
func (p *proc) diskAddr() string {
	if m := p.peer.Locality.Machine; m != "" {
		return m
	}
	return p.peer.Host
}

// unitOf names the unit of kind u that p belongs to. A process no topology
// placed is a machine, zone and data center of its own, named by its host.
func unitOf(p *proc, u chaos.Unit) string {
	return unitAt(p.peer.Locality, p.peer.Host, p.peer.Name, u)
}

// unitAt names the unit of kind u of the process called name on host at
// l, as unitOf does.
func unitAt(l providers.Locality, host, name string, u chaos.Unit) string {
	var unit string
	switch u {
	case chaos.Process:
		return name
	case chaos.Machine:
		unit = l.Machine
	case chaos.Zone:
		unit = l.Zone
	case chaos.DataCenter:
		unit = l.DataCenter
	}
	if unit == "" {
		return host
	}
	return unit
}

// unitConst is how a test names unit u: "chaos.Zone".
func unitConst(u chaos.Unit) string {
	switch u {
	case chaos.Process:
		return "chaos.Process"
	case chaos.Machine:
		return "chaos.Machine"
	case chaos.Zone:
		return "chaos.Zone"
	case chaos.DataCenter:
		return "chaos.DataCenter"
	}
	return u.String()
}

// refuseMachineWide fails the test, at call, when how is a wipe or a
// power loss of p alone and p shares its machine: either is the machine's,
// and would take down the other processes on it.
func (c *Cluster) refuseMachineWide(call string, p *proc, how Reboot) {
	if (how != Wipe && how != PowerLoss) || !c.sharesMachine(p) {
		return
	}
	name, m := p.peer.Name, p.peer.Locality.Machine
	others := slices.DeleteFunc(c.ProcessesIn(chaos.Machine, m), func(n string) bool { return n == name })
	c.s.configErrorf("simtest: %s: %s shares machine %s with %v, and a %v is the whole machine's; use Cluster.RebootUnit(chaos.Machine, %q, ...)", call, name, m, others, how, m)
}

// holdsDisk reports whether ps are every process whose disk is at addr:
// whether their reboot is their machine's, and takes its disk.
func (c *Cluster) holdsDisk(ps []*proc, addr string) bool {
	for _, q := range c.procs {
		if q.diskAddr() == addr && !slices.Contains(ps, q) {
			return false
		}
	}
	return true
}

// sharesMachine reports whether another process runs on p's machine.
func (c *Cluster) sharesMachine(p *proc) bool {
	if p.peer.Locality.Machine == "" {
		return false
	}
	for _, q := range c.procs {
		if q != p && q.diskAddr() == p.diskAddr() {
			return true
		}
	}
	return false
}

// Units lists the names of the cluster's units of kind u, in the order of
// their first processes: the processes' names for [chaos.Process], their
// machines', zones' or data centers' names otherwise. A process that no
// [Topology] placed is a unit of its own of every kind, named by its host.
func (c *Cluster) Units(u chaos.Unit) []string {
	var out []string
	for _, p := range c.procs {
		if n := unitOf(p, u); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ProcessesIn lists the names of the processes in the unit of kind u
// called name, in declaration order; none for a name that is no unit.
func (c *Cluster) ProcessesIn(u chaos.Unit, name string) []string {
	var out []string
	for _, p := range c.in(u, name) {
		out = append(out, p.peer.Name)
	}
	return out
}

func (c *Cluster) in(u chaos.Unit, name string) []*proc {
	var out []*proc
	for _, p := range c.procs {
		if unitOf(p, u) == name {
			out = append(out, p)
		}
	}
	return out
}

// RebootUnit reboots every process of one unit at once: a machine, a zone
// or a data center ([chaos.Machine], [chaos.Zone], [chaos.DataCenter]; a
// [chaos.Process] unit is one process, as [Cluster.Reboot]). The processes
// of the unit that are up go down together (a graceful stop cancels them
// all and gives them one grace period), the unit's machines' disks take
// the reboot (a crash or a power loss drops what was not synced, a wipe
// erases them), the unit stays down for the time [DownFor] gives, and its processes boot
// again. Processes of a larger unit already down, or going down, are left
// to whatever took them down, but their next boot is told what the disk
// took (a crash, a wipe). A [chaos.Process] unit is rebooted as
// [Cluster.Reboot] reboots it: one down or going down by a reboot or its
// own restart request is waited for until it is back, then rebooted, and
// one that [Cluster.Stop] took down, or that stays down for asking to be
// restarted too often, fails the test. On a machine that
// other processes share it is not the machine: the disk is left as it
// is, and a wipe or a power loss of it is a configuration error, as for
// [Cluster.Reboot]. It returns when the unit is back. how and the options
// are as for [Cluster.Reboot]:
//
//	c.RebootUnit(chaos.Zone, "dc0-z1", simtest.Crash, simtest.DownFor(10*time.Second))
func (c *Cluster) RebootUnit(u chaos.Unit, name string, how Reboot, opts ...RebootOption) {
	call, t := c.rebootUnitChecked(u, name, how, opts)
	c.outlivingCaller(fmt.Sprintf("reboot %v %s", u, name), c.in(u, name), func() { c.rebootUnit(u, name, how, t, call) })
}

// rebootUnitChecked fails the test for a RebootUnit the cluster cannot
// take, whatever the state of its processes, and returns the call's text
// and timings.
func (c *Cluster) rebootUnitChecked(u chaos.Unit, name string, how Reboot, opts []RebootOption) (string, rebootTimes) {
	call := fmt.Sprintf("Cluster.RebootUnit(%v, %q, %v, ...)", u, name, how)
	if u < chaos.Process || u > chaos.DataCenter {
		c.s.configErrorf("simtest: %s: %v is not a unit; use chaos.Process, chaos.Machine, chaos.Zone or chaos.DataCenter", call, u)
	}
	t := c.rebootTimesOf("RebootUnit", fmt.Sprintf("%v, %q", u, name), how, opts)
	if len(c.in(u, name)) == 0 {
		c.s.configErrorf("simtest: %s: the cluster has no %v named %q; its %vs are %v (Cluster.Units(%s) lists them); name one of those, or place the processes with Processes.Topology",
			call, u, name, u, c.Units(u), unitConst(u))
	}
	if u == chaos.Process {
		c.refuseMachineWide(call, c.get(name), how)
	}
	c.checkUnitInto(t, c.in(u, name))
	return call, t
}

// rebootUnit is RebootUnit once checked.
func (c *Cluster) rebootUnit(u chaos.Unit, name string, how Reboot, t rebootTimes, call string) {
	// One process is rebooted as Cluster.Reboot reboots it, not left to
	// another stop: a larger unit's reboot cannot wait for every process
	// of it to be up at once.
	if u == chaos.Process && !c.upFor("RebootUnit", call, c.get(name)) {
		return
	}
	ps := c.stopUnit(u, name, how, t.grace, true, t.into)
	_ = c.s.p.Time.Sleep(c.s.w.Context(), t.down)
	c.startUnit(ps)
}

// stopUnit takes the processes of a unit that are up down together and
// returns them. Every process of the unit, down or up, boots next into
// the release into ("" for the one it has). hand: the test asked for it,
// not attrition.
func (c *Cluster) stopUnit(u chaos.Unit, name string, how Reboot, grace time.Duration, hand bool, into string) []*proc {
	s := c.s
	all := c.in(u, name)
	ps := slices.DeleteFunc(slices.Clone(all), func(p *proc) bool { return p.down || p.leaving })
	// Those going down already: their stops end later, and must not tell
	// their next boots that the disk was left as it was.
	going := slices.DeleteFunc(slices.Clone(all), func(p *proc) bool { return p.down || !p.leaving })
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.peer.Name
		c.unpauseFor(p, how)
		p.leaving, p.taker = true, byReboot
	}
	c.dead += len(ps)
	what := how.String()
	for _, p := range all {
		if p.into(into) != "" {
			what = fmt.Sprintf("%v, into %s", how, into)
		}
	}
	msg := fmt.Sprintf("reboot: %v %s (%s): %s", u, name, what, strings.Join(names, " "))
	s.faultEvent(hand, msg, msg)
	if how == Graceful {
		for _, p := range ps {
			p.stopping = true
			p.main.Cancel()
			p.endCalls()
		}
		gctx, cancel := s.p.Time.WithTimeout(s.w.Context(), grace)
		for _, p := range ps {
			err := p.main.Join(gctx)
			if p.done {
				// Its Run returned before the stop: its calls under way
				// have the grace, as they have once a Run returns in it.
				err = c.awaitCalls(gctx, p)
			}
			if err != nil {
				if _, returned := err.(exit); returned || errors.Is(err, providers.ErrKilled) {
					continue
				}
				s.w.Event("", p.graceOver(grace))
			}
		}
		cancel()
	}
	for _, p := range ps {
		if how == Graceful {
			p.group.Kill()
		} else {
			p.group.Crash()
		}
		c.processDown(p, how)
	}
	// The unit's disks take the reboot, but a process of a machine it
	// shares (a chaos.Process unit) is a process ending: the machine and
	// its disk go on, as the other processes on it do (see Topology).
	var disks []string
	for _, p := range all {
		a := p.diskAddr()
		if !slices.Contains(disks, a) && c.holdsDisk(all, a) {
			disks = append(disks, a)
		}
		if p.down && how == Wipe && slices.Contains(disks, a) {
			p.boot = providers.AfterWipe // its disk is gone too
		}
	}
	if how != Graceful {
		for _, p := range going {
			if slices.Contains(disks, p.diskAddr()) {
				p.hit = max(p.hit, how.boot())
			}
		}
	}
	for _, a := range disks {
		s.diskDown(a, how)
	}
	for _, p := range ps {
		p.down = true
		p.boot = max(how.boot(), p.hit)
		s.w.Event("", fmt.Sprintf("down: %s (%v)", p.peer.Name, how))
	}
	return ps
}

// startUnit boots again the processes stopUnit took down.
func (c *Cluster) startUnit(ps []*proc) {
	for _, p := range ps {
		c.dead--
		c.start(p, p.boot)
	}
}

// refuseBlockedUnit fails the test when every unit of kind u holds a
// protected process: attrition by u never picks such a unit, so it would
// reboot nothing, though the Run's summary says random reboots are on.
// field names the setting that asks for u (Attrition.Unit, or
// Attrition.Outages.Unit) and instead the way to drop it. A process
// alone, by attrition by process, is left to choose: protecting every one
// is how a test keeps attrition off its processes. It reads all, the
// cluster with each group at its largest count (atLargest), so that
// every seed gets the same verdict.
func (c *Cluster) refuseBlockedUnit(all []placedProc, field string, u chaos.Unit, instead string) {
	var held []string
	for _, n := range unitsAt(all, u) {
		var prot []string
		for _, p := range all {
			if p.protected && p.unit(u) == n {
				prot = append(prot, p.name)
			}
		}
		if len(prot) == 0 {
			return // attrition can pick this one
		}
		held = append(held, n+": "+strings.Join(prot, " "))
	}
	if len(held) == 0 {
		return
	}
	const most = 6
	if len(held) > most {
		held = append(held[:most], fmt.Sprintf("and %d more", len(held)-most))
	}
	c.s.configErrorf("simtest: "+field+" is %s but every %v holds a protected process (%s), and attrition never picks a %v that holds one: it could reboot nothing; "+
		"boot the protected processes (Processes.Protected) with no Topology, each then a unit of its own, or %s, "+
		"or reboot %vs from an injector (Cluster.Inject), whose reboots reach protected processes; "+
		"a client that must be in a zone runs from the test on a host that S.HostProvidersIn places there, which attrition never picks",
		unitConst(u), u, strings.Join(held, "; "), u, instead, u)
}

// refusePausedUnits fails the test when every unit of kind u that
// attrition may pick (one with no protected process) holds a PauseOnly
// process, and the Run's attrition draws reboots that take processes
// down: a reboot drawn for such a unit is a pause of it, so attrition by
// u (by, "attrition" or "an outage") would take nothing down, where the
// summary's weights say it does. field and instead are
// refuseBlockedUnit's, and so is all.
func (c *Cluster) refusePausedUnits(all []placedProc, field string, u chaos.Unit, by, instead string) {
	if !c.s.takesDown {
		return
	}
	var paused []string
	for _, n := range unitsAt(all, u) {
		var only []string
		protected := false
		for _, p := range all {
			if p.unit(u) != n {
				continue
			}
			protected = protected || p.protected
			if p.pauseOnly {
				only = append(only, p.name)
			}
		}
		switch {
		case protected:
			continue // never picked
		case len(only) == 0:
			return // attrition can take this one down
		}
		paused = append(paused, n+": "+strings.Join(only, " "))
	}
	if len(paused) == 0 {
		return // refuseBlockedUnit's
	}
	const most = 6
	if len(paused) > most {
		paused = append(paused[:most], fmt.Sprintf("and %d more", len(paused)-most))
	}
	c.s.configErrorf("simtest: "+field+" is %s but every %v that %s may pick holds a PauseOnly process (%s), and a reboot drawn for such a %v pauses it whole: "+
		"%s would take nothing down, though attrition's weights draw reboots; boot the PauseOnly processes (Processes.PauseOnly) with no Topology, each then a unit of its own, or %s",
		unitConst(u), u, by, strings.Join(paused, "; "), u, by, instead)
}

// A placedProc is a process as atLargest places it.
type placedProc struct {
	name, host string
	loc        providers.Locality
	protected  bool
	pauseOnly  bool
}

func (p placedProc) unit(u chaos.Unit) string { return unitAt(p.loc, p.host, p.name, u) }

// atLargest is the cluster's processes with each group at its largest
// count (Count, MaxCount), placed as declare places them: what the
// checks of Cluster.Run's settings read, so that a mistake fails every
// seed alike, where the counts a seed drew would fail only the seeds
// that draw few processes.
func (c *Cluster) atLargest() []placedProc {
	var all []placedProc
	for _, ps := range c.groups() {
		for i := range largestCount(ps.Count, ps.MaxCount) {
			name, host, loc := ps.placement(i)
			all = append(all, placedProc{name, host, loc, ps.Protected, ps.PauseOnly})
		}
	}
	return all
}

// unitsAt names the units of kind u that the processes ps are in, in
// the order of their first processes, as Cluster.Units does.
func unitsAt(ps []placedProc, u chaos.Unit) []string {
	var out []string
	for _, p := range ps {
		if n := p.unit(u); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// refuseWholeClusterOutage fails the test when every process that an
// outage of unit u may take down is in one unit: each outage would take
// the whole cluster down at once, where outages are the loss of one
// zone (or data center) beside the others, and a cluster that the test
// meant to spread over several has all its processes in one (a
// Topology's Zones left at one). A whole-cluster outage on purpose is a
// scripted one, an injector's RebootUnit. It reads all, the cluster with
// each group at its largest count, as declare places it (atLargest), so
// that every seed gets the same verdict: a seed whose drawn counts
// (MaxCount) leave one unit runs its outages of it.
func (c *Cluster) refuseWholeClusterOutage(all []placedProc, u chaos.Unit) {
	guarded := map[string]bool{} // units that hold a protected process, never picked
	for _, p := range all {
		if p.protected {
			guarded[p.unit(u)] = true
		}
	}
	only, protected := "", false
	for _, p := range all {
		switch unit := p.unit(u); {
		case p.protected:
			protected = true
		case guarded[unit]:
			return // a process that no outage takes down
		case only == "":
			only = unit
		case unit != only:
			return // two units an outage may pick
		}
	}
	if only == "" {
		return
	}
	but := ""
	if protected {
		but = " but the protected ones"
	}
	field := map[chaos.Unit]string{chaos.Machine: "Machines", chaos.Zone: "Zones", chaos.DataCenter: "DataCenters"}[u]
	c.s.configErrorf("simtest: Attrition.Outages.Unit is %s but every process%s is in %v %s, so each outage takes the whole cluster down at once; "+
		"place the processes in two %vs or more (Processes.Topology.%s), or leave Attrition.Outages zero; "+
		"for a whole-cluster outage on purpose, reboot %s from an injector (Cluster.Inject, Cluster.RebootUnit)",
		unitConst(u), but, u, only, u, field, only)
}

// groups returns the cluster's groups of processes, in the order booted.
func (c *Cluster) groups() []*Processes {
	var gs []*Processes
	for _, p := range c.procs {
		if !slices.Contains(gs, p.spec) {
			gs = append(gs, p.spec)
		}
	}
	return gs
}

// unitAttrition is attrition by units larger than a process. Its draws,
// per attempt, are those of process attrition: the wait, then, when fewer
// than MaxDead units have a process down or not ready, which unit (among
// those whose processes are all up and ready, none of them protected or
// done), which kind of reboot, the grace period and the recovery delay;
// or, for a pause, its length.
func (c *Cluster) unitAttrition(ctx context.Context, a chaos.Attrition, reboots *[]providers.Handle) {
	s := c.s
	r := s.w.Rand()
	for {
		if err := c.attritionWait(ctx, a.Interval, 0); err != nil {
			return
		}
		if c.outageHolds() {
			continue
		}
		at := r.Draws() // before the draws of which unit and how
		var up []string
		down, spared := c.unitsDown(a.Unit), map[string]bool{}
		for _, p := range c.procs {
			if p.spared() {
				spared[unitOf(p, a.Unit)] = true
			}
		}
		for _, n := range c.Units(a.Unit) {
			if !down[n] && !spared[n] {
				up = append(up, n)
			}
		}
		if len(down) >= a.MaxDead || len(up) == 0 {
			continue
		}
		name := up[r.IntN(len(up))]
		how, pause := pickReboot(a, r.Float64())
		*reboots = append(*reboots, c.unitDown(a, a.Unit, name, how, pause, at, a.DownFor, false))
	}
}

// unitDown takes the unit of kind u called name down as attrition drew
// it at draw at, how, or for a pause, and returns the task that brings
// it back: its draws are a pause's length, or the grace period and then
// the time down, from down. outage: it is an outage (Attrition.Outages),
// whose end lets attrition go on (c.outage.down).
func (c *Cluster) unitDown(a chaos.Attrition, u chaos.Unit, name string, how Reboot, pause bool, at uint64, down chaos.Range, outage bool) providers.Handle {
	s := c.s
	r := s.w.Rand()
	// A unit's processes share its fate: one that attrition only pauses
	// makes its unit's reboot a pause of the unit.
	pause = pause || slices.ContainsFunc(c.in(u, name), func(p *proc) bool { return p.spec.PauseOnly })
	task := func(verb string) string {
		if outage {
			verb = "outage"
		}
		return fmt.Sprintf("%s %v %s", verb, u, name)
	}
	if pause {
		// A unit's pause is its machines', as a hypervisor's: every
		// process of it stops at once.
		s.w.FaultBegins(sim.Fault{Kind: "pause", At: at, On: name})
		d := a.PauseFor.Draw(r)
		ps := slices.DeleteFunc(slices.Clone(c.in(u, name)), func(p *proc) bool { return p.down || p.leaving })
		return s.Go(task("pause"), func(ctx context.Context) error {
			c.pauseFor(d, false, ps...)
			if outage {
				c.outage.down = false
			}
			return nil
		})
	}
	if how == Wipe && slices.ContainsFunc(c.in(u, name), func(p *proc) bool { return p.spec.SoleCopy }) {
		how = Crash
	}
	s.w.FaultBegins(sim.Fault{Kind: rebootFaultKind(how), At: at, On: name})
	grace, recovery := a.Grace.Draw(r), down.Draw(r)
	// The task marks the unit's processes as leaving at once, at this
	// instant, before the next attempt (Interval.Min is positive).
	return s.Go(task("reboot"), func(ctx context.Context) error {
		ps := c.stopUnit(u, name, how, grace, false, "")
		_ = s.p.Time.Sleep(s.w.Context(), recovery)
		c.startUnit(ps)
		if outage {
			c.outage.down = false
		}
		return nil
	})
}
