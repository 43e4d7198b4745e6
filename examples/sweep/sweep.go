package sweep

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/moonpool-go/moonpool/examples/payments"
	"github.com/moonpool-go/moonpool/simtest"
)

const usage = `usage: sweep [flags] system

sweep runs a system's simulation over many seeds, outside go test, and
prints the report. The systems:

  payments  the payments example's processor (with -planted, its race)
  rare      a toy whose planted bug shows about once in 500 seeds

Flags:
`

// Main runs the command with args (without the program's name), writes
// to stdout and stderr, and returns the exit code: 0 when every seed
// passed, 1 when one failed, 2 for a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	seeds := fs.Int("seeds", 100, "run `n` seeds")
	base := fs.Uint64("base", 0, "the base `seed` (default: derived from the name Simulate)")
	seed := fs.Uint64("seed", 0, "replay only this `seed`")
	all := fs.Bool("all", false, "run every seed, past failing ones, and list the failing seeds")
	planted := fs.Bool("planted", false, "plant the payments processor's race")
	results := fs.String("results", "", "write a line of JSON for every seed to this `file` (- for stdout)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var body func(*simtest.S)
	switch name := fs.Arg(0); name {
	case "payments":
		body = processBatch(*planted)
	case "rare":
		body = rare
	default:
		fmt.Fprintf(stderr, "sweep: no system is named %q; name payments or rare\n", name)
		return 2
	}
	var opts []simtest.Option
	if *base != 0 {
		opts = append(opts, simtest.BaseSeed(*base))
	}
	if *seed != 0 {
		opts = append(opts, simtest.Replay(*seed)) // the one seed, whatever -seeds says
	} else {
		opts = append(opts, simtest.Seeds(*seeds))
	}
	if *all {
		opts = append(opts, simtest.KeepGoing())
	}
	if *results != "" && *results != "-" {
		opts = append(opts, simtest.ResultsFile(*results))
	}
	res := simtest.Simulate(body, opts...)
	if *results == "-" {
		enc := json.NewEncoder(stdout)
		for _, sr := range res.PerSeed {
			_ = enc.Encode(sr)
		}
	} else {
		fmt.Fprintln(stdout, res.Report)
	}
	if !res.OK() {
		return 1
	}
	return 0
}

// processBatch is the payments example's seed: ten payments through three
// workers, each applied exactly once.
func processBatch(planted bool) func(*simtest.S) {
	return func(s *simtest.S) {
		ledger := &payments.Ledger{Idempotent: !planted}
		pr := &payments.Processor{Workers: 3, Timeout: 50 * time.Millisecond, Retries: 3, Ledger: ledger, Log: s.Logger()}
		var batch []payments.Payment
		for id := range 10 {
			batch = append(batch, payments.Payment{ID: id, Amount: 1 + s.Providers().Random.IntN(100)})
		}
		if err := pr.Process(s.Context(), s.Providers(), batch); err != nil {
			s.Fatalf("processing the batch: %v", err)
		}
		for _, p := range batch {
			if n := ledger.Times(p.ID); n != 1 {
				s.Errorf("payment %d was applied %d times", p.ID, n)
			}
		}
	}
}

// rare fails about one seed in 500, as a bug behind a rare interleaving
// does: a sweep's failure rate measures how rare.
func rare(s *simtest.S) {
	p := s.Providers()
	s.Sleep(time.Duration(p.Random.IntN(1000)) * time.Millisecond)
	if p.Random.IntN(500) == 0 {
		s.Errorf("an acknowledged write was lost")
	}
}
