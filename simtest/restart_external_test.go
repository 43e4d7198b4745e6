package simtest_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/program"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// syncFails is a process that writes a record, does not sync it, and asks
// to be restarted, as a process does after a failed fsync, on its first
// boot; later boots count their ticks until stopped.
type syncFails struct {
	boots   *[]providers.Boot
	found   *[]bool // whether each boot found the record it did not sync
	ticks   *int    // the first instance's ticker's ticks
	stopped *time.Duration
}

func (p syncFails) Run(ctx context.Context, pr providers.Providers) error {
	*p.boots = append(*p.boots, pr.Cluster.Boot())
	fi, err := pr.Storage.Stat("wal")
	*p.found = append(*p.found, err == nil && fi.Size() > 0)
	if len(*p.boots) > 1 {
		return providers.Wait(ctx, pr.Task)
	}
	pr.Task.Go(ctx, "ticker", func(ctx context.Context) error {
		for pr.Time.Sleep(ctx, time.Millisecond) == nil {
			*p.ticks++
		}
		return nil
	})
	f, err := pr.Storage.Create("wal")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("record")); err != nil {
		return err
	}
	if err := pr.Time.Sleep(ctx, time.Second); err != nil {
		return err
	}
	*p.stopped = time.Duration(*p.ticks)
	return fmt.Errorf("wal: sync failed: %w", providers.ErrRestart)
}

func TestAProcessThatAsksToRestartCrashesAndBootsAgain(t *testing.T) {
	var boots []providers.Boot
	var found []bool
	var ticks int
	var stopped time.Duration
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "wal", New: func() simtest.Process {
			return syncFails{boots: &boots, found: &found, ticks: &ticks, stopped: &stopped}
		}})
		s.Sleep(time.Second + simtest.RestartDelay/2)
		assert.False(s, c.Alive("wal-0"), "down between the restart and the next boot")
		s.Sleep(simtest.RestartDelay)
		assert.True(s, c.Alive("wal-0"), "back after simtest.RestartDelay")
		assert.Equal(s, 2, c.Boots("wal-0"))
		s.Fatal("the end") // for the timeline in the report
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	assert.Equal(t, []providers.Boot{providers.FirstBoot, providers.AfterCrash}, boots, "the restart is a crash")
	assert.Equal(t, []bool{false, false}, found, "what was not synced is lost, as in a crash")
	assert.Equal(t, int(stopped), ticks, "the process's other tasks stopped as its Run returned")
	assert.Contains(t, res.Report, "restart: wal-0 asked to be restarted: wal: sync failed: the process asks to be restarted")
	assert.Contains(t, res.Report, "down: wal-0 (crash)")
	assert.Contains(t, res.Report, "boot: wal-0 (after a crash)")
	assert.NotContains(t, res.Report, "process wal-0 failed", "a restart asked for is not a failure")
}

func TestAProcessThatAsksToRestartOnEveryBootIsStopped(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "loop", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return fmt.Errorf("config: %w: %w", fs.ErrNotExist, providers.ErrRestart)
			})
		}})
		s.Sleep(time.Minute)
		assert.False(s, c.Alive("loop-0"), "it stays down")
		assert.Equal(s, simtest.RestartBurst+1, c.Boots("loop-0"))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, fmt.Sprintf("process loop-0 asked to be restarted %d times within 10s", simtest.RestartBurst+1))
	assert.Contains(t, res.Report, "it fails on every boot, so it stays down")
	assert.Contains(t, res.Report, "restart_external_test.go:", "it names the process's code")
}

// A process that asks to be restarted after each of many sync failures
// its disk injects is left down as one that fails on every boot, but the
// report says the faults came too fast rather than that it fails on boot.
func TestARestartLimitReachedByInjectedFaultsSaysSo(t *testing.T) {
	res := restartsUnderSyncFailures("wal", 0.2, false, false)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("process wal-0 asked to be restarted %d times within 10s", simtest.RestartBurst+1))
	assert.Contains(t, res.Report, "; each came after its disk failed an operation (a failed sync, a full disk) since it booted")
	assert.NotContains(t, res.Report, "it fails on every boot")
}

// A process that fails on every boot is told so, even when some of its
// restarts came after its disk failed a sync: it asks whatever the disk
// did.
func TestABootBugIsNotBlamedOnTheDisk(t *testing.T) {
	res := restartsUnderSyncFailures("bug", 0.5, true, false)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Regexp(t, `it fails on every boot, so it stays down \([1-5] of the 6 came after its disk failed an operation, the others did not\)`, res.Report)
	assert.NotContains(t, res.Report, "each came after")
}

