package failover_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/examples/failover"
	"github.com/moonpool-go/moonpool/simtest"
)

var (
	planted  = flag.Bool("planted", false, "run the register that acknowledges a write before its backup has it")
	feedback = flag.String("feedback", "all", "what FuzzRegister tells the fuzzer: all, progress (the assertions only) or none")
)

// workload writes 1, crashes the primary 10ms later one time in fifty,
// and reads early (20ms) one time in fifty, late (1s) otherwise. A read
// that begins after the write was acknowledged must return it.
func workload(s *simtest.S) {
	p := s.Providers()
	reg := failover.New(s.Context(), p)
	reg.Sync = !*planted
	acked := time.Duration(-1)
	s.Go("writer", func(ctx context.Context) error {
		if err := reg.Write(ctx, 1); err != nil {
			return err
		}
		acked = s.Elapsed()
		return nil
	})
	s.Go("chaos", func(ctx context.Context) error {
		if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if p.Random.IntN(50) == 0 {
			reg.Fail(ctx)
		}
		return nil
	})
	s.Go("reader", func(ctx context.Context) error {
		at := time.Second
		if p.Random.IntN(50) == 0 {
			at = 20 * time.Millisecond
		}
		if err := p.Time.Sleep(ctx, at); err != nil {
			return err
		}
		start := s.Elapsed()
		v := reg.Read(ctx)
		assertions.Sometimes(ctx, v == 1, "a read returns the write")
		if acked >= 0 && acked <= start && v != 1 {
			s.Errorf("stale read: the write of 1 was acknowledged at %v, and a read at %v returned %d", acked, start, v)
		}
		return nil
	})
	s.Sleep(2 * time.Second)
}

// TestRegister runs the workload over plain seeds.
func TestRegister(t *testing.T) {
	simtest.Run(t, workload, simtest.AllowGaps())
}

// FuzzRegister runs the workload under go test -fuzz.
func FuzzRegister(f *testing.F) {
	var opts []simtest.Option
	switch *feedback {
	case "all":
	case "progress":
		opts = append(opts, simtest.FuzzStates(0))
	case "none":
		opts = append(opts, simtest.NoFuzzFeedback())
	default:
		f.Fatalf("-feedback=%q: want all, progress or none", *feedback)
	}
	simtest.Fuzz(f, workload, opts...)
}
