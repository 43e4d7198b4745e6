package wasmbuild

import (
	"bytes"
	"fmt"
)

// procPath is where the scheduler patch goes in the overlay.
const procPath = "src/runtime/proc.go"

// A hunk is one edit of runtime/proc.go: inside function fn, the text
// anchor, which must occur exactly once there, becomes replace. If it is
// not there, the hunk in alt, written for another Go release, is tried.
type hunk struct {
	fn      string
	anchor  string
	replace string
	alt     *hunk
}

// schedHunks make the order in which runnable goroutines run depend on the
// instance's random source. Without them a wasip1 program runs runnable
// goroutines first in, first out whatever the seed: it has one P and no
// sysmon, so runqput never uses runnext, and the runtime randomizes the
// scheduler only under -race.
//
// The first hunk makes runqget swap the head of the local run queue with a
// random element before taking it; the second makes Gosched put the
// yielding goroutine on the local queue, where the first hunk can reorder
// it, rather than on the global queue, which is read first in, first out.
// Both are guarded by GOARCH == "wasm", a constant, so the patched file
// compiles for every GOOS and GOARCH and changes nothing but wasm.
var schedHunks = []hunk{
	{
		fn: "runqget",
		anchor: `		gp := pp.runq[h%uint32(len(pp.runq))].ptr()
		if atomic.CasRel(&pp.runqhead, h, h+1) { // cas-release, commits consume
`,
		replace: `		if GOARCH == "wasm" && t-h > 1 {
			// moonpool: one P, so no other consumer; take a random
			// runnable G rather than the oldest.
			i := h + cheaprandn(t-h)
			a, b := &pp.runq[h%uint32(len(pp.runq))], &pp.runq[i%uint32(len(pp.runq))]
			*a, *b = *b, *a
		}
		gp := pp.runq[h%uint32(len(pp.runq))].ptr()
		if atomic.CasRel(&pp.runqhead, h, h+1) { // cas-release, commits consume
`,
	},
	{
		fn: "goschedImpl",
		anchor: `	} else {
		lock(&sched.lock)
		globrunqput(gp)
		unlock(&sched.lock)
	}
`,
		replace: `	} else if GOARCH == "wasm" {
		// moonpool: keep the yielding G where runqget can reorder it.
		runqput(pp, gp, false)
	} else {
		lock(&sched.lock)
		globrunqput(gp)
		unlock(&sched.lock)
	}
`,
		// Go 1.25 puts every yielding G on the global queue.
		alt: &hunk{
			fn: "goschedImpl",
			anchor: `	dropg()
	lock(&sched.lock)
	globrunqput(gp)
	unlock(&sched.lock)
`,
			replace: `	dropg()
	if GOARCH == "wasm" {
		// moonpool: keep the yielding G where runqget can reorder it.
		runqput(getg().m.p.ptr(), gp, false)
	} else {
		lock(&sched.lock)
		globrunqput(gp)
		unlock(&sched.lock)
	}
`,
		},
	},
}

