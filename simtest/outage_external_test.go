package simtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// outageChaos reboots one process every second or two, and takes a zone
// out now and then.
func outageChaos() chaos.Config {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Interval = chaos.Range{Min: time.Second, Max: 2 * time.Second}
	cfg.Attrition.DownFor = chaos.Range{Min: time.Second, Max: 3 * time.Second}
	cfg.Attrition.Outages = chaos.Outages{Unit: chaos.Zone, Interval: chaos.Range{Min: 10 * time.Second, Max: 20 * time.Second}, DownFor: chaos.Range{Min: 5 * time.Second, Max: 8 * time.Second}}
	return cfg
}

// Attrition's outages take a whole zone down now and then, beside its
// reboots of one process: an outage begins only while every process is
// up, and nothing else goes down while it lasts.
func TestOutagesTakeAZoneBesideProcessReboots(t *testing.T) {
	outages, reboots := runOutages(t, outageChaos())
	assert.Positive(t, outages, "zones went out")
	assert.Greater(t, reboots, outages, "processes rebooted more often")
}

// An outage that lasts longer than the outages' Interval.Max still holds
// attrition's other reboots until its zone is back, though the next
// outage's wait for a whole cluster gives up meanwhile: MaxDead would let
// attrition reboot a process of another zone.
func TestALongOutageHoldsAttritionToItsEnd(t *testing.T) {
	cfg := outageChaos()
	cfg.Attrition.MaxDead = 3
	cfg.Attrition.Outages.DownFor = chaos.Range{Min: 30 * time.Second, Max: 40 * time.Second}
	outages, reboots := runOutages(t, cfg)
	assert.Positive(t, outages, "zones went out")
	assert.Positive(t, reboots, "processes rebooted between them")
}

// runOutages runs six processes in three zones under cfg and checks that
// each outage begins on a whole cluster and that nothing else goes down
// while it lasts; it returns the count of outages and of the reboots of
// one process.
func runOutages(t *testing.T, cfg chaos.Config) (outages, reboots int) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 6, Topology: simtest.Topology{Zones: 3, Machines: 2}, New: writer})
		story := s.Watch("reboot", "down", "boot")
		c.Run(simtest.Phases{Chaos: 2 * time.Minute}, quick{2 * time.Minute})
		down := map[string]bool{}
		inOutage := false
		for _, e := range story.Next() {
			switch {
			case strings.HasPrefix(e.Msg, "reboot: zone "):
				assert.Empty(s, down, "an outage begins on a whole cluster: %s", e)
				inOutage = true
				outages++
			case strings.HasPrefix(e.Msg, "reboot: "):
				assert.False(s, inOutage, "nothing else goes down during an outage: %s", e)
				reboots++
			case strings.HasPrefix(e.Msg, "down: "):
				down[strings.Fields(e.Msg)[1]] = true
			case strings.HasPrefix(e.Msg, "boot: "):
				delete(down, strings.Fields(e.Msg)[1])
				if len(down) == 0 {
					inOutage = false
				}
			}
		}
	}, simtest.Seeds(5), simtest.Chaos(cfg), simtest.CheckDeterminism())
	return outages, reboots
}

func TestOutagesSummaryLine(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Zones: 2, Machines: 2}, New: writer})
		c.Run(simtest.Phases{Chaos: 30 * time.Second}, quick{30 * time.Second})
	}, simtest.Seeds(1), simtest.Chaos(outageChaos()))
	require.True(t, res.OK(), res.Report)
	assert.Contains(t, res.Report, "(MaxDead 1), and an outage of a zone every 10s-20s, down 5s-8s (Attrition.Outages)")
}

// Outages a cluster cannot have are configuration errors.
func TestOutagesConfigurationErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(s *simtest.S)
		want string
	}{
		{"no zones", func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 3, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		}, "Attrition.Outages.Unit is chaos.Zone but the cluster's processes are in no zone; place them in zones (Processes.Topology), or leave Outages zero"},
		{"every zone protected", func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", Count: 2, Topology: simtest.Topology{Zones: 2}, New: writer},
				simtest.Processes{Name: "client", Count: 2, Topology: simtest.Topology{Zones: 2}, Protected: true, New: writer})
			c.Run(simtest.Phases{Chaos: time.Second}, quick{time.Second})
		}, "Attrition.Outages.Unit is chaos.Zone but every zone holds a protected process (dc0-z0: client-0; dc0-z1: client-1), and attrition never picks a zone that holds one: it could reboot nothing; " +
			"boot the protected processes (Processes.Protected) with no Topology, each then a unit of its own, or leave Attrition.Outages zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(tc.body, simtest.Seeds(1), simtest.Chaos(outageChaos()))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error")
			assert.Contains(t, res.Report, tc.want)
		})
	}
}

// A process the test keeps down is no part of the cluster an outage
// waits for: outages go on.
func TestOutagesGoOnBesideAStoppedProcess(t *testing.T) {
	var outages int
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 6, Topology: simtest.Topology{Zones: 3, Machines: 2}, New: writer})
		c.Stop("p-0", simtest.Crash)
		story := s.Watch("reboot")
		c.Run(simtest.Phases{Chaos: 2 * time.Minute}, quick{2 * time.Minute})
		for _, e := range story.Next() {
			if strings.HasPrefix(e.Msg, "reboot: zone ") {
				outages++
			}
		}
	}, simtest.Seeds(3), simtest.Chaos(outageChaos()))
	assert.Positive(t, outages)
}
