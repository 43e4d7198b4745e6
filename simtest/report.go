package simtest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// report gathers the figures of a Run.
type report struct {
	seeds, passed, failed int
	wall                  time.Duration
	simTime               time.Duration
	steps, events         uint64
	trace                 uint64 // the seeds' traces folded together
	lines                 []string
	assertions            string // the assertion table (assert_report.go)
}

func (r *report) add(o *seedOutcome) {
	r.seeds++
	status := "ok"
	if o.failed() {
		r.failed++
		status = "FAIL"
	} else {
		r.passed++
	}
	res := o.res
	r.simTime += res.SimTime
	r.steps += res.Steps
	r.events += res.Events
	r.trace = (r.trace ^ res.Trace) * 0x100000001b3
	r.lines = append(r.lines, fmt.Sprintf("seed=%d trace=%016x %s sim=%v steps=%d events=%d", res.Seed, res.Trace, status, res.SimTime, res.Steps, res.Events))
}

func (r *report) summary() string {
	var b strings.Builder
	perSec := 0.0
	if s := r.wall.Seconds(); s > 0 {
		perSec = float64(r.steps+r.events) / s
	}
	fmt.Fprintf(&b, "simtest: %s, %d passed, %d failed; wall %v, simulated %v; %d steps, %d events, %s steps+events/s; trace=%016x",
		plural(r.seeds, "seed"), r.passed, r.failed, roundWall(r.wall), r.simTime, r.steps, r.events, human(perSec), r.trace)
	for _, l := range r.lines {
		b.WriteString("\n    ")
		b.WriteString(l)
	}
	if r.assertions != "" {
		b.WriteString("\n")
		b.WriteString(r.assertions)
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func roundWall(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// failureReport tells the story of a failed run: what failed (what, such
// as "seed N" or a fuzz input), how to replay it (replay, the command), what
// failed where, the errors, and the last things that happened.
func failureReport(o *seedOutcome, what, replay string) string {
	var b strings.Builder
	res := o.res
	fmt.Fprintf(&b, "simtest: %s failed", what)
	var f *sim.Failure
	if errors.As(res.Err, &f) && f.Kind != sim.Stopped {
		fmt.Fprintf(&b, ": %v", f)
	} else if o.diverge != "" {
		b.WriteString(": the run is not deterministic")
	}
	fmt.Fprintf(&b, "\n  replay: %s\n", replay)
	if o.diverge != "" {
		fmt.Fprintf(&b, "  the same seed ran twice and took different paths; something escapes the simulation (a map iteration, a raw goroutine, the wall clock, a global random source?):\n    %s\n",
			indent(o.diverge, "    "))
	}
	if f != nil && f.Stack != "" {
		fmt.Fprintf(&b, "  stack of %s:\n    %s\n", stackOf(f), indent(strings.TrimSpace(f.Stack), "    "))
	}
	if o.s != nil && len(o.s.errs) > 0 {
		b.WriteString("  errors:\n")
		for _, e := range o.s.errs {
			fmt.Fprintf(&b, "    %s\n", indent(e, "      "))
		}
	}
	if o.s != nil && len(o.s.logs) > 0 {
		b.WriteString("  log:\n")
		for _, l := range o.s.logs {
			fmt.Fprintf(&b, "    %s\n", indent(l, "      "))
		}
	}
	if len(res.Timeline) > 0 {
		b.WriteString("  last events:\n")
		for _, e := range res.Timeline {
			fmt.Fprintf(&b, "    %v\n", e)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
