package simtest

import "fmt"

// A failure that a check finds at the end of a seed (a history that is
// not linearizable) often names an earlier time: the call of the
// operation no order can place. Its report's window, around the failure,
// shows the check, not that time, and the window streams as the seed runs:
// the entries there are gone. A seed is deterministic, so the Run runs it
// again, once, after its seeds, with a window around the named time.

// windowAt runs o's seed again, when its first failure named an earlier
// time that its window does not reach (window.namedAway), with a window
// around that time, and gives o that window. The run again counts nowhere:
// not in the report's figures, the assertions, the results, the timeline
// files or the kept seeds; and its S tells the test nothing the first
// run's told (S.again: attributes, late reports). If it takes another
// path than the first (its trace differs), the seed is not
// deterministic: o.rerun says so, and o keeps its window.
//
// It is for the one seed a report shows, once the Run's seeds have ended,
// so that it costs one seed, on failure only, and no worker's seeds run
// beside it. A seed that ended by the test's own FailNow, that the
// watchdog gave up, or that the determinism check already found to take
// two paths does not run again.
//
// The seed of a Run on several workers runs again alone even when its
// window needs no other time (runsAlone): a seed that fails beside other
// seeds and not alone shares state with them, which the run again tells
// (tellAlone); one run serves both.
func (r *runner) windowAt(o *seedOutcome) {
	at, named := o.win.namedAway()
	alone := r.runsAlone(o)
	if !named && !alone || o.res.Goexit || o.givenUp || overtime(o) || o.diverge != "" || o.s == nil || o.s.config != nil {
		return
	}
	tl := o.tl
	if tl != nil {
		// The same timeline, recording no discoveries, and leaving the
		// exploration's record of the first run as it is.
		tl = &timelineRun{rec: tl.rec}
	}
	var win *window
	if named {
		win = newWindowAt(r.cfg.asserts.tail, at, o.win.failAt)
	}
	again := r.aloneOnce(o.res.Seed, alone, tl, win)
	if alone && r.tellAlone(o, again) || !named {
		// A run that differs from the first tells of the seeds' shared
		// state, not of the window.
		return
	}
	switch {
	case again.givenUp:
		o.rerun = fmt.Sprintf("the seed ran again to show the timeline at %v, the time its first failure names, but the watchdog gave that run up: the window below is around the failure", at)
	case again.res.Trace != o.res.Trace:
		o.rerun = fmt.Sprintf("the seed ran again to show the timeline at %v, the time its first failure names, and took a different path (trace %016x, then %016x): "+
			"the run is not deterministic; %s; -simcheck runs every seed twice and names the first step at which the two runs part. The window below is the first run's, around the failure%s",
			at, o.res.Trace, again.res.Trace, escapes, r.cryptoNote(o.cryptoReads))
	case again.win.frozen:
		o.win = again.win
	}
}
