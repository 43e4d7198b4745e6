package simtest_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"syscall"
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
			if err := writeOrFind(p, found); err != nil {
				return err
			}
			return p.Time.Sleep(ctx, time.Hour)
		})
	}
}

// writeOrFind is the first part of pageCacheWriter: the unsynced write on
// the first boot, and on later ones what the file holds ("" when it is
// gone), appended to found.
func writeOrFind(p providers.Providers, found map[string][]string) error {
	name := p.Cluster.Self().Name
	if p.Cluster.Boot() == providers.FirstBoot {
		f, err := p.Storage.Create(name)
		if err != nil {
			return err
		}
		_, err = f.Write([]byte("unsynced"))
		return err
	}
	b, err := fs.ReadFile(providers.StorageFS(p.Storage), name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	found[name] = append(found[name], string(b))
	return nil
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

// On a machine two processes share, the first removes a file both hold
// open, and is killed. As on Linux, its death closes its handle, the
// other's still reads the file, and the space is free once that one
// closes too.
func TestAKilledProcessOnASharedMachineFreesTheRemovedFileItHeld(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		const size = 4096
		var read string
		c := s.Boot(simtest.Processes{Name: "store", Count: 2, Topology: simtest.Topology{PerMachine: 2}, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if p.Cluster.Boot() != providers.FirstBoot {
					return p.Time.Sleep(ctx, time.Hour)
				}
				if p.Cluster.Self().Name == "store-0" {
					f, err := p.Storage.Create("tmp")
					if err != nil {
						return err
					}
					if _, err := f.Write([]byte(strings.Repeat("x", size))); err != nil {
						return err
					}
					if err := f.Sync(); err != nil {
						return err
					}
					if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
						return err
					}
					if err := p.Storage.Remove("tmp"); err != nil {
						return err
					}
					return p.Time.Sleep(ctx, time.Hour) // holding tmp open
				}
				if err := p.Time.Sleep(ctx, 50*time.Millisecond); err != nil {
					return err
				}
				f, err := p.Storage.Open("tmp")
				if err != nil {
					return err
				}
				if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
					return err
				}
				b, err := io.ReadAll(f)
				if err != nil {
					return err
				}
				read = string(b)
				if err := f.Close(); err != nil {
					return err
				}
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		d := s.Disk(c.Peers()[0].Locality.Machine)
		cfg := d.Config()
		cfg.Capacity = size
		require.NoError(s, d.SetConfig(cfg))
		write := func() error {
			f, err := d.Storage().Create("big")
			require.NoError(s, err)
			defer f.Close()
			_, err = f.Write([]byte(strings.Repeat("y", size)))
			return err
		}
		s.Sleep(time.Second)
		c.Reboot("store-0", simtest.Kill, simtest.DownFor(time.Second))
		assert.ErrorIs(s, write(), syscall.ENOSPC, "store-1 still holds the removed file")
		s.Sleep(2 * time.Second)
		assert.Equal(s, strings.Repeat("x", size), read, "store-1 read the file store-0 removed and died holding")
		assert.NoError(s, write(), "no handle holds the removed file: its space is free")
		assert.Equal(s, 1, d.Stats().NoSpace)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(2))
}

// A graceful stop's Run that returns ends its process then, as main's
// return ends a program: a task of the process made ready at that instant
// never takes another step, whichever task the scheduler would draw next.
func TestAGracefulStopEndsTheProcessWhenItsRunReturns(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		var stepsAfterExit int
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				done := providers.NewChan[struct{}](p.Task, 0)
				p.Task.Go(ctx, "late", func(ctx context.Context) error {
					if _, _, err := done.Recv(context.WithoutCancel(ctx)); err != nil {
						return err
					}
					stepsAfterExit++
					return nil
				})
				_ = p.Time.Sleep(ctx, time.Hour) // until the stop cancels ctx
				done.Close()                     // late is ready as Run returns
				return nil
			})
		}})
		s.Sleep(time.Second)
		c.Stop("srv-0", simtest.Graceful, simtest.Grace(time.Second))
		s.Sleep(time.Second)
		assert.Zero(s, stepsAfterExit, "a task of the process ran after its Run returned")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(20))
}
