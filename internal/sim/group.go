package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moonpool-go/moonpool/providers"
)

// A Group is the set of tasks of one simulated process. Its first task is
// started with Group.Go; every task a task of the group starts joins it, as
// do the tasks of AfterFunc timers its tasks set. Killing the group kills
// them all at once, which is how a process crashes.
type Group struct {
	w       *World
	name    string
	dead    bool
	crashed bool // killed by Crash: its unwinding tasks act on nothing
	// quietTimers keeps its timers' tasks out of the timeline
	// (World.QuietTimers).
	quietTimers bool
	// paused is set while the group is paused (Pause): its tasks made
	// ready wait in held, in the order they were made ready, until Resume.
	paused bool
	held   []*task
	// reader is the task that paused the group in its clock read
	// (PauseAfterClockRead), until it next gives up its turn after the
	// resume. While resuming is set, Resume has made the reader ready
	// alone: the group stays paused for its other tasks, so that the
	// interrupted task goes on first, as the thread a real pause stopped
	// does (a sync.Mutex it holds across the read is then released before
	// another task of the process can ask for it).
	reader   *task
	resuming bool
	// onPoint is set while the group is armed to pause at the next point
	// of kind armedAt its tasks reach (PauseAfterClockRead,
	// PauseAfterUnsyncedWrite, PauseAfterUnsyncedMove): it is called as the
	// pause begins.
	onPoint func()
	armedAt pausePoint
	// pausedAt is the kind of point where reader paused.
	pausedAt pausePoint
	// unsyncedMoves counts its tasks' renames of files holding unsynced
	// data (UnsyncedMove).
	unsyncedMoves int
}

// A pausePoint is a kind of point in a task's code where an armed group
// pauses.
type pausePoint uint8

const (
	atClockRead     pausePoint = iota + 1 // a read of a clock
	atUnsyncedWrite                       // a write to a disk that leaves data unsynced
	atUnsyncedMove                        // a rename of a file whose data is unsynced
)

func (p pausePoint) String() string {
	switch p {
	case atUnsyncedWrite:
		return "a disk write"
	case atUnsyncedMove:
		return "a rename"
	}
	return "a clock read"
}

// takes reports whether a group armed for points of kind p pauses at one
// of kind at: a rename of unsynced data is an unsynced change too.
func (p pausePoint) takes(at pausePoint) bool {
	return p == at || p == atUnsyncedWrite && at == atUnsyncedMove
}

// NewGroup returns an empty group whose tasks are named "name/…".
func (w *World) NewGroup(name string) *Group { return &Group{w: w, name: name} }

// Go starts a task in the group. A killed group takes no new tasks: a
// restarted process gets a new Group.
func (g *Group) Go(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	if g.dead {
		panic("sim: task " + name + " started in group " + g.name + " after the group was killed; make a new Group for the restarted process")
	}
	return g.w.spawnIn(g, ctx, name, fn)
}

// GoUngrouped starts a task in no group, whichever task calls it, where
// the world's Task puts a new task in the group of the task that starts
// it: the task neither pauses nor dies with the caller's process. It is
// for work of the test's own that a process's task sets going and that
// must finish even if that process stops or dies (simtest's Pause). Give
// it a context that is not the process's, which ends with the process.
func (w *World) GoUngrouped(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return w.spawnIn(nil, ctx, name, fn)
}

// Task returns a Task provider that starts every task in the group,
// whichever task calls it, where the world's puts a new task in the
// process of the task that starts it; a Spawner taken from it starts its
// tasks in the group too. The rest of it is the world's. It is the Task of
// providers that act from a host of no process (simtest's HostProviders):
// their tasks are named after the host and drawn on its lane.
func (g *Group) Task() providers.Task { return groupTask{(*taskProvider)(g.w), g} }

// groupTask is the world's Task provider, with Go and Spawner bound to a
// group. Embedding the provider keeps every method that code finds on a
// simulation's Task by an interface of its own (Parker, OnPark,
// TaskName...).
type groupTask struct {
	*taskProvider
	g *Group
}

func (p groupTask) Go(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return p.g.Go(ctx, name, fn)
}

// GoQuiet is the world's GoQuiet, in the group.
func (p groupTask) GoQuiet(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	g := p.g
	if g.dead {
		panic("sim: task " + name + " started in group " + g.name + " after the group was killed; make a new Group for the restarted process")
	}
	return g.w.spawnTask(g, ctx, name, fn, true)
}

// Spawner is the world's Spawner, in the group rather than in the process
// of the task that takes it.
func (p groupTask) Spawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return p.g.w.spawnerIn(p.g, false)
}

