package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

// Payment is an amount to move, named by an id that stays the same across
// retries.
type Payment struct {
	ID     int
	Amount int
}

// Ledger is where workers apply payments.
type Ledger struct {
	// Idempotent makes Apply ignore a payment id it has already applied.
	Idempotent bool

	applied map[int]int
	total   int
}

// Apply applies p, unless the ledger is idempotent and has already
// applied p.ID.
func (l *Ledger) Apply(p Payment) {
	if l.applied == nil {
		l.applied = make(map[int]int)
	}
	if l.Idempotent && l.applied[p.ID] > 0 {
		return
	}
	l.applied[p.ID]++
	l.total += p.Amount
}

// Times reports how many times the payment id was applied.
func (l *Ledger) Times(id int) int { return l.applied[id] }

// Total is the sum of the amounts applied.
func (l *Ledger) Total() int { return l.total }

// Processor sends payments to workers and retries those not answered in
// time.
type Processor struct {
	Workers int           // how many workers apply payments
	Timeout time.Duration // how long to wait for the first answer; each retry waits twice as long
	Retries int           // how many times to send a payment again
	// Work is how long a worker takes over a payment; it defaults to a
	// few milliseconds, with a rare slow one.
	Work func(r providers.Random) time.Duration
	// Log, when set, hears of every retry.
	Log *slog.Logger

	Ledger *Ledger
}

type attempt struct {
	payment Payment
	done    *providers.Chan[struct{}]
}

// ErrUnanswered is returned when a payment was not answered after every
// retry.
var ErrUnanswered = errors.New("payments: a payment was not answered after every retry")

// Process applies every payment through the workers and returns when all
// of them, and every attempt still in flight, are done.
func (pr *Processor) Process(ctx context.Context, p providers.Providers, payments []Payment) error {
	work := pr.Work
	if work == nil {
		work = DefaultWork
	}
	queue := providers.NewChan[attempt](p.Task, 0)
	var workers []providers.Handle
	for i := range pr.Workers {
		workers = append(workers, p.Task.Go(ctx, fmt.Sprintf("worker-%d", i), func(ctx context.Context) error {
			for {
				a, ok, err := queue.Recv(ctx)
				if err != nil || !ok {
					return err
				}
				d := work(p.Random)
				assertions.SometimesGreaterThan(ctx, d, pr.Timeout, "an attempt outlasted the timeout",
					"payment", a.payment.ID)
				if err := p.Time.Sleep(ctx, d); err != nil {
					return err
				}
				pr.Ledger.Apply(a.payment)
				id := a.payment.ID
				assertions.AlwaysLessThanOrEqual(ctx, pr.Ledger.Times(id), 1, "a payment is applied at most once",
					"payment", id)
				a.done.TrySend(struct{}{})
			}
		}))
	}
	var err error
	for _, pay := range payments {
		if err = pr.send(ctx, p, queue, pay); err != nil {
			break
		}
	}
	queue.Close()
	for _, w := range workers {
		if werr := w.Join(ctx); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// send sends one payment and waits for its answer, sending it again after
// each timeout, and doubling the timeout each time (see Processor.Timeout).
func (pr *Processor) send(ctx context.Context, p providers.Providers, queue *providers.Chan[attempt], pay Payment) error {
	for try := range pr.Retries + 1 {
		a := attempt{payment: pay, done: providers.NewChan[struct{}](p.Task, 1)}
		if err := queue.Send(ctx, a); err != nil {
			return err
		}
		tctx, cancel := p.Time.WithTimeout(ctx, pr.Timeout<<try)
		_, _, err := a.done.Recv(tctx)
		cancel()
		if err == nil {
			assertions.Sometimes(ctx, try > 0, "a payment was answered after a retry",
				"payment", pay.ID, "attempts", try+1)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if pr.Log != nil {
			pr.Log.InfoContext(ctx, "payment timed out", "payment", pay.ID, "attempt", try+1)
		}
	}
	return fmt.Errorf("%w (payment %d)", ErrUnanswered, pay.ID)
}

// DefaultWork takes 5 to 40 milliseconds, and one time in 40 takes 80 to
// 200.
func DefaultWork(r providers.Random) time.Duration {
	if r.IntN(40) == 0 {
		return time.Duration(80+r.IntN(120)) * time.Millisecond
	}
	return time.Duration(5+r.IntN(35)) * time.Millisecond
}
