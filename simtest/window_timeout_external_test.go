package simtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// Clients whose connects to an isolated server time out, each again and
// again, fold into one line each: the lines the network writes as the
// connects time out are of no task, in the scheduler's order, as several
// tasks' are.
func TestTimedOutConnectsInterleavedFold(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "server", Count: 1, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return providers.Wait(ctx, p.Task) })
		}})
		s.Network().Isolate("server-0")
		for c := range 3 {
			p := s.HostProviders(fmt.Sprintf("client-%d", c))
			s.Go(fmt.Sprintf("client-%d", c), func(ctx context.Context) error {
				for range 4 {
					if conn, err := p.Network.Dial(ctx, "server-0:4500"); err == nil {
						_ = conn.Close()
					}
				}
				return nil
			})
		}
		s.Sleep(10 * time.Minute)
		s.Errorf("the failure")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()), simtest.TimelineTail(16))
	timeline := failureWindow(t, res, "timeline around the first failure")
	for c := range 3 {
		assert.Regexp(t, fmt.Sprintf(`net: connect client-%d -> server-0:4500 timed out after [\dms]+  \(x 4, to [\dms]+\)`, c), timeline)
	}
	assert.Contains(t, timeline, "(the 3 lines above interleaved)")
}
