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

// crashesOnly is attrition that draws nothing but crashes, every 100-500
// ms, one process down at a time.
func crashesOnly() chaos.Config {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 1, 0, 0
	cfg.Attrition.Interval = chaos.Range{Min: 100 * time.Millisecond, Max: 500 * time.Millisecond}
	cfg.Attrition.DownFor = chaos.Range{Min: 100 * time.Millisecond, Max: time.Second}
	return cfg
}

// pausedAndDown counts, per process, the pauses and the stops of a
// seed's timeline.
func pausedAndDown(tl *simtest.Timeline) (paused, down map[string]int) {
	paused, down = map[string]int{}, map[string]int{}
	for _, m := range messages(tl, "pause: ", "down: ") {
		kind, rest, _ := strings.Cut(m, ": ")
		name, _, _ := strings.Cut(rest, " ")
		if kind == "pause" {
			paused[name]++
		} else {
			down[name]++
		}
	}
	return paused, down
}

// A PauseOnly group is only ever paused by attrition, whatever kind it
// draws, while the other groups are crashed as the weights say.
func TestAttritionOnlyPausesAPauseOnlyGroup(t *testing.T) {
	var clientPauses, serverCrashes int
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(
			simtest.Processes{Name: "srv", Count: 2, New: func() simtest.Process { return &pausable{} }},
			simtest.Processes{Name: "cli", Count: 2, PauseOnly: true, New: func() simtest.Process { return &pausable{} }},
		)
		c.Run(simtest.Phases{Chaos: 20 * time.Second})
		paused, down := pausedAndDown(tl)
		for _, name := range c.Group("cli") {
			assert.Equal(s, 1, c.Boots(name), "%s is never rebooted", name)
			assert.Zero(s, down[name], "%s never goes down", name)
			clientPauses += paused[name]
		}
		for _, name := range c.Group("srv") {
			assert.Zero(s, paused[name], "Pause is 0: %s is never paused", name)
			assert.Equal(s, down[name]+1, c.Boots(name), "each of %s's stops is a reboot", name)
			serverCrashes += down[name]
		}
	}, simtest.Seeds(4), simtest.Chaos(crashesOnly()))
	require.True(t, res.OK(), res.Report)
	assert.Greater(t, clientPauses, 4, "the clients' crashes were drawn as pauses")
	assert.Greater(t, serverCrashes, 4, "the servers were crashed")
	assert.Regexp(t, `\n    faults seen: [1-9]\d* reboots \([1-9]\d* crashes\), [1-9]\d* pauses,`, res.Report, "the summary counts the clients' pauses apart")
	assert.Contains(t, res.Report, "\n    reboots reached 2 of 4 processes a seed (2 of them only paused by attrition), pauses ", "and tells which are only paused")
}

// A PauseOnly process's pauses last chaos.Attrition's PauseFor.
func TestPauseOnlyPausesForPauseFor(t *testing.T) {
	cfg := crashesOnly()
	cfg.Attrition.PauseFor = chaos.Range{Min: 700 * time.Millisecond, Max: 700 * time.Millisecond}
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "cli", Count: 2, PauseOnly: true, New: func() simtest.Process { return &pausable{} }})
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		ps := messages(tl, "pause: ")
		require.NotEmpty(s, ps)
		for _, m := range ps {
			assert.Contains(s, m, "paused for 700ms")
		}
	}, simtest.Seeds(2), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
}

// By machine, a reboot drawn for a machine that holds a PauseOnly
// process pauses the whole machine; a machine without one is crashed.
func TestPauseOnlyMakesItsMachinesRebootsPauses(t *testing.T) {
	cfg := crashesOnly()
	cfg.Attrition.Unit = chaos.Machine
	var shared, alone int
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(
			// srv-0 and cli-0 on dc0-z0-m0, srv-1 alone on dc0-z0-m1
			simtest.Processes{Name: "srv", Count: 2, Topology: simtest.Topology{Machines: 2}, New: func() simtest.Process { return &pausable{} }},
			simtest.Processes{Name: "cli", Count: 1, PauseOnly: true, Topology: simtest.Topology{Machines: 2}, New: func() simtest.Process { return &pausable{} }},
		)
		c.Run(simtest.Phases{Chaos: 20 * time.Second})
		paused, down := pausedAndDown(tl)
		assert.Equal(s, 1, c.Boots("srv-0"), "srv-0 shares its machine with a PauseOnly client")
		assert.Equal(s, 1, c.Boots("cli-0"))
		assert.Equal(s, paused["cli-0"], paused["srv-0"], "the machine pauses whole")
		assert.Zero(s, paused["srv-1"])
		assert.Equal(s, down["srv-1"]+1, c.Boots("srv-1"))
		shared += paused["srv-0"]
		alone += down["srv-1"]
	}, simtest.Seeds(4), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, shared)
	assert.Positive(t, alone)
	assert.Contains(t, res.Report, "of 3 processes a seed (2 of them only paused by attrition)", "srv-0 is only paused too, by sharing cli-0's machine")
}

