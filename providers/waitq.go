package providers

// A waiter is one parked operation of one task in a simulation: a send, a
// receive, a lock, a wait, or one case of a Select. The cases of one Select
// share a token, so once any of them is woken the others are stale.
//
// A waiter may be stale while still queued: its task was woken through
// another Select case, its wait context ended, or it was killed. Wake then
// reports false, and whoever dequeues it skips it.
type waiter[T any] struct {
	tok    WaitToken
	val    T    // the value to send, or the value received
	ok     bool // a receive got a sent value, not the zero value of a close
	done   bool // the operation completed while the task was parked
	closed bool // a send was ended by Close: the sender must panic

	q          *waitq[T] // the queue holding it, nil once dequeued
	prev, next *waiter[T]
}

// A waitq is a FIFO of waiters, linked so that a waiter whose wait ended
// another way can leave from the middle.
type waitq[T any] struct {
	head, tail *waiter[T]
}

func (q *waitq[T]) push(w *waiter[T]) {
	w.q = q
	w.prev = q.tail
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
}

// remove takes w out of q. It does nothing if w is not in q, so a task may
// call it whether or not a waker already dequeued it.
func (q *waitq[T]) remove(w *waiter[T]) {
	if w.q != q {
		return
	}
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.q, w.prev, w.next = nil, nil, nil
}

func (q *waitq[T]) empty() bool { return q.head == nil }

// wake dequeues waiters in order until it wakes one, which it returns marked
// done; the caller completes the operation before its own task parks or
// returns. Stale waiters are dropped on the way. It returns nil when no
// waiter is left.
func (q *waitq[T]) wake(p parker) *waiter[T] {
	for w := q.head; w != nil; w = q.head {
		q.remove(w)
		if p.Wake(w.tok) {
			w.done = true
			return w
		}
	}
	return nil
}

// parked returns what a Park that ended without completing the operation
// must report: ctx's error. A nil error there means the parker woke a task
// that no one woke, which is a bug in the parker.
func parked(err error) error {
	if err == nil {
		panic("providers: parker.Park returned nil, but no Wake was made for its token; the parker breaks its contract")
	}
	return err
}