// QuietSpawner is the world's QuietSpawner, in the group.
func (p groupTask) QuietSpawner() func(ctx context.Context, name string, fn func(ctx context.Context) error) providers.Handle {
	return p.g.w.spawnerIn(p.g, true)
}

// CurrentProcess names the process (the group) of the running task: ""
// outside any task, or for a task of none.
func (w *World) CurrentProcess() string { return w.curGroup().process() }

// process names the group in timeline entries: "" for nil, no group.
func (g *Group) process() string {
	if g == nil {
		return ""
	}
	return g.name
}

// groupOf returns the group of the live task named task, the running one
// first (events are nearly always the running task's), or nil.
func (w *World) groupOf(task string) *Group {
	if task == "" {
		return nil
	}
	if c := w.cur; c != nil && (c.name == task || c.shown() == task) {
		return c.group
	}
	for t := range w.liveTasks() {
		if t.name == task || t.shown() == task {
			return t.group
		}
	}
	return nil
}

// Alive reports how many tasks of the group are alive.
func (g *Group) Alive() int {
	n := 0
	for t := range g.w.liveTasks() {
		if t.group == g {
			n++
		}
	}
	return n
}

// Crash kills the group as a process crash does: as Kill, but what its
// tasks do while they unwind has no effect. Their defers still run (Go
// has no other way to reclaim a goroutine), but each call they make into
// the simulation, a device's or a primitive's, non-blocking or not,
// unwinds them at once: a deferred conn.Close or conn.Write, a send, a
// dial, a timer or a new task never happens. A panic that one of them
// raises does not fail the run either, as a panic of a killed task's
// defer does: outside a simulation a crashed process runs no defers, so
// the code cannot be at fault; the timeline notes it ("panic after
// crash"). Kill, for a graceful stop's leftovers, lets the defers act.
//
// Skipping the defers altogether would take a goroutine that never ends
// (Go ends one only by running its defers), and with it the worker that
// later tasks run on; and the primitives' own deferred bookkeeping, such
// as a Select leaving the queues it waited in, runs in the same unwinding.
func (g *Group) Crash() {
	g.crashed = true
	g.Kill()
}

// Kill kills every task of the group at once, in start order. Called from a
// task of the group, it kills the others and then unwinds the caller.
func (g *Group) Kill() {
	if g.killOthers() {
		g.w.kill(g.w.cur)
	}
}

// Exit kills every task of the group but the caller, at once, in start
// order, as a process's exit ends its other threads: the caller, a task of
// the group, goes on to return. The group is dead from then on.
func (g *Group) Exit() { g.killOthers() }

// killOthers kills every task of the group but the running one, and
// reports whether the running one is of the group.
func (g *Group) killOthers() bool {
	w := g.w
	g.dead = true
	g.unpause() // a stopped process is killed as it stands (SIGKILL)
	g.reader = nil
	w.notePausedRead(g, false)
	g.disarm()
	var victims []*task
	for t := range w.liveTasks() {
		if t.group == g {
			victims = append(victims, t)
		}
	}
	self := false
	for _, t := range victims {
		if t == w.cur {
			self = true
			continue
		}
		w.kill(t)
	}
	return self
}

// Pause stops the group as SIGSTOP stops a process: from now until
// Resume, none of its tasks runs. What would wake them still happens in
// time (a sleep's end passes, a send to them lands, a context they wait
// on ends, a timer of theirs starts its task), but a task made ready
// waits, held, instead of joining the ready list. Its tasks that are
// ready at the call are held too. Pause of a paused or dead group does
// nothing. A group killed while paused (Kill, Crash, Exit) dies as it
// stands: its tasks unwind as a killed group's do.
//
// Called from a task of the group, Pause lets the caller run on until it
// next gives up its turn.
func (g *Group) Pause() {
	w := g.w
	w.enter("Group.Pause")
	if g.resuming {
		// Paused again before the reader of a clock-read pause gave up
		// its turn: the reader, ready, is held again, and will go on
		// first at the next Resume.
		g.resuming = false
		if r := g.reader; w.isReady(r) {
			w.unready(r)
			g.held = append(g.held, r)
		}
		return
	}
	if g.paused || g.dead {
		return
	}
	g.paused = true
	w.paused++
	// In start order, so that the order of the held tasks, which Resume
	// puts back in the ready list, is the seed's.
	for t := range w.liveTasks() {
		if t.group == g && w.isReady(t) {
			w.unready(t)
			g.held = append(g.held, t)
		}
	}
}

