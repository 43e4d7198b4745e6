package history

import (
	"fmt"
	"strings"
	"sync"
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
	mu        sync.Mutex
	sent      map[M]bool // acknowledged: true; maybe sent: false
	delivered map[M]int
	order     []M // each message once, in the order first recorded
}

// NewDeliveries returns an empty record of a queue's deliveries.
func NewDeliveries[M comparable]() *Deliveries[M] {
	return &Deliveries[M]{sent: map[M]bool{}, delivered: map[M]int{}}
}

// Sent records that the queue acknowledged the send of m.
func (d *Deliveries[M]) Sent(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.note(m)
	d.sent[m] = true
}

// MaybeSent records a send of m whose outcome is unknown (it timed out, or
// the connection broke after the request): delivering it is no error, nor
// is losing it. A later Sent of m wins.
func (d *Deliveries[M]) MaybeSent(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.note(m)
	if _, ok := d.sent[m]; !ok {
		d.sent[m] = false
	}
}

// Delivered records that a consumer received m; each call is one delivery.
func (d *Deliveries[M]) Delivered(m M) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.note(m)
	d.delivered[m]++
}

// note keeps m's place in the order of first records.
func (d *Deliveries[M]) note(m M) {
	if _, sent := d.sent[m]; !sent && d.delivered[m] == 0 {
		d.order = append(d.order, m)
	}
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
	e := &DeliveryError[M]{}
	for _, m := range d.order {
		acked, sent := d.sent[m] // acknowledged; sent at all, maybe
		n := d.delivered[m]
		switch {
		case acked && n == 0:
			e.Lost = append(e.Lost, m)
		case !sent && n > 0:
			e.Unexpected = append(e.Unexpected, m)
		case promise == ExactlyOnce && n > 1:
			e.Duplicated = append(e.Duplicated, m)
		}
		if acked {
			e.acked++
		}
	}
	if len(e.Lost)+len(e.Unexpected)+len(e.Duplicated) == 0 {
		return nil
	}
	e.promise, e.counts = promise, make(map[M]int, len(e.Duplicated))
	for _, m := range e.Duplicated {
		e.counts[m] = d.delivered[m]
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
	counts     map[M]int
}

// maxNamed is how many messages of each kind an error names.
const maxNamed = 5

func (e *DeliveryError[M]) Error() string {
	var parts []string
	name := func(ms []M, what func(M) string) string {
		var out []string
		for _, m := range ms[:min(len(ms), maxNamed)] {
			out = append(out, what(m))
		}
		if more := len(ms) - maxNamed; more > 0 {
			out = append(out, fmt.Sprintf("and %d more", more))
		}
		return strings.Join(out, ", ")
	}
	plain := func(m M) string { return fmt.Sprint(m) }
	if n := len(e.Lost); n > 0 {
		parts = append(parts, fmt.Sprintf("%d of the %d messages whose send was acknowledged never delivered (lost): %s", n, e.acked, name(e.Lost, plain)))
	}
	if n := len(e.Unexpected); n > 0 {
		parts = append(parts, fmt.Sprintf("%d delivered that no producer sent: %s", n, name(e.Unexpected, plain)))
	}
	if n := len(e.Duplicated); n > 0 {
		parts = append(parts, fmt.Sprintf("%d delivered more than once, where the promise is exactly once: %s", n,
			name(e.Duplicated, func(m M) string { return fmt.Sprintf("%v (%d times)", m, e.counts[m]) })))
	}
	return "history: the queue broke its promise of delivery: " + strings.Join(parts, "; ")
}
