package wasmhost_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmhost"
	"github.com/moonpool-go/moonpool/simtest"
)

// spinChildBound is how long the child of TestCPUSpinWithoutStopSpinsFailsTheSeed
// may take, building the guest included, before it is taken as hung.
const spinChildBound = 3 * time.Minute

// A program goroutine that loops without calling the host, in a program
// built without StopSpins, fails the seed through the simulation's
// watchdog, which names the program's code: the watchdog takes no stack
// trace of the process while the program's code runs, for that trace
// would stop the world, and the world cannot stop while WebAssembly
// spins. The simulation runs in a child process, so that a hang fails
// this test instead of holding the test binary.
func TestCPUSpinWithoutStopSpinsFailsTheSeed(t *testing.T) {
	if os.Getenv("WASMHOST_SPIN_CHILD") == "1" {
		mod := guestModule(t)
		// A collection under way when the spin starts would wait for it
		// before the watchdog fires (docs/programs.md, What stays out):
		// the building and compiling above are done with first.
		runtime.GC()
		simtest.Run(t, func(s *simtest.S) {
			h := s.Go("spin", func(ctx context.Context) error {
				return mod.Run(ctx, s.Providers(), wasmhost.Config{Args: []string{"guest", "cpuspin"}})
			})
			_ = h.Join(s.Context())
		}, simtest.Seeds(1), simtest.KeepFailures(false), simtest.Watchdog(500*time.Millisecond))
		// The binary goes on: enough allocation to start a garbage
		// collection, which would wait for the spinning goroutine.
		var keep [][]byte
		for range 64 {
			keep = append(keep, make([]byte, 4<<20))
		}
		fmt.Printf("allocated %d MiB after the seed\n", 4*len(keep))
		return
	}
	if testing.Short() {
		t.Skip("runs the test binary again as a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCPUSpinWithoutStopSpinsFailsTheSeed$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "WASMHOST_SPIN_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(spinChildBound)
	defer timer.Stop()
	select {
	case err := <-done:
		require.Error(t, err, "the child's seed fails:\n%s", out.String())
	case <-timer.C:
		// The child's output is read only once it has exited.
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the child hung for %v: the world was stopped (for the watchdog's sample of the goroutines, or a garbage collection) "+
			"while the program's code spun, which the Go runtime cannot preempt; its output:\n%s", spinChildBound, out.String())
	}
	got := out.String()
	assert.Contains(t, got, `in task "spin"`)
	assert.Contains(t, got, "in the code of the program it runs, which has not called the host since")
	assert.Contains(t, got, "program.Config{StopSpins: true}")
	assert.Contains(t, got, "allocated 256 MiB after the seed", "the binary goes on after the seed")
	assert.NotContains(t, got, "panic:", "no crash of the test binary")
}
