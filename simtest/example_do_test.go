package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// An embedded store driven through its Go API: each append runs in the
// store's process, so a crash of the process ends the append where it
// stands, as it would end a call into the library in production.
func ExampleCluster_Do() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "log", Count: 1, New: func() simtest.Process { return &logStore{} }})
		s.Sleep(time.Second) // the store opens its file
		appendLine := func(line string) error {
			return c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
				return inst.(*logStore).Append(ctx, []byte(line))
			})
		}
		fmt.Println("append:", appendLine("one\n"))
		c.Stop("log-0", simtest.Crash)
		err := appendLine("two\n")
		fmt.Println("append while down:", errors.Is(err, simtest.ErrDown))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// append: <nil>
	// append while down: true
}