// A PauseOnly group under attrition whose pauses last no time, or that
// is Protected too, is a configuration error that names the fix.
func TestPauseOnlyMisconfigurations(t *testing.T) {
	noPause := crashesOnly()
	noPause.Attrition.PauseFor = chaos.Range{}
	for _, tc := range []struct {
		name  string
		cfg   chaos.Config
		group simtest.Processes
		want  string
	}{
		{"PauseFor zero", noPause, simtest.Processes{Name: "cli", PauseOnly: true},
			`Processes "cli" is PauseOnly but chaos.Attrition.PauseFor is [0s, 0s], so attrition's pauses of it would last no time; give PauseFor a positive Max`},
		{"Protected", crashesOnly(), simtest.Processes{Name: "cli", PauseOnly: true, Protected: true},
			`Processes "cli" is both Protected and PauseOnly; Protected keeps attrition off it, PauseOnly lets attrition pause it: set one of them`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.group.New = func() simtest.Process { return &pausable{} }
			res := simtest.Simulate(func(s *simtest.S) {
				c := s.Boot(tc.group)
				c.Run(simtest.Phases{Chaos: time.Second})
			}, simtest.Seeds(1), simtest.Chaos(tc.cfg))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error")
			assert.Contains(t, res.Report, tc.want)
		})
	}
}

// With attrition off, PauseOnly asks for no PauseFor: nothing pauses.
func TestPauseOnlyWithoutAttritionNeedsNoPauseFor(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "cli", PauseOnly: true, New: func() simtest.Process { return &pausable{} }})
		c.Run(simtest.Phases{Chaos: time.Second})
		c.Reboot("cli-0", simtest.Crash)
		assert.Equal(s, 2, c.Boots("cli-0"), "a reboot by hand still reboots it")
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
}

// An outage of a zone that holds a PauseOnly process pauses the whole
// zone; one of a zone without one crashes it.
func TestPauseOnlyMakesItsZonesOutagesPauses(t *testing.T) {
	cfg := crashesOnly()
	cfg.Attrition.Interval = chaos.Range{Min: time.Hour, Max: time.Hour} // outages only
	cfg.Attrition.Outages = chaos.Outages{Unit: chaos.Zone, Interval: chaos.Range{Min: 2 * time.Second, Max: 4 * time.Second},
		DownFor: chaos.Range{Min: time.Second, Max: 2 * time.Second}}
	var shared, alone int
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(
			// srv-0 and cli-0 in dc0-z0, srv-1 alone in dc0-z1
			simtest.Processes{Name: "srv", Count: 2, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &pausable{} }},
			simtest.Processes{Name: "cli", Count: 1, PauseOnly: true, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &pausable{} }},
		)
		c.Run(simtest.Phases{Chaos: 30 * time.Second})
		paused, down := pausedAndDown(tl)
		assert.Equal(s, 1, c.Boots("srv-0"))
		assert.Equal(s, 1, c.Boots("cli-0"))
		assert.Equal(s, paused["cli-0"], paused["srv-0"], "the zone pauses whole")
		assert.Zero(s, paused["srv-1"])
		assert.Equal(s, down["srv-1"]+1, c.Boots("srv-1"))
		shared += paused["cli-0"]
		alone += down["srv-1"]
	}, simtest.Seeds(4), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, shared)
	assert.Positive(t, alone)
	assert.Contains(t, res.Report, "of 3 processes a seed (1 of them only paused by attrition)", "srv-0's zone's outages are pauses, but attrition by process may crash it alone")
}

