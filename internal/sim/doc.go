// Package sim is the simulation engine: a world of coroutine tasks run one at
// a time, in simulated time, with every choice drawn from one seeded stream.
//
// A World runs one seed. Its root task is the test body; every other task is
// started through the world's Task provider. The scheduler loop repeats:
//
//   - if tasks are ready, draw one at random from the run's stream (no draw
//     when only one is ready) and resume it until it parks;
//   - otherwise wake tasks whose wait context is done, if any;
//   - otherwise advance simulated time to the next event and fire every event
//     due at that instant (in sequence order);
//   - otherwise, with the root task still running, report a deadlock.
//
// The run ends when the root task returns: every task still alive is killed.
// Killing a task makes its parked call panic with an unexported value that
// unwinds the task, running its defers; a simulation call made while it
// unwinds fails the same way. The scheduler recovers the value.
//
// The tasks of one simulated process form a Group. Group.Crash kills them
// as a crash does: their defers run, but each call they make into the
// simulation unwinds them at once, and what such a defer raises or reports
// does not fail the run, since a crashed process runs no defers outside a
// simulation: the timeline notes it as a "panic after crash", "error after
// crash" or "skip after crash" entry of the process (World.ReportAfterCrash,
// World.SkipAfterCrash). Group.Kill, for a graceful stop's leftovers, lets
// the defers act. Group.Pause stops the group's tasks until Group.Resume,
// as SIGSTOP and SIGCONT do: what wakes them still happens, and they wait,
// held, until the group resumes.
//
// A Workers keeps what finished runs leave (idle task goroutines, an event
// queue's storage) for the next run of the same sequence, so that a Run of
// many seeds seldom starts a goroutine or grows a queue. Runs that go on at
// once each have their own: each of simtest's -simworkers holds one.
//
// Each step and each event is folded into a 64-bit trace hash. The same seed
// gives the same hash whatever GOMAXPROCS, -race or platform; that is the
// property the whole library rests on, and Config.Record keeps the steps so
// that two runs can be compared step by step. The trace covers task ids,
// draw counts and times, not the data; Config.HashData also hashes the
// names tasks are given, the bytes written to connections and files (by
// the devices, through Wrote) and the values drawn, into Result.Data, and
// a recording run keeps the starts and writes as steps. Neither changes
// the trace.
//
// A device's give-up that most runs never need (a connect nobody answers,
// data nobody acknowledges) is armed with World.ArmQuiet: arming and
// stopping it take no sequence number, so a run in which it never fires
// has the trace of a run that never armed it. World.QuietTimers keeps the
// tasks of a process's timers out of the timeline, for a host that wakes
// its program with a timer at each timed wait; the trace is unchanged.
//
// The guards: a real-time watchdog reports a task that does not return to the
// scheduler (blocked outside the simulation, or busy) and gives the run up,
// after which it runs no user code; a deadlock reports every parked task and
// where it waits; a lock cycle (tasks parked on each other's Mutexes, whose
// holders a Mutex records) is reported as a deadlock when the wait that
// closes it begins, whatever other tasks still run; a livelock guard
// bounds the steps taken at one instant, and a stall guard the steps and
// events of a short stretch of simulated time; a budget bounds simulated
// time; and a killed task that recovers its kill is reported at its next
// call into the simulation.
package sim
