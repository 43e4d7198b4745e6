package program_test

import (
	"context"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// Three instances of an unmodified server, each on its own simulated host
// with its own disk, reached by a native workload over the simulated
// network. Build the program once per test binary, outside the simulation.
func Example() {
	var t *testing.T // the test's own, in a real test function

	prog, err := program.Build(context.Background(), program.Config{Package: "example.com/kv/cmd/kvd"})
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	kvd := prog.Process(program.Args(func(self providers.Peer) []string {
		return []string{"-listen", ":7000", "-data", "/data", "-name", self.Name}
	}))

	simtest.Run(t, func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "kv", Count: 3, New: func() simtest.Process { return kvd }})
		ctx, cancel := s.Providers().Time.WithTimeout(s.Context(), time.Second)
		defer cancel()
		conn, err := s.Providers().Network.Dial(ctx, "kv-0:7000")
		if err != nil {
			s.Fatal(err)
		}
		conn.Close()
	})
}

// Arguments and environment are computed for each process as it boots.
func ExampleEnv() {
	var prog *program.Program // from program.Build

	_ = prog.Process(
		program.Args(func(self providers.Peer) []string { return []string{"-zone", self.Tags["zone"]} }),
		program.Env(func(self providers.Peer) []string { return []string{"NODE_NAME=" + self.Name, "GODEBUG=gctrace=0"} }),
	)
}
