// Package history records what the clients of a system saw, and checks
// with porcupine (github.com/anishathalye/porcupine) that it is
// linearizable: that each operation could have taken effect at one
// instant between its call and its return, in an order that a
// sequential model of the system allows.
//
// A [History] holds operations with input I and output O. Each client
// records an operation around the call that makes it:
//
//	h := history.New[Op, Result](s.Now) // in a simulation; time.Now against real processes
//	call := h.Call(client, op)           // before the request
//	call.Return(result)                  // a definite outcome
//	call.Unknown()                       // may or may not take effect (a timeout after the request was sent)
//	call.Drop()                          // did not happen, or changed nothing (a read that failed)
//
// Recording allocates nothing but a chunk of operations now and then,
// and may be done from several goroutines at once. Calls and returns
// recorded at one instant of the clock keep the order in which they were
// recorded: in a simulation, where a client's next call comes at the very
// instant its last one returned, the two do not overlap.
//
// [Check] checks the history against a [Model], and returns nil when it
// is linearizable. Otherwise its [*Error] says which operation no order
// can place: for each part of the state that fails, the longest order
// the search found, the state it leaves, and the operations that cannot
// follow it, each with its client, what it did (the model's
// DescribeOperation), and its call and return times since the history
// began. [Error.At] gives the time of the first one, for a report to
// look at: a simtest report whose first failure is such an error shows
// its timeline there. A check that does not finish within its
// [MaxSteps], counted in the model's steps, or its [Timeout], in real
// time, is an error too ([Error.Inconclusive]): it never passes. MaxSteps
// decides the same way on every machine; where the Timeout decided, the
// error says so ([Error.TimedOut]).
//
// A check that passes says only that what the history holds is
// linearizable: [History.Outcomes] counts what it held, for the test to
// assert that operations did return.
//
// # In a simulation
//
// Make the history in simtest.Run's body, with s.Now, so that its times
// are those of the seed's timeline; record in the clients' tasks; and
// check in the workload's Check, once the faults have healed, inside
// S.Slow: porcupine searches on goroutines of its own, in real time,
// which the watchdog would otherwise take for a stuck step. With
// [Attach](s.Attach), a seed drawn as HTML (-simhtml) links porcupine's
// own picture of the failing history, porcupine.html.
//
// An outcome is unknown when the request may have been applied: record
// it with [Call.Unknown], and the check may place it anywhere after its
// call, or nowhere. Counting it as failed reports bugs that are not
// there; counting it as done misses lost writes. A read whose outcome is
// unknown tells nothing: drop it. An operation whose effect depends on
// the state it meets, as a compare-and-swap, needs the model's
// [Model.StepUnknown], which says what it does with no output to judge.
//
// Porcupine's search is exponential in the worst case. [Model.Partition]
// splits the state into independent parts, such as the keys of a map,
// each checked alone: on a long history, do. Operations of unknown
// outcome are what blow the search up; for a register whose writes are
// of unique values, [LeaveOutUnread] leaves out those no read saw.
//
// # Queues
//
// A queue is no register: it may deliver in any order, and again after a
// consumer's crash. [Deliveries] records its sends and deliveries and
// checks its promise instead: no acknowledged message lost, none
// delivered that was never sent, [ExactlyOnce], none twice, and,
// [InOrder], none before a message its producer sent earlier. Made by
// [NewDeliveriesOn], on the simulation's clock, its error names the times
// of what it found, and [DeliveryError.At] points a simtest report there.
package history
