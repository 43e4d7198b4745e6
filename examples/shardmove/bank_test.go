package shardmove_test

import (
	"flag"
	"testing"

	"github.com/moonpool-go/moonpool/examples/shardmove"
	"github.com/moonpool-go/moonpool/simtest"
)

var (
	planted  = flag.Bool("planted", false, "run the bank whose moves lose deposits")
	feedback = flag.String("feedback", "all", "what FuzzBank tells the fuzzer: all, progress (the assertions only) or none")
)

// TestBank runs the workload over plain seeds. The assertions that mark
// the way to the lost deposit are too rare for a hundred seeds to reach:
// they are reported, not failed.
func TestBank(t *testing.T) {
	simtest.Run(t, shardmove.Workload(*planted), simtest.AllowGaps(), simtest.KeepFailures(!*planted))
}

// FuzzBank runs the workload under go test -fuzz.
func FuzzBank(f *testing.F) {
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
	simtest.Fuzz(f, shardmove.Workload(*planted), opts...)
}
