package simtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// Outages of a unit that holds every process would take the whole
// cluster down at each: a configuration error, which names the unit.
func TestOutagesOfTheWholeClusterAreRefused(t *testing.T) {
	byDataCenter := outageChaos()
	byDataCenter.Attrition.Unit = chaos.Zone
	byDataCenter.Attrition.Outages.Unit = chaos.DataCenter
	for _, tc := range []struct {
		name string
		cfg  chaos.Config
		body func(s *simtest.S)
		want string
	}{
		{"one zone", outageChaos(), func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 3, Topology: simtest.Topology{Machines: 3}, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		}, "Attrition.Outages.Unit is chaos.Zone but every process is in zone dc0-z0, so each outage takes the whole cluster down at once; " +
			"place the processes in two zones or more (Processes.Topology.Zones), or leave Attrition.Outages zero; " +
			"for a whole-cluster outage on purpose, reboot dc0-z0 from an injector (Cluster.Inject, Cluster.RebootUnit)"},
		{"one zone beside protected clients", outageChaos(), func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Machines: 2}, New: writer},
				simtest.Processes{Name: "client", Count: 2, Protected: true, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		}, "Attrition.Outages.Unit is chaos.Zone but every process but the protected ones is in zone dc0-z0, so each outage takes the whole cluster down at once"},
		{"one data center", byDataCenter, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Zones: 2, Machines: 2}, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		}, "Attrition.Outages.Unit is chaos.DataCenter but every process is in data center dc0, so each outage takes the whole cluster down at once; " +
			"place the processes in two data centers or more (Processes.Topology.DataCenters)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(tc.body, simtest.Seeds(1), simtest.Chaos(tc.cfg))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error")
			assert.Contains(t, res.Report, tc.want)
		})
	}
}

// Two zones, or a second zone that an outage may pick beside a zone of
// protected clients, are no whole cluster: the outages run. So is a group
// whose drawn count (MaxCount) may spread it over zones, in every seed,
// those that draw one process too: the verdict does not hang on a draw.
func TestOutagesOfOneZoneOfSeveralRun(t *testing.T) {
	for name, body := range map[string]func(s *simtest.S){
		"two zones": func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		},
		"a drawn count over three zones": func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 1, MaxCount: 3, Topology: simtest.Topology{Zones: 3}, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		},
		"an unplaced process beside a zone": func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Machines: 2}, New: writer},
				simtest.Processes{Name: "q", New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		},
	} {
		t.Run(name, func(t *testing.T) {
			res := simtest.Simulate(body, simtest.Seeds(12), simtest.Chaos(outageChaos()))
			require.True(t, res.OK(), res.Report)
		})
	}
}

// The other checks of attrition's settings place each group at its
// largest count too: a group whose drawn count (MaxCount) is sometimes
// too small to fill MaxDead, or to leave a unit free of protected
// processes, fails no seed, where it failed the seeds that drew it
// small as a configuration error; a mistake at the largest count still
// fails every seed.
func TestAttritionChecksPlaceGroupsAtTheirLargestCounts(t *testing.T) {
	byZone := func(maxDead int) chaos.Config {
		cfg := outageChaos()
		cfg.Attrition.Outages = chaos.Outages{}
		cfg.Attrition.Unit = chaos.Zone
		cfg.Attrition.MaxDead = maxDead
		return cfg
	}
	maxDead := func(n int) chaos.Config {
		cfg := outageChaos()
		cfg.Attrition.Outages = chaos.Outages{}
		cfg.Attrition.MaxDead = n
		return cfg
	}
	// A protected server in zone dc0-z0, and clients that reach zone
	// dc0-z1 only in the seeds that draw two of them.
	serverAndClients := func(s *simtest.S) *simtest.Cluster {
		return s.Boot(simtest.Processes{Name: "srv", Protected: true, Topology: simtest.Topology{Zones: 2}, New: writer},
			simtest.Processes{Name: "cli", Count: 1, MaxCount: 2, Topology: simtest.Topology{Zones: 2}, New: writer})
	}
	for _, tc := range []struct {
		name string
		cfg  chaos.Config
		body func(s *simtest.S) *simtest.Cluster
	}{
		{"outages of a zone beside a protected one", outageChaos(), serverAndClients},
		{"attrition by zone beside a protected one", byZone(1), serverAndClients},
		{"MaxDead of a drawn count", maxDead(2), func(s *simtest.S) *simtest.Cluster {
			return s.Boot(simtest.Processes{Name: "p", Count: 1, MaxCount: 3, New: writer})
		}},
		{"MaxDead of a drawn count of zones", byZone(2), func(s *simtest.S) *simtest.Cluster {
			return s.Boot(simtest.Processes{Name: "p", Count: 1, MaxCount: 2, Topology: simtest.Topology{Zones: 2}, New: writer})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				tc.body(s).Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
			}, simtest.Seeds(12), simtest.Chaos(tc.cfg))
			require.True(t, res.OK(), res.Report)
		})
	}

	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: writer})
		c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
	}, simtest.Seeds(1), simtest.Chaos(maxDead(2)))
	require.False(t, res.OK())
	assert.Contains(t, res.Report, "configuration error: Attrition.MaxDead is 2 but the cluster has 1 process; lower MaxDead to at most 1, or boot more processes")
}
