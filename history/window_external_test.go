package history_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/history"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// staleRegister is a workload on a register in the driver's memory: a
// writer writes 1, 2, 3... every 100 ms, and a reader reads 50 ms after
// each write. Once, from staleAt on, the read returns the value before the
// last write: a stale read, found by the check at the end of the seed.
type staleRegister struct {
	h       *history.History[Op, Result]
	elapsed func() time.Duration // the seed's simulated time
	staleAt time.Duration
}

func (w *staleRegister) Setup(context.Context, providers.Providers) error { return nil }

func (w *staleRegister) Run(ctx context.Context, p providers.Providers) error {
	value, prev, stale := 0, 0, false
	op := func(client int, o Op) {
		call := w.h.Call(client, o)
		_ = p.Time.Sleep(ctx, 10*time.Millisecond)
		if o.Write {
			prev, value = value, o.Value
			p.Logger.Info(fmt.Sprintf("write(%d)", o.Value))
			call.Return(Result{})
			return
		}
		got := value
		if !stale && w.elapsed() >= w.staleAt {
			stale, got = true, prev
			p.Logger.Info(fmt.Sprintf("read() -> %d, the value before the last write", got))
		} else {
			p.Logger.Info(fmt.Sprintf("read() -> %d", got))
		}
		call.Return(Result{Value: got})
	}
	writer := p.Task.Go(ctx, "writer", func(ctx context.Context) error {
		for i := 1; i <= 300; i++ {
			op(0, Op{Write: true, Value: i})
			_ = p.Time.Sleep(ctx, 90*time.Millisecond)
		}
		return nil
	})
	reader := p.Task.Go(ctx, "reader", func(ctx context.Context) error {
		_ = p.Time.Sleep(ctx, 50*time.Millisecond)
		for range 300 {
			op(1, Op{})
			_ = p.Time.Sleep(ctx, 90*time.Millisecond)
		}
		return nil
	})
	return errors.Join(writer.Join(ctx), reader.Join(ctx))
}

func (w *staleRegister) Check(context.Context, providers.Providers) error {
	return history.Check(w.h, register)
}

// A history that is not linearizable names the call of a stale read
// early in the seed, and the check at the end finds it: the report's
// window is at the stale read, not at the check.
func TestReportWindowIsAtTheStaleRead(t *testing.T) {
	for _, skew := range []time.Duration{0, -921 * time.Millisecond, 2 * time.Second} {
		t.Run(fmt.Sprint("skew ", skew), func(t *testing.T) { testReportWindowIsAtTheStaleRead(t, skew) })
	}
}

