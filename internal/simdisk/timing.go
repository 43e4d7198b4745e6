package simdisk

import (
	"context"
	"math/bits"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// opKind is what an operation asks of the device, for its latency.
type opKind uint8

const (
	opRead  opKind = iota // reads and lookups (open, stat, readdir)
	opWrite               // writes and namespace changes
	opSync
)

var opWhat = [...]string{opRead: "disk read", opWrite: "disk write", opSync: "disk sync"}

// device is the disk's queue: it serves one operation at a time.
type device struct {
	busy        time.Duration // the device is occupied until then
	stallEnd    time.Duration // no operation starts before then
	throttleEnd time.Duration // operations are slowed until then
	fullEnd     time.Duration // no space is free until then
}

// schedule admits an operation moving n bytes and returns when it
// completes. verb, file, off (a read's or write's offset, a truncate's
// size, or -1) and to (a rename's new name) describe it to a picture of
// the run (ObserveOps). It draws, in order: whether a stall starts (and how long it
// lasts), whether a throttle starts (and how long), and the latency.
func (d *Disk) schedule(kind opKind, n, off int64, verb, file, to string) time.Duration {
	return d.scheduleCut(kind, n, off, verb, file, to, 0, nil)
}

// scheduleCut is schedule for an operation that does less than it was
// asked: a write of n of asked bytes, cut short by err. The observer hears
// what was asked and why it was cut (sim.Op.Asked, Err); the run draws and
// hashes what schedule's would.
func (d *Disk) scheduleCut(kind opKind, n, off int64, verb, file, to string, asked int64, err error) time.Duration {
	now := d.w.Now()
	cfg := &d.cfg
	if now >= d.dev.stallEnd && d.w.Rand().Bool(cfg.Stall.Prob) {
		d.w.FaultBegins(sim.Fault{Kind: "disk stall", At: d.w.Rand().Draws(), On: d.addr})
		dur := d.span(cfg.Stall.Duration.Min, cfg.Stall.Duration.Max)
		d.dev.stallEnd = now + dur
		d.stats.Stalls++
		d.event("stall", "the disk stops serving for %v", dur)
	}
	throttled := now < d.dev.throttleEnd
	if !throttled && d.w.Rand().Bool(cfg.Throttle.Prob) {
		d.w.FaultBegins(sim.Fault{Kind: "disk throttle", At: d.w.Rand().Draws(), On: d.addr})
		dur := d.span(cfg.Throttle.Duration.Min, cfg.Throttle.Duration.Max)
		d.dev.throttleEnd = now + dur
		throttled = true
		d.stats.Throttles++
		d.event("throttle", "the disk runs %v times slower for %v", cfg.ThrottleFactor, dur)
	}
	var lat chaos.Range
	switch kind {
	case opRead:
		lat = cfg.ReadLatency
	case opWrite:
		lat = cfg.WriteLatency
	default:
		lat = cfg.SyncLatency
	}
	latency := d.span(lat.Min, lat.Max)

	svc := serviceTime(cfg.IOPS, cfg.Bandwidth, n)
	if throttled && cfg.ThrottleFactor > 1 {
		// Saturating as serviceTime does: a float64 past int64's range
		// converts to a negative duration, an instant disk.
		if f := float64(svc) * cfg.ThrottleFactor; f < float64(maxService) {
			svc = time.Duration(f)
		} else {
			svc = maxService
		}
	}
	start := max(now, d.dev.busy, d.dev.stallEnd)
	d.dev.busy = start + svc
	if d.w.ObservingOps() {
		if to != "" {
			file += " -> " + to
		}
		d.w.Op(sim.Op{Kind: sim.OpDisk, Start: now, End: d.dev.busy + latency, From: d.addr, What: opName(verb), File: file, Bytes: n,
			Off: off, Task: d.w.CurrentTask(), Asked: asked, Err: err})
	}
	return d.dev.busy + latency
}

// refused tells the observer of a write refused whole, which takes no
// time and draws nothing: a write of asked bytes at off into file, of
// which nothing fits on a full disk.
func (d *Disk) refused(file string, asked, off int64, err error) {
	if d.w.ObservingOps() {
		now := d.w.Now()
		d.w.Op(sim.Op{Kind: sim.OpDisk, Start: now, End: now, From: d.addr, What: opName("write"), File: file,
			Off: off, Task: d.w.CurrentTask(), Asked: asked, Err: err})
	}
}

// opName is an operation's name in its sim.Op: "disk " and its verb,
// made once for the verbs there are, not for every operation a long seed
// observes.
func opName(verb string) string {
	switch verb {
	case "read":
		return "disk read"
	case "write":
		return "disk write"
	case "sync":
		return "disk sync"
	case "truncate":
		return "disk truncate"
	case "open":
		return "disk open"
	case "stat":
		return "disk stat"
	case "readdir":
		return "disk readdir"
	case "mkdir":
		return "disk mkdir"
	case "remove":
		return "disk remove"
	case "rename":
		return "disk rename"
	}
	return "disk " + verb
}

// maxService is the longest time one operation occupies a device, about
// a century and a half: longer ones saturate rather than overflow.
const maxService = time.Duration(1 << 62)

// serviceTime is how long an operation moving n bytes occupies a device
// of the given IOPS and bandwidth (zero: unlimited).
func serviceTime(iops int, bandwidth, n int64) time.Duration {
	var svc time.Duration
	if iops > 0 {
		svc = time.Second / time.Duration(iops)
	}
	if bandwidth > 0 && n > 0 {
		// n seconds / bandwidth, in nanoseconds, without overflow:
		// beyond maxService it saturates.
		const most = maxService
		hi, lo := bits.Mul64(uint64(n), uint64(time.Second))
		b := most
		if hi < uint64(bandwidth) {
			if q, _ := bits.Div64(hi, lo, uint64(bandwidth)); q < uint64(most) {
				b = time.Duration(q)
			}
		}
		svc = max(svc, b)
	}
	return svc
}

// span draws a duration uniformly from [lo, hi]; it draws nothing when
// the range is one point.
func (d *Disk) span(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(d.w.Rand().Int64N(int64(hi-lo)+1))
}

// wait parks the calling task until simulated time until, calling done
// first, on the scheduler, if done is not nil. A task killed while it
// waits unwinds from here; done is still called, as the device finishes
// what it started.
func (d *Disk) wait(kind opKind, until time.Duration, done func()) {
	p := d.w.Parker()
	tok := p.WaitToken()
	d.w.WakeAfter(until-d.w.Now(), tok, done)
	// The wait has no deadline, so Park returns only when woken.
	_ = p.Park(context.Background(), tok, opWhat[kind])
	d.w.Progress()
}
