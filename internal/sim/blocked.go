package sim

import (
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// blockSample is how long a task must stay away from the scheduler before
// RunGuarded samples its goroutine to learn whether it is blocked outside
// the simulation (a wait) or running (work); a shorter watchdog samples at
// a quarter of its own period. Blocks shorter than this are not counted: a
// step that stays away this long is already rare, so sampling it costs
// little, and the watchdog samples from its own goroutine, never in the
// engine's step loop.
const blockSample = 100 * time.Millisecond

// blocks tallies the real time that a run's tasks (and the scheduler's own
// code) spent blocked outside the simulation, block after block. Each
// block is shorter than the watchdog, or the watchdog would have named it
// alone; many of them (a real DNS lookup per request, a real disk's fsync)
// make a run crawl just the same, so RunGuarded fails the run when their
// sum passes the watchdog. Time in which the goroutine was found running
// is work, not a block, and is not counted: a long computation is Busy,
// told by the watchdog alone.
type blocks struct {
	n       int           // blocks that ended
	total   time.Duration // their real time
	longest block         // the longest that ended
	cur     *block        // the block under way, once a sample found it
	// mark is when the current block began at the latest: the start of
	// the stretch away from the scheduler, or the last sample that found
	// its goroutine running.
	mark time.Time
}

// A block is a stretch of real time in which the goroutine of a task (or
// the scheduler's) was blocked outside the simulation.
type block struct {
	wait RealWait // the task, its goroutine's state and stack, as sampled
	on   string   // what it may wait for (sample.on), or ""
	from time.Time
	wall time.Duration // how long, once it ended
}

// away starts a stretch away from the scheduler at since.
func (b *blocks) away(since time.Time) { b.cur, b.mark = nil, since }

// saw counts a sample taken at now: a wait (a RealWait with a task) or
// not.
func (b *blocks) saw(wait *RealWait, on string, now time.Time) {
	if wait.Task == "" {
		b.end(now) // running since the last look at the latest
		b.mark = now
		return
	}
	if b.cur == nil {
		b.cur = &block{from: b.mark}
	}
	b.cur.wait, b.cur.on = *wait, on
}

// end ends the block under way, if any, at now.
func (b *blocks) end(now time.Time) {
	if b.cur == nil {
		return
	}
	b.cur.wall = now.Sub(b.cur.from)
	b.n++
	b.total += b.cur.wall
	if b.cur.wall > b.longest.wall {
		b.longest = *b.cur
	}
	b.cur = nil
}

// over reports whether the blocks so far, the one under way among them,
// add up to limit or more at now. A block alone is the watchdog's to
// tell, so the one under way must follow at least one that ended.
func (b *blocks) over(now time.Time, limit time.Duration) bool {
	return b.cur != nil && b.n > 0 && b.total+now.Sub(b.cur.from) >= limit
}

// blockedTooLong builds the result of a run whose tasks' blocks outside
// the simulation added up past the watchdog (blocks.over), at now: an
// Escaped failure that names the block under way, its task and stack, and
// the longest before it. It runs on the watcher's goroutine and reads what
// escaped reads.
func (w *World) blockedTooLong(b *blocks, now time.Time, limit time.Duration) Result {
	progress, events, at := w.publishedCounts()
	cur := *b.cur
	cur.wall = now.Sub(cur.from)
	n, total := b.n+1, b.total+cur.wall
	longest := b.longest
	if cur.wall > longest.wall {
		longest = cur
	}
	round := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	msg := fmt.Sprintf("the seed's tasks have been blocked outside the simulation for %v of real time in all, in %d blocks, "+
		"each shorter than the watchdog's %v (so none was told alone) but adding up past it: the run crawls in real time while simulated time stands still. "+
		"This block, the latest, has lasted %v so far: %s. ",
		round(total), n, limit, round(cur.wall), describeBlock(cur))
	switch {
	case longest.wall <= cur.wall:
	case describeBlock(longest) == describeBlock(cur):
		msg += fmt.Sprintf("The longest lasted %v, at the same place. ", round(longest.wall))
	default:
		msg += fmt.Sprintf("The longest lasted %v: %s. ", round(longest.wall), describeBlock(longest))
	}
	if lib := libraryWait(cur.wait.Stack, mainModule()); lib != "" {
		msg += "This block is in " + lib + ", " + libraryOwnWait + "; if the blocks are meant to be, run them inside S.Slow or raise the Watchdog"
	} else {
		msg += "A real network call (a real http.Client or net.Dial, whose DNS lookup shows as net.(*Resolver)...), a raw channel, " +
			"a sync.Mutex, time.Sleep or real file I/O? Block only through the providers: Time.Sleep, Chan, Mutex, WaitGroup, Select, " +
			"providers.Wait(ctx, p.Task) for a context's end, the simulated network (simhttp.NewClient(p) for HTTP) and disk " +
			"(simvet's chan, sync, wallclock and osnet rules find this before running); if the blocks are meant to be, run them inside S.Slow or raise the Watchdog"
	}
	return w.publishedResult(progress, events, at, &Failure{Kind: Escaped, Task: cur.wait.Task, At: time.Duration(at), Stack: cur.wait.Stack, Msg: msg})
}

// describeBlock tells where a block was: its task, what its goroutine
// waited on, the top of its stack, and the goroutine it may have waited
// for.
func describeBlock(b block) string {
	s := fmt.Sprintf("task %q waited (%s) in %s", b.wait.Task, b.wait.State, stackTop(b.wait.Stack))
	if b.on != "" {
		s += ", perhaps for a goroutine it started, in " + b.on
	}
	return s
}

// stackTop names the innermost frame of a stack of "function\n\tfile:line"
// lines, with its file's base name and line.
func stackTop(stack string) string {
	fn, rest, _ := strings.Cut(stack, "\n")
	loc, _, _ := strings.Cut(strings.TrimSpace(rest), "\n")
	if loc == "" {
		return fn
	}
	return fmt.Sprintf("%s (%s)", fn, filepath.Base(loc))
}

// libraryOwnWait is what a report of a wait in a library's own code says,
// after the library's package: no line of the user's code shows it, and
// simvet finds only the calls of the libraries it knows.
const libraryOwnWait = "a dependency outside the test's module. If it is the library's own wait (on a timer, a channel, a lock or real I/O of its own), " +
	"simulated time does not end it: use the library's clock hooks, replace it with a few lines on the providers, " +
	"or run the code as a program (docs/production.md, \"Libraries that keep their own time\"); " +
	"simvet finds such a call where your code makes it only for the libraries its wallclock and osnet rules know (docs/simvet.md, Limits). " +
	"If it waits on something of yours (goroutines started with go, as an errgroup's Wait does, a raw channel, or a real connection you gave it), " +
	"start them with Task.Go and block only through the providers and the simulated network"

// ownModule is this module's path. Its frames are the simulation's or its
// adapters', never a library's own wait.
const ownModule = "github.com/moonpool-go/moonpool"

// mainModule is the test binary's main module, the module of the package
// under test, or "" when the binary carries no build information.
func mainModule() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
}

