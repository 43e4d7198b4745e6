package sim

// An event is something due at a simulated instant: the end of a task's
// sleep, or a callback (a timer, a context deadline).
type event struct {
	when int64  // nanoseconds since the start of the run
	seq  uint64 // tie-break: events at one instant fire in the order scheduled
	idx  int    // position in the heap, -1 when not queued
	task *task  // wake this task, or
	fn   func() // call this on the scheduler
}

// eventQueue is a binary min-heap on (when, seq). It is written out rather
// than built on container/heap to keep the hot path free of interface calls.
type eventQueue []*event

func (q eventQueue) less(i, j int) bool {
	if q[i].when != q[j].when {
		return q[i].when < q[j].when
	}
	return q[i].seq < q[j].seq
}

func (q eventQueue) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx = i
	q[j].idx = j
}

func (q *eventQueue) push(e *event) {
	e.idx = len(*q)
	*q = append(*q, e)
	q.up(e.idx)
}

func (q *eventQueue) pop() *event {
	old := *q
	n := len(old) - 1
	old.swap(0, n)
	e := old[n]
	old[n] = nil
	*q = old[:n]
	q.down(0)
	e.idx = -1
	return e
}

func (q *eventQueue) remove(e *event) {
	i := e.idx
	if i < 0 {
		return
	}
	old := *q
	n := len(old) - 1
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*q = old[:n]
	if i != n {
		q.down(i)
		q.up(i)
	}
	e.idx = -1
}

func (q eventQueue) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		j = i
	}
}

func (q eventQueue) down(i int) {
	n := len(q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && q.less(r, l) {
			j = r
		}
		if !q.less(j, i) {
			return
		}
		q.swap(i, j)
		i = j
	}
}
