package simtest

import (
	"context"
	"slices"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// outages is attrition's second stream (chaos.Attrition.Outages): every
// attempt, after its wait, holds attrition's other attempts, waits for
// every process to be up and ready (awaitWhole), and takes down one whole
// unit of Outages.Unit whose processes are none of them protected or
// done, with the kind of reboot attrition's weights draw; attrition's
// other attempts take nothing down until the unit is back
// (c.outage.down). Its draws per attempt: the wait, then, once the
// cluster is whole, which unit, which kind, the grace period and the
// time down, or a pause's length.
func (c *Cluster) outages(ctx context.Context, a chaos.Attrition, reboots *[]providers.Handle) {
	s := c.s
	r := s.w.Rand()
	o := a.Outages
	for {
		if err := c.attritionWait(ctx, o.Interval, 1); err != nil {
			return
		}
		if !c.awaitWhole(ctx, o.Interval.Max) {
			continue
		}
		at := r.Draws()
		var whole []string
		for _, n := range c.Units(o.Unit) {
			if !slices.ContainsFunc(c.in(o.Unit, n), (*proc).spared) {
				whole = append(whole, n)
			}
		}
		if len(whole) == 0 {
			c.outage.waiting = false
			continue
		}
		name := whole[r.IntN(len(whole))]
		how, pause := pickReboot(a, r.Float64())
		// Held from now until the unit is back (unitDown's task), even
		// should the next outage's wait for a whole cluster give up
		// meanwhile.
		c.outage.waiting, c.outage.down = false, true
		*reboots = append(*reboots, c.unitDown(a, o.Unit, name, how, pause, at, o.DownFor, true))
	}
}

// awaitWhole holds attrition's other attempts (c.outage.waiting) and
// waits, for at most limit, until no process is recovering: an outage
// due while processes are down comes once they are back, where waiting
// for a whole cluster by chance would seldom see one under frequent
// reboots. It reports whether the cluster is whole; if it is not, it
// holds attrition no more (an outage under way still holds it until its
// unit is back).
func (c *Cluster) awaitWhole(ctx context.Context, limit time.Duration) bool {
	s := c.s
	c.outage.waiting = true
	end := s.w.Now() + limit
	for slices.ContainsFunc(c.procs, (*proc).recovering) {
		if s.w.Now() >= end || s.p.Time.Sleep(ctx, outagePoll) != nil {
			c.outage.waiting = false
			return false
		}
	}
	return true
}

// recovering reports whether p is down, going down, not ready or paused,
// and will be back by itself: a process a Stop keeps down until a Start
// is no part of the cluster an outage waits for.
func (p *proc) recovering() bool {
	if p.down || p.leaving {
		return p.taker != byStop && p.taker != byRestartLimit
	}
	return !p.ready || p.paused()
}

// outageHolds reports whether an outage holds attrition's other
// attempts: one waits for a whole cluster, or one is under way.
func (c *Cluster) outageHolds() bool { return c.outage.waiting || c.outage.down }

// outagePoll is how often an outage that waits for a whole cluster looks.
const outagePoll = 100 * time.Millisecond

// checkOutages fails the test when a's outages could take nothing down,
// or would take down what the test did not mean: the cluster's processes
// are in no unit of Outages.Unit (no Topology places them), every such
// unit holds a protected process, or one unit holds them all; all is
// the cluster with each group at its largest count (atLargest).
func (c *Cluster) checkOutages(a chaos.Attrition, all []placedProc) {
	o := a.Outages
	placed := slices.ContainsFunc(c.procs, func(p *proc) bool {
		l := p.peer.Locality
		switch o.Unit {
		case chaos.Machine:
			return l.Machine != ""
		case chaos.Zone:
			return l.Zone != ""
		}
		return l.DataCenter != ""
	})
	if !placed {
		c.s.configErrorf("simtest: Attrition.Outages.Unit is %s but the cluster's processes are in no %v; place them in %vs (Processes.Topology), or leave Outages zero", unitConst(o.Unit), o.Unit, o.Unit)
	}
	c.refuseBlockedUnit(all, "Attrition.Outages.Unit", o.Unit, "leave Attrition.Outages zero")
	c.refusePausedUnits(all, "Attrition.Outages.Unit", o.Unit, "an outage", "leave Attrition.Outages zero")
	c.refuseWholeClusterOutage(all, o.Unit)
}
