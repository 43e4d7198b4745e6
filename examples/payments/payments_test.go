package payments_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/payments"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the processor with its race: a ledger that is not idempotent")

// TestPayments processes ten payments through three workers, under the
// seed's choice of how long each attempt takes and which worker runs when,
// and checks that each payment was applied exactly once: from the outside
// at the end, and from the inside as it runs (the processor's assertions
// and an invariant on the ledger).
func TestPayments(t *testing.T) {
	simtest.Run(t, processBatch, simtest.KeepFailures(!*planted))
}

// processBatch is a seed of TestPayments.
func processBatch(s *simtest.S) {
	ledger := &payments.Ledger{Idempotent: !*planted}
	pr := &payments.Processor{Workers: 3, Timeout: 50 * time.Millisecond, Retries: 3, Ledger: ledger, Log: s.Logger()}
	var batch []payments.Payment
	want := 0
	for id := range 10 {
		amount := 1 + s.Providers().Random.IntN(100)
		batch = append(batch, payments.Payment{ID: id, Amount: amount})
		want += amount
	}
	s.Invariant("the ledger never holds more than the batch", func() error {
		if ledger.Total() > want {
			return fmt.Errorf("the ledger holds %d of a batch of %d", ledger.Total(), want)
		}
		return nil
	})
	require.NoError(s, pr.Process(s.Context(), s.Providers(), batch))
	for _, p := range batch {
		if n := ledger.Times(p.ID); n != 1 {
			s.Errorf("payment %d was applied %d times", p.ID, n)
		}
	}
	require.Equal(s, want, ledger.Total(), "the ledger's total")
	s.Logf("applied %d payments, total %d", len(batch), ledger.Total())
}

// TestPaymentsFourSlowAttempts replays the seed at which all four attempts
// at payment 2 drew slow work (174, 195, 167 and 84 ms), each longer than
// a fixed 50 ms timeout: the processor gave up on the payment. With the
// timeout doubling on each retry, the second attempt is answered.
func TestPaymentsFourSlowAttempts(t *testing.T) {
	if *planted {
		t.Skip("the seed is a case of the fixed processor")
	}
	simtest.Run(t, processBatch, simtest.Replay(548534096549758004))
}

// TestSlowestWorkersAnswer makes every attempt as slow as DefaultWork's
// slowest, four times the first timeout: a payment is still answered, by
// the attempt whose timeout has doubled past the work.
func TestSlowestWorkersAnswer(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		ledger := &payments.Ledger{Idempotent: true}
		pr := &payments.Processor{Workers: 3, Timeout: 50 * time.Millisecond, Retries: 3, Ledger: ledger,
			Work: func(providers.Random) time.Duration { return 199 * time.Millisecond }}
		batch := []payments.Payment{{ID: 1, Amount: 10}, {ID: 2, Amount: 20}, {ID: 3, Amount: 30}}
		require.NoError(s, pr.Process(s.Context(), s.Providers(), batch))
		require.Equal(s, 60, ledger.Total())
	}, simtest.Seeds(10))
}
