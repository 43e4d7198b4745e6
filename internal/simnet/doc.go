// Package simnet is the simulated network: hosts, listeners and TCP-like
// connections between them, in simulated time, with the faults that
// chaos.Network configures.
//
// A [Net] belongs to one sim.World. [Net.Host] gives each process, and
// [Net.SteadyHost] the test driver, a [Host]: its providers.Network, and
// with [Host.Time] its clock. Everything happens on the world's scheduler:
// an operation that must wait (Accept, Dial, a Read with nothing to read, a
// Write with a full buffer) parks its task through the world's Parker, and
// packets travel as events scheduled with World.After. There are no
// goroutines and no locks, and every random choice is a draw from the run's
// stream, so a seed replays the network exactly.
//
// # Connections
//
// A connection is two pipes, one per direction. A Write copies its bytes
// into the pipe's ring buffer and sends them as a segment that arrives one
// latency later, but never before the segment before it: each direction is
// FIFO. At most SendBuffer bytes of a direction may be written and not yet
// read; a Write waits for room, so a reader that stops reading stops its
// writer. A Read takes what has arrived, waiting for at least one byte.
//
// A connect is a packet to the listening host and an answer back: Accept
// can return the connection after one latency, Dial after two. A connect to
// a port nobody listens on is refused (ECONNREFUSED). One that finds the
// listener's backlog full (chaos.Network's Backlog connections waiting for
// Accept) waits, as on Linux, which drops its SYN while the dialler
// retransmits: each Accept lets the oldest waiting connect in at its
// dialler's next retransmission of the SYN, and closing the listener has
// them all refused at theirs. A connect that gets
// no answer within [ConnectTimeout], 131 s as on Linux, fails with
// ETIMEDOUT. A listener takes the connects to the address it is bound to,
// as on Linux: one on a loopback address those its own host sends there,
// one on the host's name those sent to the name, one on a wildcard
// address all. Listeners on different addresses share a port, each
// taking its own; one on every address shares it with none. A dialled
// connection holds its port on the address it was dialled from alone.
// An end whose data goes unacknowledged for
// [RetransmitTimeout], 924.6 s as on Linux
// (a cut holds it, the peer's host is off, a silent close swallowed it,
// or it arrived while a cut held the way back, so its acknowledgement
// could not come back), gives up: its next read or write fails with
// ETIMEDOUT, once, and the connection is dead at this end. An end closed
// with data or its FIN unacknowledged (an orphan) gives up after
// [OrphanTimeout], 102.2 s, or at its next retransmission after the
// close, with nobody to tell. As on Linux neither sends anything: the
// data held is dropped and no reset goes out, so the peer learns only
// when it next sends; what it sends then (data or a FIN) finds no socket
// and is answered with a reset, and its next read or write fails with
// ECONNRESET.
//
// Keep-alives are on, with Go's settings ([KeepAliveIdle],
// [KeepAliveInterval], [KeepAliveCount]), as Go turns them on for every
// connection it dials or accepts: an idle end that a partition, a silent
// close or its peer's power loss cuts off drops the connection 150 s
// after it last heard from the peer (ETIMEDOUT, once), and one whose
// peer's host came back without the socket is reset at its next probe. A
// probe answered is no event: it changes nothing either end can see, and
// a run in which no probe drops or resets anything keeps its trace.
//
// Close sends a FIN after the data already written: the peer reads every
// byte, then io.EOF. Close with unread data, or after SetLinger(0), resets
// the connection instead, as Linux does. The reset is told once, as on
// Linux: the peer's first read or write after it fails with ECONNRESET
// (a write with EPIPE if the peer had closed before it), later reads
// return io.EOF, and later writes fail with EPIPE. One thing is harsher
// than Linux, on purpose: the reset drops the data the peer had received
// and not read (Linux lets it be read first; Windows drops it too).
// Data that reaches an end already closed is answered with a reset.
// CloseWrite and CloseRead fail with ENOTCONN, as shutdown(2) does on
// Linux, once the connection is over at this end: reset, given up, or
// with a FIN gone each way.
// [Host.Crash] closes every connection of a host as an operating system
// closes a dead process's (a FIN, or a reset where data arrived unread;
// nothing for an end already reset or given up) and closes its
// listeners; what reaches them later is answered with a reset.
// [Host.PowerOff] makes them vanish without a word until [Host.PowerOn],
// after which what a peer sends is reset: a peer still waiting for an
// acknowledgement when its next retransmission arrives, and a connect
// that waited is sent again at its dialler's next retransmission of the
// SYN.
//
// # Datagrams
//
// [Host.ListenPacket] opens a UDP-like socket. WriteTo sends one datagram,
// which arrives whole after one latency or not at all, and never waits;
// datagrams from one socket to another keep their order unless the
// reordering fault holds one back. ReadFrom takes the next that arrived.
// A datagram over MaxDatagramSize fails with EMSGSIZE and is not sent; one
// to a port or host nobody holds, or that finds the socket's
// DatagramBuffer full, is dropped. Loss, duplication and reordering are
// drawn per datagram, and a partition or clog in force when a datagram
// arrives loses it. [Host.Crash] and [Host.PowerOff] close the host's
// datagram sockets. A socket bound to a loopback address hears only its
// own host's datagrams to that address, and one bound to the host's name
// none sent to a loopback address; ports are shared as listeners share
// them. A socket marked connected (its
// Connect method, which a program's connected UDP socket calls) hears, as
// ICMP port unreachable a latency later, of its datagrams that reach a
// host with power and no socket on their port: its next ReadFrom or
// WriteTo fails with ECONNREFUSED, once.
//
// [Net.Exempt] exempts a port from every fault: connections to a listener
// on it and datagrams from or to a socket on it skip every fault draw and
// pass every cut, keeping their latency.
//
// # Faults
//
// Latency is drawn per packet. A partition or clog holds the packets on the
// links it cuts: they wait, in order (TCP retransmits; nothing is lost to
// the program). A clog delays them, and they go on when it ends. A
// partition loses them, and they go on at the sender's next
// retransmission after it ends, on Linux's timer: 200 ms after the oldest
// unacknowledged send, backing off to 120 s. A connect across a partition
// goes on at the dialler's next retransmission of the SYN, or, after the
// last, fails at its ConnectTimeout with ETIMEDOUT. A connect fault that
// hangs a connect loses its SYNs likewise until [Net.Heal]. An acknowledgement
// that a partition of the way back lost comes back with the sender's next
// retransmission too, or with the first segment the other way. The
// give-up is armed only when a connect is held and its
// context would not end first, with a timer that leaves no trace unless
// it fires, so a seed whose connects are all answered replays as it did
// without it. Random partitions start and end lazily, when the network is
// next used after their instant, so that an idle network schedules no
// events and a deadlock is still reported as one. The manual API
// ([Net.Partition], [Net.PartitionOneWay], [Net.Isolate], [Net.Clog],
// [Net.Heal], [Net.Quiesce]) is what simtest's S exposes.
//
// Every fault is recorded with World.Event, in the run's timeline and
// trace hash: partitions and heals, clogs, random closes, partial reads and
// writes, bit flips, connect faults, slow packets, each pair's extra
// latency, each host's clock, delayed sleeps, and datagrams lost,
// duplicated, reordered or dropped for a full buffer.
//
// # Draw order
//
// The network draws from the run's stream only when a setting calls for it
// (a probability above zero, a range wider than one value), in this order:
//
//   - When a host is made with [Net.Host]: its clock skew, then its drift
//     (with ClockDriftAtBoundProb, a coin for the bound and one for its sign).
//   - At every operation and delivery, first the random partitions: the
//     time of the next one (an exponential draw, once per partition), and
//     when one starts, its shape, a shuffle of the hosts (one draw per host
//     but the first), one way or not, and its length.
//   - Dial: the connect fault's coin and, if it fails, hang or refuse; then
//     each packet's latency as it is sent.
//   - Accept, and Close of a listener, with connects waiting on its full
//     backlog: the latency of each one sent again (the oldest for Accept,
//     all of them for Close).
//   - Read: the random close's coin (outside the cooldown) and explicit or
//     silent; then the partial read's coin and length.
//   - Write: the random close as for Read; then for each segment, the
//     partial write's coin and length, the latency, and the clog's coin and
//     length.
//   - A latency: the slow tail's coin; the fast or slow delay; the pair's
//     extra delay the first time the pair talks.
//   - Each data segment as it arrives: the bit flip's coin, the count of
//     bits, and each bit's position.
//   - Each sleep or timer on a host's clock: the delay's coin and size.
//   - WriteTo of a datagram: the loss's coin, the duplication's coin, then
//     for each copy its latency and the reordering's coin and delay.
//   - A datagram of a connected socket that finds no socket: the latency
//     of the port unreachable that answers it, as it arrives.
//   - A port exempt from faults draws nothing but latencies.
//
// # Clocks
//
// A host's clock reads simulated time offset by its skew and running at
// its drift: local = sim + skew + sim×drift. Sleeps, timers and deadlines
// given on the host's clock are converted to simulated time with integer
// arithmetic, so every platform computes the same instants. Connection and
// listener deadlines are times on the clock of the host that owns them.
// A deadline set on a host's clock under a context that has one already
// ends at the earlier of the two in simulated time, whatever clock the
// parent's is on, and reports it on the host's clock.
//
// # Limits
//
// Service names as ports
// ("http") are not supported, since they would read the machine's
// /etc/services. A closed connection's port is free at once, where Linux
// holds it a minute longer (TIME_WAIT) on the end that closed first, and
// a listen on its address fails meanwhile. A task blocked in Read or Accept
// is not woken by its context, as with package net: close the connection,
// from a task, to end it.
//
// Linux keeps one more connection waiting than listen(2)'s backlog;
// Backlog is the count kept. A connect whose SYN finds room on Linux but
// whose final ACK finds the queue full completes for the dialler while the
// server holds it back; here a connect gets its place when it arrives, so
// that does not happen (a Go client dialling in turn does not meet it on
// Linux either).
//
// Data counts as acknowledged when it arrives and the way back is open.
// For the give-up, an acknowledgement held by a cut counts as back the
// moment the cut ends (at Heal, at a random partition's end, with a later
// segment either way, or, for a clog's end, which schedules nothing, when
// the give-up would fire), not at the sender's next retransmission, and a
// cut shorter than OrphanTimeout holds none. The sender's buffer holds what it wrote until
// the receiver reads it and the way back can carry the acknowledgement:
// data read while the way back is cut or clogged keeps its room until
// that ends (a partition: until the next retransmission after it, or the
// first segment the other way), so a writer whose acknowledgements are
// cut stops once it has written a buffer's worth, as on Linux. (Linux's room comes back when
// the peer's kernel acknowledges, before the peer reads; here the two
// are one.) At a give-up, segments still on the wire are dropped with the
// rest.
package simnet