// exitRestart is the error of a program's exit with a status that
// program.RestartOnExit names, as program.Process.Run returns it.
type exitRestart struct{ exit *program.ExitError }

func (e exitRestart) Error() string {
	return fmt.Sprintf("program counterd exited with status %d, which RestartOnExit restarts; its standard error ends:\n%s", e.exit.Code, e.exit.Stderr)
}

func (e exitRestart) Unwrap() []error { return []error{e.exit, providers.ErrRestart} }

// A program that exits on every boot with a status that
// program.RestartOnExit restarts is told what applies to a program, which
// can neither return providers.ErrRestart nor retry inside a Run: its
// exit, the last line of its standard error, and that a restart does not
// mend what it starts from.
func TestARestartLimitOfAProgramSpeaksOfItsExit(t *testing.T) {
	exit := exitRestart{&program.ExitError{Code: 1, Stderr: "2024/01/01 00:00:00 starting\n2024/01/01 00:00:00 load state: /data/state.json: unexpected end of JSON input"}}
	res := simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: "counter", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return exit })
		}})
		s.Sleep(time.Minute)
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, fmt.Sprintf("process counter-0 asked to be restarted %d times within 10s, the last time with ", simtest.RestartBurst+1)+
		`"program counterd exited with status 1, which RestartOnExit restarts; its standard error ends: … 2024/01/01 00:00:00 load state: /data/state.json: unexpected end of JSON input"`+
		"; on every boot it exits with a status that program.RestartOnExit restarts, so it stays down. "+
		"A restart does not mend what the program starts from: its files")
	assert.NotContains(t, res.Report, "Return providers.ErrRestart")
	assert.NotContains(t, res.Report, "inside Run")
}

// The same program, when each of its exits came after its disk failed an
// operation, is told to go on after the failures its data allows, not to
// take them in a Run.
func TestARestartLimitOfAProgramReachedByInjectedFaultsSaysSo(t *testing.T) {
	res := restartsUnderSyncFailures("wal", 0.2, false, true)
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, "; each came after its disk failed an operation (a failed sync, a full disk) since it booted")
	assert.Contains(t, res.Report, "Have the program go on, rather than exit, after the failures its data allows")
	assert.NotContains(t, res.Report, "Take in Run")
}

// restartsUnderSyncFailures runs, for a minute, a process named name that
// writes a record and syncs it every 10ms, on a disk whose syncs fail
// with probability prob, and asks to be restarted when a sync fails; with
// bootBug, it asks after its first sync whatever that did, as a process
// that fails on every boot. With asProgram, it asks as a program does, by
// an exit with a status that program.RestartOnExit restarts.
func restartsUnderSyncFailures(name string, prob float64, bootBug, asProgram bool) simtest.Result {
	cfg := chaos.Off()
	cfg.Storage.SyncFailureProb = prob
	return simtest.Simulate(func(s *simtest.S) {
		s.Boot(simtest.Processes{Name: name, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				f, err := p.Storage.Create("wal")
				if err != nil {
					return err
				}
				for {
					if _, err := f.Write([]byte("record")); err != nil {
						return err
					}
					err := f.Sync()
					switch {
					case bootBug:
						return fmt.Errorf("config: %w: %w", fs.ErrNotExist, providers.ErrRestart)
					case err != nil && asProgram:
						return exitRestart{&program.ExitError{Code: 1, Stderr: "wal: " + err.Error()}}
					case err != nil:
						return fmt.Errorf("wal: %w: %w", err, providers.ErrRestart)
					}
					if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
						return nil
					}
				}
			})
		}})
		s.Sleep(time.Minute)
	}, simtest.Chaos(cfg), simtest.Seeds(1))
}

