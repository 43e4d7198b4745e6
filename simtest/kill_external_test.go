package simtest_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// pageCacheWriter writes "unsynced" to a file named after itself on its
// first boot and never syncs it, holding the file open; on every later
// boot it appends to found[its name] what the file holds.
func pageCacheWriter(found map[string][]string) func() simtest.Process {
	return func() simtest.Process {
		return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
			name := p.Cluster.Self().Name
			if p.Cluster.Boot() == providers.FirstBoot {
				f, err := p.Storage.Create(name)
				if err != nil {
					return err
				}
				if _, err := f.Write([]byte("unsynced")); err != nil {
					return err
				}
			} else {
				b, err := fs.ReadFile(providers.StorageFS(p.Storage), name)
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
				found[name] = append(found[name], string(b))
			}
			return p.Time.Sleep(ctx, time.Hour)
		})
	}
}

func TestAKilledProcessFindsItsUnsyncedWriteAfterTheReboot(t *testing.T) {
	for _, tc := range []struct {
		name string
		hows []simtest.Reboot
		want string
	}{
		{"kill", []simtest.Reboot{simtest.Kill}, "unsynced"},
		{"kill twice", []simtest.Reboot{simtest.Kill, simtest.Kill}, "unsynced"},
		{"crash", []simtest.Reboot{simtest.Crash}, ""},
		{"power loss after a kill", []simtest.Reboot{simtest.Kill, simtest.PowerLoss}, ""},
		{"graceful after a kill", []simtest.Reboot{simtest.Kill, simtest.Graceful, simtest.PowerLoss}, "unsynced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				found := map[string][]string{}
				c := s.Boot(simtest.Processes{Name: "server", New: pageCacheWriter(found)})
				s.Sleep(time.Second)
				for _, how := range tc.hows {
					c.Reboot("server-0", how, simtest.Grace(time.Second), simtest.DownFor(time.Second))
					s.Sleep(time.Second)
				}
				require.Len(s, found["server-0"], len(tc.hows))
				assert.Equal(s, tc.want, found["server-0"][len(tc.hows)-1])
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(3))
		})
	}
}

func TestAKilledProcessBootsToldOfACrash(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var boots []providers.Boot
		c := s.Boot(simtest.Processes{Name: "server", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots = append(boots, p.Cluster.Boot())
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Sleep(time.Second)
		c.Stop("server-0", simtest.Kill)
		c.Start("server-0")
		s.Sleep(time.Second)
		assert.Equal(s, []providers.Boot{providers.FirstBoot, providers.AfterCrash}, boots)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}

func TestAttritionDrawsKills(t *testing.T) {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.Wipe, cfg.Attrition.PowerLoss, cfg.Attrition.Kill = 0, 0, 0, 0, 1
	require.NoError(t, cfg.Validate(), "kills alone are a valid attrition")
	found := map[string][]string{}
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: pageCacheWriter(found)})
		c.Run(simtest.Phases{Chaos: time.Minute})
	}, simtest.Chaos(cfg), simtest.Seeds(1))
	require.NotEmpty(t, found["server-0"], "attrition rebooted the process")
	for i, got := range found["server-0"] {
		assert.Equal(t, "unsynced", got, "boot %d: every reboot was a kill, which keeps the write", i+2)
	}
}

// A kill is the process's, not its machine's: a process that shares its
// machine may be killed alone (a power loss may not), and a machine's
// processes killed together all find their writes.
func TestKillsOnASharedMachineKeepTheWrites(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		found := map[string][]string{}
		c := s.Boot(simtest.Processes{Name: "store", Count: 2, Topology: simtest.Topology{PerMachine: 2}, New: pageCacheWriter(found)})
		s.Sleep(time.Second)
		c.Reboot("store-0", simtest.Kill, simtest.DownFor(time.Second))
		s.Sleep(time.Second)
		assert.Equal(s, map[string][]string{"store-0": {"unsynced"}}, found)
		c.RebootUnit(chaos.Machine, c.Peers()[0].Locality.Machine, simtest.Kill, simtest.DownFor(time.Second))
		s.Sleep(time.Second)
		assert.Equal(s, map[string][]string{"store-0": {"unsynced", "unsynced"}, "store-1": {"unsynced"}}, found)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}

// A kill is counted on its disk, apart from crashes and power losses,
// whether a reboot or the test takes the disk down.
func TestKillsAreCountedOnTheDisk(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "server", New: pageCacheWriter(map[string][]string{})})
		s.Sleep(time.Second)
		c.Reboot("server-0", simtest.Kill, simtest.DownFor(time.Second))
		c.Reboot("server-0", simtest.Crash, simtest.DownFor(time.Second))
		c.Reboot("server-0", simtest.PowerLoss, simtest.DownFor(time.Second))
		d := s.Disk(c.Peers()[0].Host)
		st := d.Stats()
		assert.Equal(s, 1, st.Kills)
		assert.Equal(s, 2, st.Crashes, "a crash and a power loss")
		d.Kill()
		assert.Equal(s, 2, d.Stats().Kills)
		assert.Equal(s, 2, d.Stats().Crashes)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}
