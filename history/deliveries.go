package history

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Deliveries records what the producers and consumers of a queue saw, and
// checks the queue's promise of delivery, where a linearizable model would
// be the wrong question: a queue may deliver in any order, and again after
// a consumer's crash, but must not lose a message whose send it
// acknowledged, nor deliver one nobody sent.
//
//	d := history.NewDeliveries[string]()
//	d.Sent(id)      // the queue acknowledged the send
//	d.MaybeSent(id) // the send timed out: it may or may not have been taken
//	d.Delivered(id) // a consumer got it (and processed it, for ExactlyOnce)
//	err := d.Check(history.ExactlyOnce)
//
// Give each message an identity of its own (a producer's name and a
// counter): the checker knows messages by it. Recording may be done from
// several goroutines at once.
type Deliveries[M comparable] struct {
	mu    sync.Mutex
	now   func() time.Time // nil: no times recorded
	start time.Time
	msgs  map[M]*message
	order []M // each message once, in the order first recorded
	seq   int64
}

// message is what was recorded of one message. Its seqs number the
// records in the order they were made, from 1 (0: none); its ats are the
// clock's times of the same records, since the start.
type message struct {
	sent                      sendState
	delivered                 int
	acked, first, again       int64 // seqs: first Sent, first and second Delivered
	ackedAt, firstAt, againAt time.Duration
}

// sendState is what the producer knows of a message's send.
type sendState uint8

const (
	unsent    sendState = iota // no Sent nor MaybeSent
	sentMaybe                  // MaybeSent: the outcome is unknown
	sentAcked                  // Sent: the queue acknowledged it
)

// NewDeliveries returns an empty record of a queue's deliveries, which
// records no times: use [NewDeliveriesOn] for an error that names them.
func NewDeliveries[M comparable]() *Deliveries[M] {
	return &Deliveries[M]{msgs: map[M]*message{}}
}

// NewDeliveriesOn returns an empty record of a queue's deliveries that
// reads the clock now at each record: the simulation's (S.Now, or
// p.Time.Now in a workload) or, against real processes, time.Now. Its
// times count from now's first reading, as a [History]'s do; the error
// of its check names them, and its [DeliveryError.At] points a simtest
// report at the first breach.
func NewDeliveriesOn[M comparable](now func() time.Time) *Deliveries[M] {
	return &Deliveries[M]{now: now, start: now(), msgs: map[M]*message{}}
}

// Sent records that the queue acknowledged the send of m.
func (d *Deliveries[M]) Sent(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, seq, at := d.record(m)
	if r.sent != sentAcked {
		r.sent, r.acked, r.ackedAt = sentAcked, seq, at
	}
}

// MaybeSent records a send of m whose outcome is unknown (it timed out, or
// the connection broke after the request): delivering it is no error, nor
// is losing it. A later Sent of m wins.
func (d *Deliveries[M]) MaybeSent(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, _, _ := d.record(m)
	if r.sent == unsent {
		r.sent = sentMaybe
	}
}

// Delivered records that a consumer received m; each call is one delivery.
func (d *Deliveries[M]) Delivered(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, seq, at := d.record(m)
	r.delivered++
	switch r.delivered {
	case 1:
		r.first, r.firstAt = seq, at
	case 2:
		r.again, r.againAt = seq, at
	}
}

// record returns m's record, made if it is m's first, and the number and
// time of this record. d.mu is held.
func (d *Deliveries[M]) record(m M) (r *message, seq int64, at time.Duration) {
	r, ok := d.msgs[m]
	if !ok {
		r = &message{}
		d.msgs[m] = r
		d.order = append(d.order, m)
	}
	d.seq++
	if d.now != nil {
		at = d.now().Sub(d.start)
	}
	return r, d.seq, at
}

// A Promise is what a queue promises of its deliveries.
type Promise uint8

const (
	// AtLeastOnce: every acknowledged message is delivered, once or more.
	AtLeastOnce Promise = iota + 1
	// ExactlyOnce: every acknowledged message is delivered exactly once,
	// and none more than once (a consumer that deduplicates: record a
	// delivery where its effect is applied).
	ExactlyOnce
)