// A Reboot, Stop or RebootUnit of a process that stays down after asking
// to be restarted too often ends the test at once, saying why: waiting for
// it to come back by itself would wait out the time budget.
func TestARebootOfAProcessThatStaysDownAfterTooManyRestartsFailsAtOnce(t *testing.T) {
	for _, op := range []string{"Reboot", "Stop", "RebootUnit"} {
		t.Run(op, func(t *testing.T) {
			res := simtest.Simulate(func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "loop", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						return fmt.Errorf("config: %w: %w", fs.ErrNotExist, providers.ErrRestart)
					})
				}})
				s.Sleep(time.Minute)
				switch op {
				case "Reboot":
					c.Reboot("loop-0", simtest.Crash)
				case "Stop":
					c.Stop("loop-0", simtest.Crash)
				case "RebootUnit":
					c.RebootUnit(chaos.Process, "loop-0", simtest.Crash)
				}
				s.Errorf("%s returned", op)
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.TimeBudget(time.Hour))
			require.Equal(t, 1, res.Failed)
			assert.Regexp(t, op+`\(.*"loop-0".*\) on a process that stays down: it asked to be restarted more than 5 times within 10s \(above\); Start it first`, res.Report)
			assert.NotContains(t, res.Report, op+" returned")
			assert.NotContains(t, res.Report, "time budget")
		})
	}
}

func TestAProcessErrorWithoutErrRestartFailsTheSeed(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "bad", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return errors.New("corrupt state")
			})
		}})
		s.Sleep(time.Second)
		assert.Equal(s, 1, c.Boots("bad-0"), "no restart")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	require.Equal(t, 1, res.Failed)
	assert.Contains(t, res.Report, "process bad-0 failed: corrupt state")
}

func TestARestartUnderWayCompletesBeforeTheCheck(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "late", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if p.Cluster.Boot() != providers.FirstBoot {
					return providers.Wait(ctx, p.Task)
				}
				if err := p.Time.Sleep(ctx, 20*time.Second-10*time.Millisecond); err != nil {
					return nil
				}
				return fmt.Errorf("fsync: %w", providers.ErrRestart)
			})
		}})
		c.Run(simtest.Phases{Chaos: 20 * time.Second, Settle: 10 * time.Millisecond})
		assert.True(s, c.Alive("late-0"), "back for the check")
		assert.Equal(s, 2, c.Boots("late-0"))
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1))
	assert.Zero(t, res.Failed, res.Report)
}

// appendsUntilClosed is a process that appends to a file until the file
// closes under it, as a crash of its disk closes it, and then asks to be
// restarted.
func appendsUntilClosed(ctx context.Context, p providers.Providers) error {
	f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	for {
		if _, err := f.Write([]byte("record")); errors.Is(err, fs.ErrClosed) {
			return fmt.Errorf("log: %w: %w", err, providers.ErrRestart)
		} else if err != nil {
			return err
		}
		if err := p.Time.Sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// A process whose restarts each followed the test's own Disk.Crash is
// told so when it meets the restart limit, not that it fails on every
// boot, and the report counts the crashes among the faults the test
// injected.
func TestARestartLimitReachedByTheTestsDiskCrashesSaysSo(t *testing.T) {
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "seg", New: func() simtest.Process { return simtest.ProcessFunc(appendsUntilClosed) }})
		for range simtest.RestartBurst + 1 {
			s.Sleep(time.Second)
			s.Disk("seg-0").Crash()
		}
		s.Sleep(time.Second)
		assert.False(s, c.Alive("seg-0"), "it stays down")
	}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed, res.Report)
	assert.Contains(t, res.Report, fmt.Sprintf("process seg-0 asked to be restarted %d times within 10s", simtest.RestartBurst+1))
	assert.Contains(t, res.Report, "; each came after the test's Disk.Crash of its disk, faster than a restart apiece can take them")
	assert.Contains(t, res.Report, "Cluster.Reboot(name, simtest.PowerLoss)")
	assert.NotContains(t, res.Report, "it fails on every boot")
	assert.Contains(t, res.Report, "6 of the disks (6 crashes)")
	assert.Contains(t, res.Report, "; 6 of them injected by the test (an Injector, or a Cluster, Net or Disk call): 6 disk crashes")
}

// A process whose Run failed the seed is not rebooted by attrition: a
// reboot would only fail it again, a second error for one cause.
func TestAttritionSparesAProcessThatFailed(t *testing.T) {
	boots := 0
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.PowerLoss = 0, 0
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				boots++
				if err := p.Time.Sleep(ctx, time.Second); err != nil {
					return nil
				}
				return errors.New("the state on disk does not parse")
			})
		}})
		c.Run(simtest.Phases{Chaos: time.Minute})
	}, simtest.Chaos(cfg), simtest.Seeds(1), simtest.KeepFailures(false))
	require.Equal(t, 1, res.Failed)
	assert.Equal(t, 1, boots, res.Report)
	assert.Equal(t, 1, strings.Count(res.Report, "error: process p-0 failed"), "one error in the timeline: %s", res.Report)
}
