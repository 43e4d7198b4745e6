package simtest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// AllowWallClock names functions that may keep the wall clock beside the
// simulation, for code the test cannot change: a library's janitor that
// it starts and never stops, a rate limiter that sleeps. A Run fails the
// test, though its seeds pass, when a goroutine that the seeds' tasks
// started with a go statement still runs after the Run, or when a seed's
// task waited half a second or more in time.Sleep: both keep the wall
// clock, which the simulation does not see, and test nothing of what they
// wait for (docs/pitfalls.md). A fuzz test fails on such goroutines too,
// after its inputs ([Fuzz]). A goroutine or a wait with one of funcs
// anywhere in its stack is let be and not told of, and so is a goroutine
// that one of funcs started with a go statement, or that such a goroutine
// started, and so on: a library janitor's helpers. A name that lets
// nothing be in a Run is noted in its summary (go test -v shows it), as a
// name a stack does not print matches nothing.
//
// A function is named as a stack names it, by its package path and name:
// "github.com/patrickmn/go-cache.(*janitor).Run". The failure names the
// function a leftover goroutine was started as.
func AllowWallClock(funcs ...string) Option {
	return optionFunc(func(c *config) error {
		if len(funcs) == 0 {
			return fmt.Errorf("simtest.AllowWallClock names no function; give the functions, by package path and name as a stack prints them, whose goroutines and waits may keep the wall clock")
		}
		for _, f := range funcs {
			if f == "" || strings.ContainsAny(f, " \t\n") {
				return fmt.Errorf("simtest.AllowWallClock: %q is no function's name; name it by package path and name as a stack prints it, such as \"example.com/cache.(*janitor).Run\"", f)
			}
		}
		c.wallClock = append(c.wallClock, funcs...)
		return nil
	})
}

// inStack reports whether one of funcs is a function of stack, as
// "function\n\tfile:line" lines.
func inStack(stack string, funcs []string) bool { return inStackHit(stack, funcs, nil) }

// inStackHit is inStack, and marks in hit, when it is not nil, the
// function of funcs it found.
func inStackHit(stack string, funcs []string, hit map[string]bool) bool {
	if len(funcs) == 0 {
		return false
	}
	for line := range strings.SplitSeq(stack, "\n") {
		if line == "" || line[0] == '\t' {
			continue
		}
		if fn := strings.TrimSpace(line); slices.Contains(funcs, fn) {
			if hit != nil {
				hit[fn] = true
			}
			return true
		}
	}
	return false
}

// unmatchedLine is the summary's note of the functions AllowWallClock
// named that let nothing be in the Run, or "": a name a stack does not
// print (no package path, a typo) matches nothing.
func unmatchedLine(allowed []string, hit map[string]bool) string {
	var none []string
	for _, fn := range allowed {
		if q := strconv.Quote(fn); !hit[fn] && !slices.Contains(none, q) {
			none = append(none, q)
		}
	}
	if len(none) == 0 {
		return ""
	}
	return fmt.Sprintf("\n    simtest.AllowWallClock(%s) let nothing be in this Run: no goroutine left running and no wait on real time of half a second or more had %s in its stack; "+
		"if one was meant to, name it as a stack prints it, by package path and name, such as \"example.com/cache.(*janitor).Run\"",
		strings.Join(none, ", "), pluralWord(len(none), "it", "them"))
}

// newWorkers makes a Workers for the Run's seeds and keeps it in pools,
// where leftover looks.
func (r *runner) newWorkers() *sim.Workers {
	p := sim.NewWorkers()
	r.pools = append(r.pools, p)
	return p
}

// leftoverSettle is how long leftoverNote gives goroutines that were
// ending as the last seed ended (woken by its tasks' contexts) to end: a
// loaded machine may not run a woken goroutine for a while, and a count
// taken before it ran would fail a test that has nothing wrong with it.
// It counts again at doubling intervals, so that goroutines that end
// cost little of it and only those that stay cost it all.
const leftoverSettle = 2 * time.Second

// leftover tells of the goroutines that the seeds' tasks started with go
// statements and that still run after the Run: note is the summary's line
// when they could not be counted, failure the test's failure when some
// were (leftoverNote).
func (r *runner) leftover() (note, failure string) {
	text, counted := leftoverNote(r.pools, r.cfg.wallClock, r.rep.allowedHit, seedsLeft)
	switch {
	case text == "":
		return "", ""
	case !counted:
		return "\n    " + text, ""
	}
	return "", leftoverFailure + text
}

// leftoverFailure starts the failure of a Run or a fuzz test that left
// goroutines running.
const leftoverFailure = "simtest: no goroutine may outlive a simulation, and the test fails: "

// leftWords is what leftoverNote calls one of the runs whose goroutines
// it counts: a Run's seed (seedsLeft) or a fuzz test's input
// (inputsLeft).
type leftWords string

const (
	seedsLeft  leftWords = "seed"
	inputsLeft leftWords = "input"
)

// after is what the runs all ran in: the Run, or the fuzz test's inputs.
func (w leftWords) after() string {
	if w == seedsLeft {
		return "the Run"
	}
	return "the " + string(w) + "s"
}

// leftoverNote tells of the goroutines that tasks run on pools started
// with go statements and that still run (sim.Workers.Leftover), but those
// with a function of allowed in their stack, or "". counted is set when
// some were counted. They run on the wall clock, outside the simulation,
// and a library that starts one per use (a cache's janitor, a ticker)
// piles them up seed after seed, until the process is slow enough to fail
// a seed that has nothing wrong with it. When they could not be counted
// it says so: that is not "none".
func leftoverNote(pools []*sim.Workers, allowed []string, hit map[string]bool, w leftWords) (text string, counted bool) {
	let := func(stack string) bool { return inStackHit(stack, allowed, hit) }
	count := func() (n int, startedAs, in string, blind bool) {
		for _, p := range pools {
			k, s, i, looked := p.Leftover(let)
			n += k
			blind = blind || !looked
			if startedAs == "" {
				startedAs, in = s, i
			}
		}
		return n, startedAs, in, blind
	}
	n, startedAs, in, blind := count()
	for wait, deadline := time.Millisecond, time.Now().Add(leftoverSettle); n > 0; wait *= 2 {
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(min(wait, time.Until(deadline)))
		n, startedAs, in, blind = count()
	}
	switch {
	case n == 0 && !blind:
		return "", false
	case n == 0:
		return "whether goroutines that the " + string(w) + "s' tasks started with go statements still run after " + w.after() + " is not known: " +
			"they could not be counted, for a count stops the world, which waits for a program's code to call the host, " +
			"and a program's code in this test binary had run for over a second without calling it " +
			"(a spin, which the watchdog reports in the seed it belongs to: docs/programs.md)", false
	}
	least := ""
	if blind {
		least = "at least "
	}
	return fmt.Sprintf("%s%s that the %ss' tasks started with go statements still %s after %s, outside the simulation, where such goroutines pile up %s after %s: "+
		"one was started as %s and is in %s; "+
		"stop each when its %s ends (give it s.Context(), or the context of the task that starts it), or start the work with p.Task.Go; "+
		"a library that starts its own, a cache's janitor or a ticker, runs in a program (docs/production.md), "+
		"or, when the test cannot change it, simtest.AllowWallClock(%q) lets it run on",
		least, plural.Count(n, "goroutine"), w, pluralWord(n, "runs", "run"), w.after(), w, w, startedAs, in, w, startedAs), true
}
