package history

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Deliveries records what the producers and consumers of a queue saw, and
// checks the queue's promise of delivery, where a linearizable model would
// be the wrong question: a queue may deliver in any order, unless it
// promises each producer's, and again after a consumer's crash, but must
// not lose a message whose send it acknowledged, nor deliver one nobody
// sent.
//
//	d := history.NewDeliveries[string]()
//	d.Sending(p, id) // producer p begins the send (needed only for InOrder)
//	d.Sent(id)       // the queue acknowledged the send
//	d.MaybeSent(id)  // the send timed out: it may or may not have been taken
//	d.Delivered(id)  // a consumer got it (and processed it, for ExactlyOnce)
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
	sent                               sendState
	delivered                          int
	producer                           string // set by Sending, when begin > 0
	begin, acked, first, again         int64  // seqs: first Sending, first Sent, first and second Delivered
	beginAt, ackedAt, firstAt, againAt time.Duration
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
	mustClock("NewDeliveriesOn", now)
	return &Deliveries[M]{now: now, start: now(), msgs: map[M]*message{}}
}

// Sending records that producer begins the send of m: call it before the
// request. It names m's producer for [InOrder], whose order is that of
// the sends each producer began after the queue acknowledged an earlier
// one; it changes nothing of what AtLeastOnce and ExactlyOnce judge, so
// end the send as before, with Sent, MaybeSent, or nothing if it was
// refused. Name by producer whatever the queue keeps order by: a
// producer, or a producer and a partition or a key. A second Sending of
// m (a retry) changes nothing: the first began the send.
func (d *Deliveries[M]) Sending(producer string, m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, seq, at := d.record(m)
	if r.begin == 0 {
		r.producer, r.begin, r.beginAt = producer, seq, at
	}
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
// is losing it, nor, under [InOrder], delivering it after a message its
// producer sent later. A later Sent of m wins.
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

// A Promise is what a queue promises of its deliveries: AtLeastOnce or
// ExactlyOnce, and InOrder with either (ExactlyOnce|InOrder).
type Promise uint8

const (
	// AtLeastOnce: every acknowledged message is delivered, once or more.
	AtLeastOnce Promise = iota + 1
	// ExactlyOnce: every acknowledged message is delivered exactly once,
	// and none more than once (a consumer that deduplicates: record a
	// delivery where its effect is applied).
	ExactlyOnce
)

// InOrder, given with AtLeastOnce or ExactlyOnce, promises each
// producer's order (FIFO): a message whose send was acknowledged before
// its producer began the send of another is delivered before it. Only
// messages recorded with [Deliveries.Sending] have a producer. Sends
// that overlap promise nothing of each other's order, nor does a send
// whose outcome is unknown to those after it; a send begun after others
// were acknowledged comes after them whatever its own outcome.
//
// Order is judged by each message's first delivery, in the order the
// deliveries were recorded. A redelivery is the at-least-once promise at
// work, not a breach of order: a consumer that took a and b, crashed
// before it acknowledged a, and is given a again, saw a first; under
// ExactlyOnce the redelivery is a duplicate. As the order of the records
// is what is judged, record deliveries where the consumer takes messages
// in the queue's order (one consumer of a partition), not after work
// whose length varies.
const InOrder Promise = 1 << 2

// Check reports, as a *DeliveryError, the messages that break promise:
// acknowledged and never delivered (lost), delivered and never sent
// (unexpected), under ExactlyOnce delivered more than once, and under
// InOrder delivered after a message their producer sent later. Call it
// once every consumer has drained the queue, after the faults have
// healed; nil when the queue kept its promise.
func (d *Deliveries[M]) Check(promise Promise) error {
	delivery := promise &^ InOrder
	if delivery != AtLeastOnce && delivery != ExactlyOnce {
		msg := fmt.Sprintf("history: Deliveries.Check given Promise %d; pass history.AtLeastOnce or history.ExactlyOnce", promise)
		if promise&InOrder != 0 {
			msg += ", with InOrder (history.ExactlyOnce|history.InOrder)"
		}
		panic(msg)
	}
	inOrder := promise&InOrder != 0
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
		case delivery == ExactlyOnce && r.delivered > 1:
			e.Duplicated = append(e.Duplicated, m)
			named = append(named, r.againAt)
		}
		if r.sent == sentAcked {
			e.acked++
		}
	}
	if inOrder {
		e.Reordered = d.reordered()
		for _, o := range e.Reordered {
			named = append(named, d.msgs[o.Later].firstAt)
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
	for _, o := range e.Reordered {
		e.msgs[o.Earlier], e.msgs[o.Later] = *d.msgs[o.Earlier], *d.msgs[o.Later]
	}
	if d.now != nil {
		e.at = slices.Min(named)
		e.checked = d.now()
	}
	return e
}

// reordered finds, for each message of each producer, in the order first
// recorded, the first message delivered before it whose send its
// producer began after the queue acknowledged it. d.mu is held.
func (d *Deliveries[M]) reordered() []Reordering[M] {
	// Each producer's messages, by the beginning of their sends, with
	// the earliest first delivery among those that began at or after each.
	type sendOf struct {
		m     M
		begin int64
	}
	sends := map[string][]sendOf{}
	for _, m := range d.order {
		if r := d.msgs[m]; r.begin > 0 {
			sends[r.producer] = append(sends[r.producer], sendOf{m, r.begin})
		}
	}
	if len(sends) == 0 && slices.ContainsFunc(d.order, func(m M) bool { return d.msgs[m].sent != unsent }) {
		panic("history: Deliveries.Check given InOrder, but no send was recorded with Sending, which names a message's producer: call Sending(producer, m) before each send")
	}
	firstAfter := map[string][]int{} // index into sends of the earliest delivered at or after each; -1: none
	for p, ss := range sends {
		slices.SortFunc(ss, func(a, b sendOf) int { return cmp.Compare(a.begin, b.begin) })
		idx := make([]int, len(ss)+1)
		idx[len(ss)] = -1
		for i := len(ss) - 1; i >= 0; i-- {
			idx[i] = idx[i+1]
			if f := d.msgs[ss[i].m].first; f > 0 && (idx[i] < 0 || f < d.msgs[ss[idx[i]].m].first) {
				idx[i] = i
			}
		}
		firstAfter[p] = idx
	}
	var out []Reordering[M]
	for _, m := range d.order {
		r := d.msgs[m]
		if r.begin == 0 || r.sent != sentAcked || r.first == 0 {
			continue // no producer, no promise of order, or lost
		}
		ss := sends[r.producer]
		i, _ := slices.BinarySearchFunc(ss, r.acked, func(s sendOf, acked int64) int { return cmp.Compare(s.begin, acked) })
		if j := firstAfter[r.producer][i]; j >= 0 && d.msgs[ss[j].m].first < r.first {
			out = append(out, Reordering[M]{Producer: r.producer, Earlier: m, Later: ss[j].m})
		}
	}
	return out
}

// A DeliveryError is what [Deliveries.Check] found: the messages of each
// kind of breach, in the order they were first recorded.
type DeliveryError[M comparable] struct {
	Lost       []M             // acknowledged, never delivered
	Unexpected []M             // delivered, never sent
	Duplicated []M             // delivered more than once, under ExactlyOnce
	Reordered  []Reordering[M] // delivered after a message their producer sent later, under InOrder
	promise    Promise
	acked      int
	msgs       map[M]message // the records of those named
	timed      bool          // the record had a clock (NewDeliveriesOn)
	start      time.Time
	at         time.Duration // of the first breach
	checked    time.Time
}

// A Reordering is a breach of [InOrder]: Earlier's send was acknowledged
// before Producer began the send of Later, and Later was delivered first.
// Later is the first delivered of those that overtook Earlier.
type Reordering[M comparable] struct {
	Producer       string
	Earlier, Later M
}

// At returns the time of the first breach the error names, on the clock
// of [NewDeliveriesOn]: the acknowledgement of a message lost, the
// delivery of one unexpected, the second delivery of one duplicated, the
// delivery of the message that overtook one sent before it. A simtest
// report whose first failure is this error shows its timeline there (see
// [Error.At]). It returns the zero time for a record made by
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
	when := func(format string, ats ...time.Duration) string {
		if !e.timed {
			return ""
		}
		args := make([]any, len(ats))
		for i, at := range ats {
			args[i] = seconds(int64(at))
		}
		return fmt.Sprintf(format, args...)
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
	if n := len(e.Reordered); n > 0 {
		parts = append(parts, fmt.Sprintf("%d delivered after a message their producer sent later, where the promise is each producer's order: %s", n, name(n, func(i int) string {
			o := e.Reordered[i]
			a, b := e.msgs[o.Earlier], e.msgs[o.Later]
			return fmt.Sprintf("%v%s after %v%s, of producer %q", o.Earlier, when(" (acknowledged at %s, delivered at %s)", a.ackedAt, a.firstAt),
				o.Later, when(" (sent at %s, delivered at %s)", b.beginAt, b.firstAt), o.Producer)
		})))
	}
	return "history: the queue broke its promise of delivery: " + strings.Join(parts, "; ")
}
