package simtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/moonpool-go/moonpool/chaos"
)

// The families a Run switches off in every seed are those its gap advice
// names: not those a seed draws, not reboots where no seed booted
// processes, and none when every fault is off (chaos.Off).
func TestFamiliesOff(t *testing.T) {
	noReboots := chaos.Defaults()
	noReboots.Attrition.Enabled = false
	quietNet := chaos.Defaults()
	quietNet.Network = quietNet.Network.NoFaults()
	quietNet.Buggify.Enabled = false
	swarm := noReboots
	swarm.Swarm = true
	random := chaos.Random()
	random.Attrition.Enabled = false
	netOnly := chaos.Off()
	netOnly.Network = chaos.DefaultNetwork()
	for _, c := range []struct {
		name      string
		cfg       chaos.Config
		clustered bool
		disks     bool
		want      []string
	}{
		{"defaults", chaos.Defaults(), true, false, nil},
		{"no reboots", noReboots, true, false, []string{"reboots"}},
		{"no reboots, no cluster", noReboots, false, false, nil},
		{"a quiet network", quietNet, false, false, []string{"network", "buggify"}},
		{"swarm draws per seed", swarm, true, false, []string{"reboots"}},
		{"randomized", random, true, false, nil},
		{"the network alone", netOnly, true, false, []string{"reboots", "disks", "buggify"}},
		{"the network alone, a disk of its own", netOnly, true, true, []string{"reboots", "buggify"}},
		{"off", chaos.Off(), true, false, nil},
	} {
		assert.Equal(t, c.want, familiesOff(c.cfg, c.clustered, c.disks), c.name)
	}
}

func TestOffAdvice(t *testing.T) {
	assert.Empty(t, offAdvice(nil, "seed"))
	assert.Equal(t, "random reboots are off in this Run (chaos.Config.Attrition): an assertion that needs a reboot is reached by no number of seeds",
		offAdvice([]string{"reboots"}, "seed"))
	assert.Equal(t, "buggify is off in this Run (chaos.Config.Buggify): an assertion that needs a buggify site to fire is reached by no number of timelines",
		offAdvice([]string{"buggify"}, "timeline"))
	assert.Equal(t, "random reboots, the disks' faults and buggify are off in this Run (chaos.Config.Attrition, chaos.Config.Storage, chaos.Config.Buggify): "+
		"an assertion that needs a reboot, a disk fault or a buggify site to fire is reached by no number of seeds",
		offAdvice([]string{"buggify", "reboots", "disks"}, "seed"))
}
