package shardmove

import (
	"context"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// The workload's bank.
const (
	Accounts = 100
	Balance  = 100
)

// Workload returns the simulation the tests run, on the fixed bank, or on
// the bank that loses deposits when lossy is set. It moves one partition
// 20ms in, deposits 10 into one account at one of fifty instants a
// millisecond apart, and at 100ms checks that the books balance.
func Workload(lossy bool) func(s *simtest.S) {
	return func(s *simtest.S) {
		p := s.Providers()
		bank := New(p, Accounts, Balance)
		bank.Atomic = !lossy
		moving := p.Random.IntN(Partitions)
		s.Go("mover", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 20*time.Millisecond); err != nil {
				return err
			}
			return bank.Move(ctx, moving)
		})
		s.Go("depositor", func(ctx context.Context) error {
			a := p.Random.IntN(Accounts)
			at := time.Duration(p.Random.IntN(50))*time.Millisecond + 500*time.Microsecond
			assertions.Sometimes(ctx, Partition(a) == moving, "a deposit goes to the partition that moves")
			if err := p.Time.Sleep(ctx, at); err != nil {
				return err
			}
			return bank.Deposit(ctx, a, 10)
		})
		s.Go("auditor", func(ctx context.Context) error {
			if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			got, want := bank.Total(), Accounts*Balance+10
			assertions.Sometimes(ctx, got == want, "the books balance")
			if got != want {
				s.Errorf("the bank holds %d, want %d: a deposit was lost", got, want)
			}
			return nil
		})
		s.Sleep(time.Second)
	}
}