// Under Attrition.Swarm, a seed whose regime of reboots the timeline
// tells ("by crash only") also tells that the PauseOnly group is only
// paused whatever it drew; a seed that drew no reboots says nothing of it.
func TestSwarmsRegimeNoteTellsOfPauseOnlyGroups(t *testing.T) {
	cfg := crashesOnly()
	cfg.Attrition.Swarm = true
	var told, none int
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(
			simtest.Processes{Name: "srv", Count: 2, New: func() simtest.Process { return &pausable{} }},
			simtest.Processes{Name: "cli", Count: 2, PauseOnly: true, New: func() simtest.Process { return &pausable{} }},
		)
		c.Run(simtest.Phases{Chaos: time.Second})
		notes := messages(tl, `chaos: attrition only pauses "cli" whatever this seed's regime (Processes.PauseOnly)`)
		if s.ChaosConfig().Attrition.Enabled {
			assert.Len(s, notes, 1)
			told++
		} else {
			assert.Empty(s, notes)
			none++
		}
	}, simtest.Seeds(12), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, told)
	assert.Positive(t, none)
}

// Where every unit that attrition, or its outages, may pick holds a
// PauseOnly process, every reboot drawn would be a pause: a
// configuration error, as a unit blocked by protected processes is, for
// the weights draw reboots that would never come. Weights that draw
// pauses alone ask for nothing else.
func TestPauseOnlyInEveryUnitIsAConfigurationError(t *testing.T) {
	byZone := crashesOnly()
	byZone.Attrition.Unit = chaos.Zone
	outages := crashesOnly()
	outages.Attrition.Outages = chaos.Outages{Unit: chaos.Zone, Interval: chaos.Range{Min: 2 * time.Second, Max: 4 * time.Second},
		DownFor: chaos.Range{Min: time.Second, Max: 2 * time.Second}}
	pausesAlone := byZone
	pausesAlone.Attrition.Crash, pausesAlone.Attrition.Pause = 0, 1
	// Servers and clients in each of two zones.
	body := func(s *simtest.S) {
		c := s.Boot(
			simtest.Processes{Name: "srv", Count: 2, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &pausable{} }},
			simtest.Processes{Name: "cli", Count: 2, PauseOnly: true, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &pausable{} }},
		)
		c.Run(simtest.Phases{Chaos: 5 * time.Second})
	}
	for _, tc := range []struct {
		name string
		cfg  chaos.Config
		want string
	}{
		{"attrition by zone", byZone, "Attrition.Unit is chaos.Zone but every zone that attrition may pick holds a PauseOnly process (dc0-z0: cli-0; dc0-z1: cli-1), " +
			"and a reboot drawn for such a zone pauses it whole: attrition would take nothing down, though attrition's weights draw reboots; " +
			"boot the PauseOnly processes (Processes.PauseOnly) with no Topology, each then a unit of its own, or set Attrition.Unit to chaos.Process"},
		{"outages of a zone", outages, "Attrition.Outages.Unit is chaos.Zone but every zone that an outage may pick holds a PauseOnly process (dc0-z0: cli-0; dc0-z1: cli-1), " +
			"and a reboot drawn for such a zone pauses it whole: an outage would take nothing down, though attrition's weights draw reboots; " +
			"boot the PauseOnly processes (Processes.PauseOnly) with no Topology, each then a unit of its own, or leave Attrition.Outages zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := simtest.Simulate(body, simtest.Seeds(1), simtest.Chaos(tc.cfg))
			require.False(t, res.OK())
			assert.Contains(t, res.Report, "configuration error: "+tc.want)
		})
	}
	t.Run("pauses alone", func(t *testing.T) {
		res := simtest.Simulate(body, simtest.Seeds(2), simtest.Chaos(pausesAlone))
		require.True(t, res.OK(), res.Report)
	})
}

// When attrition only pauses every process, the chaos line says pauses
// only, not weights of reboots that no process can take.
func TestTheChaosLineOfAClusterAttritionOnlyPauses(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Attrition.Pause = 1
	run := func(groups ...simtest.Processes) string {
		res := simtest.Simulate(func(s *simtest.S) {
			for i := range groups {
				groups[i].New = func() simtest.Process { return &pausable{} }
			}
			c := s.Boot(groups...)
			c.Run(simtest.Phases{Chaos: 20 * time.Second})
		}, simtest.Seeds(2), simtest.Chaos(cfg))
		require.True(t, res.OK(), res.Report)
		return res.Report
	}
	all := run(simtest.Processes{Name: "cli", Count: 3, PauseOnly: true})
	assert.Contains(t, all, "random pauses only, as attrition only pauses every process (Processes.PauseOnly): paused 200ms-5s (MaxDead 1); ")
	assert.NotContains(t, all, "random reboots weighted")
	mixed := run(simtest.Processes{Name: "srv", Count: 2}, simtest.Processes{Name: "cli", Count: 2, PauseOnly: true})
	assert.Contains(t, mixed, "random reboots weighted graceful 2, crash 2, power loss 1, pause 1,")
}