// Check reports, as a *DeliveryError, the messages that break promise:
// acknowledged and never delivered (lost), delivered and never sent
// (unexpected), and, under ExactlyOnce, delivered more than once. Call it
// once every consumer has drained the queue, after the faults have
// healed; nil when the queue kept its promise.
func (d *Deliveries[M]) Check(promise Promise) error {
	if promise != AtLeastOnce && promise != ExactlyOnce {
		panic(fmt.Sprintf("history: Deliveries.Check given Promise %d; pass history.AtLeastOnce or history.ExactlyOnce", promise))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	e := &DeliveryError[M]{promise: promise, timed: d.now != nil, start: d.start}
	var named []time.Duration // the time of each breach, for At
	for _, m := range d.order {
		r := d.msgs[m]
		switch {
		case r.sent == sentAcked && r.delivered == 0:
			e.Lost = append(e.Lost, m)
			named = append(named, r.ackedAt)
		case r.sent == unsent && r.delivered > 0:
			e.Unexpected = append(e.Unexpected, m)
			named = append(named, r.firstAt)
		case promise == ExactlyOnce && r.delivered > 1:
			e.Duplicated = append(e.Duplicated, m)
			named = append(named, r.againAt)
		}
		if r.sent == sentAcked {
			e.acked++
		}
	}
	if len(named) == 0 {
		return nil
	}
	e.msgs = make(map[M]message, len(named))
	for _, ms := range [][]M{e.Lost, e.Unexpected, e.Duplicated} {
		for _, m := range ms {
			e.msgs[m] = *d.msgs[m]
		}
	}
	if d.now != nil {
		e.at = slices.Min(named)
		e.checked = d.now()
	}
	return e
}

// A DeliveryError is what [Deliveries.Check] found: the messages of each
// kind of breach, in the order they were first recorded.
type DeliveryError[M comparable] struct {
	Lost       []M // acknowledged, never delivered
	Unexpected []M // delivered, never sent
	Duplicated []M // delivered more than once, under ExactlyOnce
	promise    Promise
	acked      int
	msgs       map[M]message // the records of those named
	timed      bool          // the record had a clock (NewDeliveriesOn)
	start      time.Time
	at         time.Duration // of the first breach
	checked    time.Time
}

// At returns the time of the first breach the error names, on the clock
// of [NewDeliveriesOn]: the acknowledgement of a message lost, the
// delivery of one unexpected, the second delivery of one duplicated. A
// simtest report whose first failure is this error shows its timeline
// there (see [Error.At]). It returns the zero time for a record made by
// [NewDeliveries], which has no clock.
func (e *DeliveryError[M]) At() time.Time {
	if !e.timed {
		return time.Time{}
	}
	return e.start.Add(e.at)
}

// CheckedAt returns the time on the clock of [NewDeliveriesOn] when the
// check ran (see [Error.CheckedAt]); the zero time without a clock.
func (e *DeliveryError[M]) CheckedAt() time.Time { return e.checked }

// maxNamed is how many messages of each kind an error names.
const maxNamed = 5

func (e *DeliveryError[M]) Error() string {
	var parts []string
	name := func(n int, what func(i int) string) string {
		var out []string
		for i := range min(n, maxNamed) {
			out = append(out, what(i))
		}
		if more := n - maxNamed; more > 0 {
			out = append(out, fmt.Sprintf("and %d more", more))
		}
		return strings.Join(out, ", ")
	}
	// when says when a message's records were made, for a record with a
	// clock.
	when := func(format string, ats ...any) string {
		if !e.timed {
			return ""
		}
		for i, at := range ats {
			ats[i] = seconds(int64(at.(time.Duration)))
		}
		return fmt.Sprintf(format, ats...)
	}
	if n := len(e.Lost); n > 0 {
		parts = append(parts, fmt.Sprintf("%d of the %d messages whose send was acknowledged never delivered (lost): %s", n, e.acked, name(n, func(i int) string {
			m := e.Lost[i]
			return fmt.Sprint(m) + when(" (acknowledged at %s)", e.msgs[m].ackedAt)
		})))
	}
	if n := len(e.Unexpected); n > 0 {
		parts = append(parts, fmt.Sprintf("%d delivered that no producer sent: %s", n, name(n, func(i int) string {
			m := e.Unexpected[i]
			return fmt.Sprint(m) + when(" (delivered at %s)", e.msgs[m].firstAt)
		})))
	}
	if n := len(e.Duplicated); n > 0 {
		parts = append(parts, fmt.Sprintf("%d delivered more than once, where the promise is exactly once: %s", n, name(n, func(i int) string {
			m := e.Duplicated[i]
			r := e.msgs[m]
			return fmt.Sprintf("%v (%d times%s)", m, r.delivered, when(", at %s and again at %s", r.firstAt, r.againAt))
		})))
	}
	return "history: the queue broke its promise of delivery: " + strings.Join(parts, "; ")
}