// Resume lets a paused group run again: every task made ready while it
// was paused joins the ready list at once, in the order it was made
// ready, and the scheduler draws among them as among any ready tasks.
// Resume of a group that is not paused does nothing.
//
// A group that its task's clock read paused (PauseAfterClockRead) goes on
// with that task alone, as a process resumes the thread the pause
// interrupted where it stood: the other tasks join the ready list only
// once the reader next gives up its turn (parks, yields, returns or is
// killed), and a Pause before then holds them on.
func (g *Group) Resume() {
	w := g.w
	w.enter("Group.Resume")
	if g.resuming {
		return
	}
	if r := g.reader; r != nil && g.paused && !r.finished && !r.killed {
		if i := slices.Index(g.held, r); i >= 0 {
			g.held = slices.Delete(g.held, i, i+1)
			g.resuming = true
			w.notePausedRead(g, true) // the note says it has resumed
			w.addReady(r)
			return
		}
	}
	g.resumeHeld()
}

// resumeHeld ends the group's pause and puts its held tasks in the ready
// list, in the order they were made ready.
func (g *Group) resumeHeld() {
	w := g.w
	held := g.held
	if !g.unpause() {
		return
	}
	for _, t := range held {
		if !t.finished && !t.killed {
			w.addReady(t)
		}
	}
}

// readerGone is called when t, a task that paused its group in a clock
// read, gives up its turn or ends: if the group was resumed, its other
// tasks join the ready list now.
func (g *Group) readerGone(t *task) {
	if g.reader != t {
		return
	}
	g.reader = nil
	g.w.notePausedRead(g, false)
	if g.resuming {
		g.resuming = false
		g.resumeHeld()
	}
}

// Paused reports whether the group is paused. A group that goes on with
// the reader of its clock-read pause (Resume) is not.
func (g *Group) Paused() bool { return g.paused && !g.resuming }

// PauseAfterClockRead arms the group to pause just after one of its tasks
// next reads a clock: the world's Time.Now, or a clock that calls
// ClockRead as it reads (a host's). The read returns its time, the group
// pauses (Pause), started is called, and the reader gives up its turn
// there, held with the rest of the group until Resume. What the reader
// does with the time it read comes after the pause, as for a process
// stopped between a read of its clock and its next instruction: a check
// of a lease and the write it guards are split, with no wait between them.
//
// A read by a task that cannot give up its turn there (one being killed,
// or inside an OnPark function) passes it by. A second call replaces
// started; Disarm takes the arming back. A paused or dead group is not
// armed.
func (g *Group) PauseAfterClockRead(started func()) {
	g.arm("Group.PauseAfterClockRead", atClockRead, started)
}

// PauseAfterUnsyncedWrite is PauseAfterClockRead at another point: just
// after one of the group's tasks next returns from a write, or a create,
// rename or remove, that leaves a change on a disk that no sync has made
// durable (UnsyncedWrite), where a crash tears what the process was
// writing or undoes what it moved. A second arming of any kind
// replaces the first.
func (g *Group) PauseAfterUnsyncedWrite(started func()) {
	g.arm("Group.PauseAfterUnsyncedWrite", atUnsyncedWrite, started)
}

// PauseAfterUnsyncedMove is PauseAfterUnsyncedWrite at fewer points:
// just after one of the group's tasks next returns from a rename of a
// file whose data no sync has made durable (UnsyncedMove), where a crash
// finds the file in its new place with its data unwritten, the classic
// rename before fsync.
func (g *Group) PauseAfterUnsyncedMove(started func()) {
	g.arm("Group.PauseAfterUnsyncedMove", atUnsyncedMove, started)
}

// UnsyncedMoves is how many renames of files holding unsynced data the
// group's tasks have made (UnsyncedMove), whether or not one paused.
func (g *Group) UnsyncedMoves() int { return g.unsyncedMoves }

// arm arms the group to pause at the next point of kind at, for call.
func (g *Group) arm(call string, at pausePoint, started func()) {
	w := g.w
	w.enter(call)
	if started == nil {
		panic("sim: " + call + " with a nil function; pass the function to call as the pause begins")
	}
	if g.dead || g.Paused() {
		return
	}
	if g.onPoint == nil {
		w.armed++
	}
	g.onPoint, g.armedAt = started, at
}

// Disarm takes back an arming of PauseAfterClockRead,
// PauseAfterUnsyncedWrite or PauseAfterUnsyncedMove that no task has
// taken, and reports whether there was one.
func (g *Group) Disarm() bool {
	g.w.guard("Group.Disarm") // a stop of a dying process takes it back too
	return g.disarm()
}

// disarm is Disarm for the engine's own bookkeeping: a kill's, and a
// clock read's that takes the arming.
func (g *Group) disarm() bool {
	if g.onPoint == nil {
		return false
	}
	g.onPoint, g.armedAt = nil, 0
	g.w.armed--
	return true
}

