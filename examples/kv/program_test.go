package kv_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/kv"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// TestKVPrograms runs TestKV's workload, the same native clients and
// porcupine check, against three kvnode programs built for WebAssembly:
// the production command, on providers.Real(), as the simulated processes
// kv-0, kv-1 and kv-2.
func TestKVPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvnode for WebAssembly and runs it")
	}
	node := kvNode(t)
	simtest.Run(t, func(s *simtest.S) { runKVPrograms(s, node) },
		simtest.Seeds(3), programChaos, simtest.AllowGaps())
}

// BenchmarkKVPrograms runs seeds of TestKV's workload against native
// processes and against kvnode programs, side by side, and reports seeds
// per wall second and per CPU second of each, and the programs' slowdown
// in CPU time (x-native-cpu; the goal is at most 5):
// go test -run XXX -bench KVPrograms -cpu 1 -benchtime 20x ./examples/kv
//
// Both run under programChaos, so that they differ only in the processes.
func BenchmarkKVPrograms(b *testing.B) {
	node := kvNode(b)
	rates := map[string]float64{}
	for _, kind := range []string{"native", "wasm"} {
		b.Run(kind, func(b *testing.B) {
			cpu := testenv.CPUTime()
			simtest.Run(b, func(s *simtest.S) {
				if kind == "native" {
					runKVNative(s)
				} else {
					runKVPrograms(s, node)
				}
			}, programChaos, simtest.Seeds(b.N), simtest.AllowGaps())
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
			if cpu := (testenv.CPUTime() - cpu).Seconds(); cpu > 0 {
				rates[kind] = float64(b.N) / cpu
				b.ReportMetric(rates[kind], "seeds/cpu-s")
			}
			// The slowdown: how many times the CPU a native seed takes
			// a seed of programs takes.
			if kind == "wasm" && rates["native"] > 0 && rates["wasm"] > 0 {
				b.ReportMetric(rates["native"]/rates["wasm"], "x-native-cpu")
			}
		})
	}
}

// programChaos is chaos.Harsh less wipes: kvnode tells a first boot from
// a reboot by whether its directory holds anything, so a wiped disk looks
// like the cluster's first boot, and the replica serves an empty state
// rather than recovering it from its peers. Every other fault stays.
var programChaos = simtest.Chaos(func() chaos.Config {
	c := chaos.Harsh()
	c.Attrition.Wipe = 0
	return c
}())

// kvNode builds kvnode (cached across runs) and returns the process that
// runs it with its log at the root of its simulated disk.
func kvNode(t testing.TB) *program.Process {
	t.Helper()
	prog, err := program.Build(context.Background(), program.Config{Package: "./kvnode"})
	require.NoError(t, err)
	t.Cleanup(func() { prog.Close() })
	var cluster []string
	for i := range 3 {
		h := fmt.Sprintf("kv-%d", i)
		cluster = append(cluster, fmt.Sprintf("%s=%s:%d", h, h, kv.DefaultPort))
	}
	return prog.Process(program.Args(func(self providers.Peer) []string {
		return []string{"-name", self.Name, "-dir", "/", "-cluster", strings.Join(cluster, ",")}
	}))
}

func runKVPrograms(s *simtest.S, node *program.Process) {
	c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: func() simtest.Process { return node }})
	story := s.Watch("stderr", "boot", "reboot", "down")
	var told []simtest.Entry
	w := &workload{
		clients: 4, ops: 50, keys: 20, think: 2500 * time.Millisecond,
		story: func() []simtest.Entry { told = append(told, story.Next()...); return told },
	}
	c.Run(simtest.Phases{Chaos: 2 * time.Minute, Settle: time.Second}, w)
}

func runKVNative(s *simtest.S) { runKV(s, false) }
