package simtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

func TestSoleCopyProcessesAreNeverWiped(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.Wipe = 0, 0, 1 // wipes only
	for _, sole := range []bool{false, true} {
		boots := map[providers.Boot]int{}
		simtest.Run(t, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "store", Count: 2, SoleCopy: sole, New: func() simtest.Process {
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					boots[p.Cluster.Boot()]++
					return p.Time.Sleep(ctx, 24*time.Hour)
				})
			}})
			c.Run(simtest.Phases{Chaos: time.Minute})
		}, simtest.Chaos(cfg), simtest.Seeds(3))
		if sole {
			assert.Zero(t, boots[providers.AfterWipe], "a sole copy is never wiped")
			assert.Positive(t, boots[providers.AfterCrash], "its wipes became crashes")
		} else {
			assert.Positive(t, boots[providers.AfterWipe], "without SoleCopy the drawn wipes happen")
		}
	}
}

func TestDefaultChaosLeavesWipesAndBitFlipsToHarsh(t *testing.T) {
	def, harsh := chaos.Defaults(), chaos.Harsh()
	assert.Zero(t, def.Attrition.Wipe, "no wipes by default")
	assert.Zero(t, def.Network.BitFlipProb, "no bit flips in TCP streams by default")
	assert.Positive(t, harsh.Attrition.Wipe)
	assert.Positive(t, harsh.Network.BitFlipProb)
	assert.NoError(t, harsh.Validate())
}

// rebooter is a workload that reboots a process and dials from another
// host, reaching the cluster only through the providers it is given.
type rebooter struct{ dialed *error }

func (rebooter) Setup(context.Context, providers.Providers) error { return nil }
func (w rebooter) Run(ctx context.Context, p providers.Providers) error {
	c := simtest.ClusterOf(p)
	c.Reboot("server-0", simtest.Crash, simtest.DownFor(time.Second))
	far := c.HostProviders("10.9.9.9")
	conn, err := far.Network.Dial(ctx, "server-0:80")
	if err == nil {
		conn.Close()
	}
	*w.dialed = err
	return nil
}
func (rebooter) Check(context.Context, providers.Providers) error { return nil }

func TestAWorkloadReachesTheClusterThroughItsProviders(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: listener})
		dialed := assert.AnError
		c.Run(simtest.Phases{Chaos: time.Minute}, rebooter{&dialed})
		assert.Equal(s, 2, c.Boots("server-0"), "the workload rebooted the server")
		assert.NoError(s, dialed, "and dialled it from another host")
		assert.Nil(s, simtest.ClusterOf(s.Providers()), "the driver's own providers have no cluster")
	}, simtest.Chaos(chaos.Off()), simtest.Replay(3))
}