// ClockRead is called by a clock of the simulation as it reads the time
// for the running task: a task of a group armed by PauseAfterClockRead
// pauses there. While no group is armed it costs a compare.
func (w *World) ClockRead() {
	if w.armed != 0 {
		w.pauseAt(atClockRead)
	}
}

// UnsyncedWrite is called by a disk of the simulation as a write of the
// running task returns with data on the disk unsynced: a task of a group
// armed by PauseAfterUnsyncedWrite pauses there. While no group is armed
// it costs a compare.
func (w *World) UnsyncedWrite() {
	if w.armed != 0 {
		w.pauseAt(atUnsyncedWrite)
	}
}

// UnsyncedMove is UnsyncedWrite for a rename of a file whose data is
// unsynced: it counts the rename in the running task's group, and a task
// of a group armed by PauseAfterUnsyncedMove or PauseAfterUnsyncedWrite
// pauses there.
func (w *World) UnsyncedMove() {
	if t := w.cur; t != nil && t.group != nil && w.loadActive() == curG() {
		t.group.unsyncedMoves++
	}
	if w.armed != 0 {
		w.pauseAt(atUnsyncedMove)
	}
}

// pauseAt pauses the running task's group, if it is armed for a point of
// kind at, and has the task give up its turn.
func (w *World) pauseAt(at pausePoint) {
	t := w.cur
	if t == nil || w.loadActive() != curG() || t.killed || t.inOnPark || t.group == nil || t.group.onPoint == nil || !t.group.armedAt.takes(at) {
		return
	}
	g := t.group
	started := g.onPoint
	g.disarm()
	g.Pause()
	g.pausedAt = at
	started()
	// The reader gives up its turn here: what it was owed for an earlier
	// pause is settled first (the group is paused, so its tasks stay
	// held), and then it is this pause's reader, which Resume runs first.
	t.fireOnPark()
	g.reader = t
	w.notePausedRead(g, true)
	t.onPark = func() { g.readerGone(t) }
	t.waitGen++
	w.makeReady(t)
	t.resumed(w, t.yield(struct{}{}))
}

// unpause clears the group's pause, dropping its held tasks, and reports
// whether it was paused.
func (g *Group) unpause() bool {
	if !g.paused {
		return false
	}
	g.paused = false
	g.held = nil
	g.w.paused--
	return true
}

// QuietTimers keeps the tasks that the timers (Time.AfterFunc) of the
// running task's process start out of the timeline, from now until the
// process ends. A program's host wakes the program with such a timer at
// each of its timed waits, and the two lines of every wake ("AfterFunc
// task started", "task finished") would crowd out, in a failure report's
// window, what the program did. The tasks run as before: the trace is
// the same.
func (w *World) QuietTimers() {
	if g := w.curGroup(); g != nil {
		g.quietTimers = true
	}
}

// notePausedRead adds g, paused in its reader's clock read, to the world's
// readPauses, or takes it out once the reader goes on after the resume
// (or g is killed), and publishes what the watchdog says of them, again
// when g resumes: a task that another blocks on outside the simulation
// may be such a reader, holding a sync.Mutex across its read.
func (w *World) notePausedRead(g *Group, paused bool) {
	i := slices.Index(w.readPauses, g)
	switch {
	case paused && i < 0:
		w.readPauses = append(w.readPauses, g)
	case !paused && i >= 0:
		w.readPauses = slices.Delete(w.readPauses, i, i+1)
	case !paused:
		return
	}
	if len(w.readPauses) == 0 {
		w.readPauseNote.Store(nil)
		return
	}
	var names []string
	for _, g := range w.readPauses {
		names = append(names, strconv.Quote(g.reader.shown()))
	}
	first := w.readPauses[0]
	note := fmt.Sprintf("task %s is paused inside %s (its process is paused) and runs again only when the process resumes", names[0], first.pausedAt)
	if first.resuming {
		note = fmt.Sprintf("task %s was paused inside %s; its process has resumed, and it goes on at its next turn, before the process's other tasks", names[0], first.pausedAt)
	}
	if len(names) > 1 {
		note = fmt.Sprintf("tasks %s are paused inside clock reads or disk writes (their processes are paused, or have resumed and the tasks not yet gone on)", strings.Join(names, ", "))
	}
	w.readPauseNote.Store(&note)
}

// Resuming reports whether a group resumed from a pause at a point in a
// task's code (PauseAfterClockRead, PauseAfterUnsyncedWrite) whose task
// has not yet gone on: that task is still inside the call where the pause
// stopped it, holding what it held there (a sync.Mutex taken around a
// clock read), as the thread a real pause stopped is until it runs again.
// A check that reads the group's state waits until it has gone on.
func (w *World) Resuming() bool {
	for _, g := range w.readPauses {
		if g.resuming {
			return true
		}
	}
	return false
}
