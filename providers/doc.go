// Package providers is the seam between code under test and the world it
// runs in. Code that takes a [Providers] bundle, and reaches time, tasks and
// randomness only through it, runs unchanged in production and inside a
// deterministic simulation.
//
// The bundle holds a [Time] (the clock, sleeps, timers and deadlines), a
// [Task] (starting concurrent activities and waiting for them), a [Random]
// (random numbers), a [Network] (listeners, connections and datagram
// sockets, as net.Listener, net.Conn and net.PacketConn), a [Storage] (files on a disk) and a [Cluster] (who this
// process is, who its peers are, how it was started). In production, [Real]
// returns the standard library's: the wall clock, goroutines, math/rand/v2
// and package net; the program adds its Storage ([OpenOSStorage]) and its
// Cluster ([StaticCluster]) from its configuration. In a simulation, each
// process gets providers of its own world: simulated time, tasks that are
// coroutines run one at a time by a seeded scheduler, one seeded random
// stream, its own host on a simulated network and its own simulated disk.
//
// # Blocking
//
// Code under test must block only through the providers. A goroutine
// blocked on a raw channel, a sync.Mutex or time.Sleep is invisible to the
// simulation, which reports it as a task blocked outside the simulation.
// For the channel and lock idioms, this package provides primitives with the
// semantics of their Go equivalents:
//
//   - [Chan] is a chan T: [Chan.Send], [Chan.Recv], [Chan.Close], a FIFO
//     buffer of fixed capacity, hand-off when unbuffered, panics on sending
//     to or closing a closed Chan.
//   - [Select] with [OnRecv], [OnSend] and [Default] is the select statement.
//     The case of a nil Chan is never ready; a Select with no other case
//     and no Default waits for its context alone, in a simulation too.
//   - [Mutex] is a sync.Mutex.
//   - [Cond] is a sync.Cond on a Mutex: Wait under the lock until
//     Signal or Broadcast says the guarded state changed (a long poll
//     that waits for an offset to advance).
//   - [WaitGroup] is a sync.WaitGroup, with a Go method that starts tasks.
//   - [Group] is golang.org/x/sync/errgroup's Group: the first error
//     cancels the others and is what Wait returns.
//   - [Quorum] makes several calls at once and returns the first k
//     answers, as FoundationDB's quorum does.
//   - [Ticker] is a time.Ticker for a loop: [Ticker.Wait] waits for the
//     next tick on a [Time], with no goroutine or channel of its own.
//
// A Chan, Mutex, Cond or WaitGroup is made with a Task, which decides its
// mode for life: a plain chan T, a channel used as a lock, a queue of
// channels that wake-ups close, a counter with a channel to wait on, and
// reflect.Select for a Select over real Chans, in
// production; or the simulation's own, blocking through its scheduler, when
// the Task is a simulation's. Unlike their Go equivalents, the blocking operations
// take a context.Context and give up with its error when it is done first;
// an operation that can proceed at once does so whatever the context.
//
// # Clocks
//
// Every wait on a [Time] keeps the promise of package time: [Time.Sleep],
// a [Time.AfterFunc] timer (and its Reset), and the deadline of
// [Time.WithTimeout] or [Time.WithDeadline] end no earlier than their
// duration, or their deadline, read on that same Time's clock, and so does
// anything built on them (a [Select] under a timeout, a connection's read
// and write deadlines). In a simulation each host's clock is offset and
// runs fast or slow by the skew and drift that the chaos configuration
// allows; a wait still ends at the first simulated instant at which the
// host's own clock has moved by its full duration, so code that reads Now
// after a timer fires (leases, TTLs, retry budgets) sees at least the
// duration pass, never a nanosecond less. A wait may end later only where
// chaos delays it on purpose (chaos.Network's SleepDelayProb), or by the
// clock's resolution: one simulated nanosecond of a fast clock can read as
// two.
//
// # Determinism
//
// In a simulation, one task runs at a time and the primitives decide
// nothing by themselves: waiters are served in the order they arrived, an
// unlocked [Mutex] goes to its longest waiter, [Cond.Signal] wakes the
// longest waiter and [Cond.Broadcast] all of them in that order, and where Go leaves a choice
// open (a Select with several ready cases) the choice is drawn from the
// run's random stream. So a run is a function of its seed. Outside a
// simulation, the primitives are exactly as deterministic as the Go runtime
// they use, which is to say not at all.
//
// A primitive belongs to the simulation whose Task made it and must be used
// only from that simulation's tasks; a Select over Chans of two simulations,
// or of a simulation and production, panics. Killing a task (a crash) ends
// its parked operation where it stands: a value it was about to receive is
// lost with it, a Mutex just handed to it is passed on, and [Handle.Join]
// of it gives an error wrapping [ErrKilled], never nil.
package providers