// idleHunks take from the scheduler's search for work what a wasm
// program, with one P and one thread, never needs: each is guarded by
// GOARCH == "wasm" and leaves the order of runnable goroutines to
// schedHunks.
//
// The first skips spinning and work stealing: there is no other P to
// steal from. The second makes wakep return at once: there is no idle P
// to wake while the only thread runs, and no thread to start (newosproc
// throws on wasm). The third waits for the network and the next timer
// holding the P, in one poll_oneoff, instead of polling once without
// waiting, handing the P to the idle list, dropping the spinning state
// with its rechecks of every P, polling again and taking the P back.
// The fourth stops casgstatus from timing one in eight of a goroutine's
// turns for the scheduler's latency metrics: each reading of the clock
// is a host call, and simulated time stands still between waits anyway.
var idleHunks = []hunk{
	{
		fn: "findRunnable",
		anchor: `	if mp.spinning || 2*sched.nmspinning.Load() < gomaxprocs-sched.npidle.Load() {
`,
		replace: `	// moonpool: one P on wasm, nothing to steal.
	if GOARCH != "wasm" && (mp.spinning || 2*sched.nmspinning.Load() < gomaxprocs-sched.npidle.Load()) {
`,
	},
	{
		fn: "wakep",
		anchor: `	if sched.nmspinning.Load() != 0 || !sched.nmspinning.CompareAndSwap(0, 1) {
		return
	}
`,
		replace: `	if GOARCH == "wasm" || sched.nmspinning.Load() != 0 || !sched.nmspinning.CompareAndSwap(0, 1) {
		// moonpool: one P and one thread on wasm, nothing to wake.
		return
	}
`,
	},
	{
		fn: "findRunnable",
		anchor: `	if netpollinited() && netpollAnyWaiters() && sched.lastpoll.Load() != 0 && sched.pollingNet.Swap(1) == 0 {
`,
		replace: `	if GOARCH == "wasm" && faketime == 0 && netpollinited() && (netpollAnyWaiters() || pollUntil != 0) && gcBlackenEnabled == 0 {
		// moonpool: one P and one thread on wasm: wait here, once,
		// for the network or the next timer, keeping the P.
		delay := int64(-1)
		if pollUntil != 0 {
			if now == 0 {
				now = nanotime()
			}
			delay = max(pollUntil-now, 0)
		}
		list, delta := netpoll(delay)
		if list.empty() {
			goto top
		}
		gp := list.pop()
		injectglist(&list)
		netpollAdjustWaiters(delta)
		trace := traceAcquire()
		casgstatus(gp, _Gwaiting, _Grunnable)
		if trace.ok() {
			trace.GoUnpark(gp, 0)
			traceRelease(trace)
		}
		return gp, false, false
	}
	if netpollinited() && netpollAnyWaiters() && sched.lastpoll.Load() != 0 && sched.pollingNet.Swap(1) == 0 {
`,
	},
	{
		fn: "casgstatus",
		anchor: `	if !gp.tracking {
		return
	}
`,
		replace: `	if !gp.tracking || GOARCH == "wasm" {
		// moonpool: no latency metrics on wasm, whose clock is a host call.
		return
	}
`,
	},
}

// patchProc applies hunks to src, the runtime/proc.go of Go release
// version. If a hunk's anchor is not where it belongs, the release's
// scheduler differs from the one the patch was written for, and patchProc
// says so rather than guess.
func patchProc(src []byte, version string, hunks []hunk) ([]byte, error) {
	out := src
	for _, h := range hunks {
		next, ok := apply(out, h)
		for alt := h.alt; !ok && alt != nil; alt = alt.alt {
			next, ok = apply(out, *alt)
		}
		if !ok {
			return nil, anchorError(version, h.fn)
		}
		out = next
	}
	return out, nil
}

// apply applies h to src if its anchor occurs exactly once in its function.
func apply(src []byte, h hunk) ([]byte, bool) {
	start := bytes.Index(src, []byte("\nfunc "+h.fn+"("))
	if start < 0 {
		return nil, false
	}
	end := bytes.Index(src[start:], []byte("\n}\n"))
	if end < 0 {
		return nil, false
	}
	body := src[start : start+end+1]
	if bytes.Count(body, []byte(h.anchor)) != 1 {
		return nil, false
	}
	at := start + bytes.Index(body, []byte(h.anchor))
	out := make([]byte, 0, len(src)+len(h.replace)-len(h.anchor))
	out = append(out, src[:at]...)
	out = append(out, h.replace...)
	out = append(out, src[at+len(h.anchor):]...)
	return out, true
}

// knownGo names a Go release whose proc.go the scheduler patch fits; it
// also fits Go 1.25.
const knownGo = "go1.26.8"

func anchorError(version, fn string) error {
	return fmt.Errorf("wasmbuild: the scheduler patch does not fit runtime/proc.go of %s (function %s has changed); build with a Go release it fits, such as GOTOOLCHAIN=%s, or update the hunks of procHunks in internal/wasmbuild/sched.go for %s", version, fn, knownGo, version)
}

// procHunks are all the edits of runtime/proc.go, in the order they apply.
func procHunks() []hunk {
	return append(append([]hunk(nil), schedHunks...), idleHunks...)
}