// testReportWindowIsAtTheStaleRead is TestReportWindowIsAtTheStaleRead
// with the history on a clock skew ahead of the seed's, as a client's
// host's p.Time.Now reads it: the window is at the stale read's
// simulated time all the same.
func testReportWindowIsAtTheStaleRead(t *testing.T, skew time.Duration) {
	runs := 0
	res := simtest.Simulate(func(s *simtest.S) {
		runs++
		c := s.Boot(simtest.Processes{Name: "reg", New: func() simtest.Process { return idle{} }})
		hostNow := func() time.Time { return s.Now().Add(skew) }
		c.Run(simtest.Phases{Chaos: 30 * time.Second},
			&staleRegister{h: history.New[Op, Result](hostNow), elapsed: s.Elapsed, staleAt: 12600 * time.Millisecond})
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.False(t, res.OK())
	assert.Equal(t, 2, runs, "the failing seed ran once more, to show its window at the stale read")
	out := res.Report
	assert.Contains(t, out, "no order of the operations before it can take client 1's read() -> 126 (12.650s-12.660s)")
	i := strings.Index(out, "the window is at 12.65s, the time the first failure names; the failure itself came at 35.05s\n"+
		"  the seed ran once more to show it: a line its body logs through the test's own t, not its S, is logged again\n"+
		"  timeline around 12.65s (")
	require.GreaterOrEqual(t, i, 0, out)
	timeline := out[i:strings.Index(out, "simtest: 1 seed")]
	assert.Contains(t, timeline, "write(127)", "the write the read should have seen")
	assert.Regexp(t, regexp.MustCompile(`12\.66s +reader +read\(\) -> 126, the value before the last write`), timeline)
	assert.Contains(t, timeline, "read() -> 128", "the reads after it")
	assert.NotContains(t, timeline, "phase: check", "the check at the end is not shown")
}

// idle is a process that waits to be stopped.
type idle struct{}

func (idle) Run(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) }

// heldQueue is a workload on a queue in the driver's memory: a producer
// sends 1, 2, 3... every 100 ms, one at a time, and a consumer takes what
// is queued 50 ms after each send. Once, from heldAt on, the queue holds
// a message back behind the next: a breach of the producer's order, found
// by the check at the end of the seed.
type heldQueue struct {
	d       *history.Deliveries[int]
	elapsed func() time.Duration // the seed's simulated time
	heldAt  time.Duration
}

func (w *heldQueue) Setup(context.Context, providers.Providers) error { return nil }

func (w *heldQueue) Run(ctx context.Context, p providers.Providers) error {
	var queue []int
	held, holding := 0, false
	producer := p.Task.Go(ctx, "producer", func(ctx context.Context) error {
		for i := 1; i <= 300; i++ {
			w.d.Sending("p", i)
			_ = p.Time.Sleep(ctx, 10*time.Millisecond)
			switch {
			case held == 0 && w.elapsed() >= w.heldAt:
				held, holding = i, true
				p.Logger.Info(fmt.Sprintf("sent(%d), held back", i))
			case holding:
				queue, holding = append(queue, i, held), false
				p.Logger.Info(fmt.Sprintf("sent(%d), queued before %d", i, held))
			default:
				queue = append(queue, i)
				p.Logger.Info(fmt.Sprintf("sent(%d)", i))
			}
			w.d.Sent(i)
			_ = p.Time.Sleep(ctx, 90*time.Millisecond)
		}
		return nil
	})
	consumer := p.Task.Go(ctx, "consumer", func(ctx context.Context) error {
		_ = p.Time.Sleep(ctx, 50*time.Millisecond)
		for range 300 {
			for _, m := range queue {
				w.d.Delivered(m)
				p.Logger.Info(fmt.Sprintf("delivered(%d)", m))
			}
			queue = queue[:0]
			_ = p.Time.Sleep(ctx, 100*time.Millisecond)
		}
		return nil
	})
	return errors.Join(producer.Join(ctx), consumer.Join(ctx))
}

func (w *heldQueue) Check(context.Context, providers.Providers) error {
	return w.d.Check(history.ExactlyOnce | history.InOrder)
}

// A queue that broke its producer's order early in the seed, found by the
// check at the end: the report's window is at the delivery that overtook
// the message held back, on a host's skewed clock as on the seed's.
func TestReportWindowIsAtTheOvertakingDelivery(t *testing.T) {
	for _, skew := range []time.Duration{0, 2 * time.Second} {
		t.Run(fmt.Sprint("skew ", skew), func(t *testing.T) {
			runs := 0
			res := simtest.Simulate(func(s *simtest.S) {
				runs++
				c := s.Boot(simtest.Processes{Name: "queue", New: func() simtest.Process { return idle{} }})
				hostNow := func() time.Time { return s.Now().Add(skew) }
				c.Run(simtest.Phases{Chaos: 30 * time.Second},
					&heldQueue{d: history.NewDeliveriesOn[int](hostNow), elapsed: s.Elapsed, heldAt: 12600 * time.Millisecond})
			}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			require.False(t, res.OK())
			assert.Equal(t, 2, runs, "the failing seed ran once more, to show its window at the delivery")
			out := res.Report
			assert.Contains(t, out, `1 delivered after a message their producer sent later, where the promise is each producer's order: 127 (acknowledged at 12.610s, delivered at 12.750s) after 128 (sent at 12.700s, delivered at 12.750s), of producer "p"`)
			i := strings.Index(out, "the window is at 12.75s, the time the first failure names")
			require.GreaterOrEqual(t, i, 0, out)
			timeline := out[i:strings.Index(out, "simtest: 1 seed")]
			assert.Contains(t, timeline, "sent(127), held back")
			assert.Regexp(t, regexp.MustCompile(`12\.75s +consumer +delivered\(128\)`), timeline)
			assert.NotContains(t, timeline, "phase: check", "the check at the end is not shown")
		})
	}
}
