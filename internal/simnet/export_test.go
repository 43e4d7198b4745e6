package simnet

import "time"

// SetClock gives h a clock of a known skew and drift (parts per billion),
// for tests that need a host behind or ahead of simulated time.
func SetClock(h *Host, skew time.Duration, drift int64) { h.skew, h.drift = int64(skew), drift }

// DatagramQueueCap is the capacity of the receive queue of pc, a socket
// of ListenPacket, for tests of what the queue holds on to.
func DatagramQueueCap(pc any) int { return cap(pc.(*packetConn).queue.s) }

// OrphanGiveUp is orphanGiveUp: when an end closed at closed gives up on
// data unacknowledged since since, in simulated nanoseconds.
var OrphanGiveUp = orphanGiveUp

// RetransmitAt is retransmitAt: the first firing at t or later of the
// retransmission timer started at since.
var RetransmitAt = retransmitAt

// SYNAt is synAt: the first retransmission at t or later of a SYN first
// sent at start.
var SYNAt = synAt