// libraryWait returns the package of the innermost frame of stack (a
// task's own frames, as userFrames gives them) outside the standard
// library, when that package belongs to a dependency: neither to main, the
// test binary's main module, nor to this module. It returns "" for the
// user's own code, and when main is unknown.
func libraryWait(stack, main string) string {
	if main == "" {
		return ""
	}
	for line := range strings.SplitSeq(stack, "\n") {
		if line == "" || strings.HasPrefix(line, "\t") {
			continue
		}
		pkg := funcPackage(line)
		switch first, _, _ := strings.Cut(pkg, "/"); {
		case inModule(pkg, main) || inModule(pkg, ownModule):
			return ""
		case !strings.Contains(first, "."):
			continue // the standard library, or the test binary's main package
		}
		return strings.ReplaceAll(pkg, "%2e", ".") // a stack trace escapes dots after the last slash
	}
	return ""
}

// funcPackage returns the package path of a function as a stack trace
// names it: golang.org/x/time/rate for golang.org/x/time/rate.(*Limiter).wait.
func funcPackage(fn string) string {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// inModule reports whether the package at path, or the external test
// package at path, is in module.
func inModule(path, module string) bool {
	path = strings.TrimSuffix(path, "_test")
	return path == module || strings.HasPrefix(path, module+"/")
}
