package sim

import (
	"fmt"
	"path/filepath"
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
	msg += "A real network call (a real http.Client or net.Dial, whose DNS lookup shows as net.(*Resolver)...), a raw channel, " +
		"a sync.Mutex, time.Sleep or real file I/O? Block only through the providers: Time.Sleep, Chan, Mutex, WaitGroup, Select, " +
		"providers.Wait(ctx, p.Task) for a context's end, the simulated network (simhttp.NewClient(p) for HTTP) and disk " +
		"(simvet's chan, sync, wallclock and osnet rules find this before running); if the blocks are meant to be, run them inside S.Slow or raise the Watchdog"
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
