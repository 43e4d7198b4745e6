package ledger_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/ledger"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the server with the planted bug: a deposit resent by GetReply is applied again (ledger.Server.ApplyTwice)")

// TestLedger runs the ledger under the default chaos (the network's
// faults, reboots, buggify) with a disk that keeps what was synced, while
// three clients deposit, withdraw and read, and checks every balance
// against what the clients were told.
func TestLedger(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) { runLedger(s, *planted) },
		simtest.Storage(chaos.NoStorageFaults()), simtest.KeepFailures(!*planted))
}

func runLedger(s *simtest.S, applyTwice bool) {
	c := s.Boot(simtest.Processes{Name: "ledger", New: func() simtest.Process {
		return &ledger.Server{ApplyTwice: applyTwice}
	}})
	c.Run(simtest.Phases{Chaos: 30 * time.Second, Settle: time.Second}, &workload{clients: 3, ops: 40, accounts: 3})
}

// workload deposits, withdraws and reads, and keeps what it was told of
// each account: what surely happened, and what may have.
type workload struct {
	clients, ops, accounts int

	tr  *rpc.Transport
	eps ledger.Endpoints
	// Per account: deposits and withdrawals acknowledged, and those whose
	// outcome is unknown (ErrMaybeDelivered, a promise broken).
	deposited, withdrawn, maybeDeposited, maybeWithdrawn []int64
}

func (w *workload) Name() string { return "ledger clients" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	tr, err := rpc.NewTransport(ctx, p, rpc.Config{})
	if err != nil {
		return err
	}
	w.tr = tr
	w.eps = ledger.At(net.JoinHostPort(p.Cluster.Peers()[0].Host, strconv.Itoa(ledger.Port)))
	w.deposited = make([]int64, w.accounts)
	w.withdrawn = make([]int64, w.accounts)
	w.maybeDeposited = make([]int64, w.accounts)
	w.maybeWithdrawn = make([]int64, w.accounts)
	return nil
}

func (w *workload) Run(ctx context.Context, p providers.Providers) error {
	g, ctx := providers.NewGroup(ctx, p.Task)
	for id := range w.clients {
		g.Go(fmt.Sprintf("client %d", id), func(ctx context.Context) error {
			for n := range w.ops {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(500*time.Millisecond)))); err != nil {
					return err
				}
				account := p.Random.IntN(w.accounts)
				amount := 1 + p.Random.Int64N(100)
				switch r := p.Random.IntN(10); {
				case r < 6:
					// At least once: the id makes a second delivery
					// harmless, so a deposit whose promise broke (the
					// server was stopping) is sent again, a few times.
					d := ledger.Deposit{ID: uint64(id+1)<<32 | uint64(n+1), Account: account, Amount: amount}
					var err error
					for try := 0; try < 5; try++ {
						if _, err = w.eps.Deposit.GetReply(ctx, w.tr, d); !errors.Is(err, rpc.ErrBrokenPromise) {
							break
						}
					}
					switch {
					case err == nil:
						w.deposited[account] += amount
					case errors.Is(err, rpc.ErrBrokenPromise):
						w.maybeDeposited[account] += amount
					default:
						return fmt.Errorf("deposit %d: %w", d.ID, err)
					}
				case r < 9:
					// At most once: no id, so no retry.
					_, err := w.eps.Withdraw.TryGetReply(ctx, w.tr, ledger.Withdraw{Account: account, Amount: amount})
					var re *rpc.RemoteError
					switch {
					case err == nil:
						w.withdrawn[account] += amount
					case errors.As(err, &re):
						// Refused: nothing withdrawn.
					default:
						assertions.Sometimes(ctx, errors.Is(err, rpc.ErrMaybeDelivered), "a withdrawal may or may not have happened")
						w.maybeWithdrawn[account] += amount
					}
				default:
					b, err := w.eps.Balance.GetReplyUnlessFailedFor(ctx, w.tr, ledger.Balance{Account: account}, 2*time.Second)
					if err == nil && b.Balance < 0 {
						return fmt.Errorf("account %d reads a balance of %d", account, b.Balance)
					}
					assertions.Sometimes(ctx, errors.Is(err, rpc.ErrBrokenPromise), "a balance read gives up on a failed server")
				}
			}
			return nil
		})
	}
	return g.Wait(ctx)
}

// Check reads every balance and checks it against the acknowledged
// deposits and withdrawals, allowing each unknown one either way.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	for a := range w.accounts {
		b, err := w.eps.Balance.GetReply(ctx, w.tr, ledger.Balance{Account: a})
		if err != nil {
			return fmt.Errorf("read account %d: %w", a, err)
		}
		lo := w.deposited[a] - w.withdrawn[a] - w.maybeWithdrawn[a]
		hi := w.deposited[a] + w.maybeDeposited[a] - w.withdrawn[a]
		if b.Balance < lo || b.Balance > hi {
			return fmt.Errorf("account %d holds %d; the clients were told of deposits of %d and withdrawals of %d, and %d more may have been deposited and %d withdrawn, so it should hold %d to %d",
				a, b.Balance, w.deposited[a], w.withdrawn[a], w.maybeDeposited[a], w.maybeWithdrawn[a], lo, hi)
		}
	}
	return nil
}
