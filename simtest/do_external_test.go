package simtest_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// logStore is a process that holds an append-only file, which the test
// appends to through its Go API with Cluster.Do.
type logStore struct {
	p providers.Providers
	f providers.File
}

func (l *logStore) Run(ctx context.Context, p providers.Providers) error {
	f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	l.p, l.f = p, f
	return providers.Wait(ctx, p.Task)
}

// Append writes b and syncs it after a millisecond of work.
func (l *logStore) Append(ctx context.Context, b []byte) error {
	if err := l.p.Time.Sleep(ctx, time.Millisecond); err != nil {
		return err
	}
	if _, err := l.f.Write(b); err != nil {
		return err
	}
	if err := l.f.Sync(); err != nil {
		return err
	}
	l.p.Logger.Info("appended", "bytes", len(b))
	return nil
}

func appendTo(ctx context.Context, c *simtest.Cluster, b string) error {
	return c.Do(ctx, "log-0", func(ctx context.Context, inst simtest.Process) error {
		return inst.(*logStore).Append(ctx, []byte(b))
	})
}

// bootLog boots one logStore, log-0, and gives it a second to open its
// file.
func bootLog(s *simtest.S) *simtest.Cluster {
	c := s.Boot(simtest.Processes{Name: "log", Count: 1, New: func() simtest.Process { return &logStore{} }})
	s.Sleep(time.Second)
	return c
}

// inASecond runs fn in a task of the test's, named name, a second from
// now.
func inASecond(s *simtest.S, name string, fn func()) {
	s.Go(name, func(context.Context) error {
		s.Sleep(time.Second)
		fn()
		return nil
	})
}

// Do runs fn in the process: what it does is the process's, on the task
// "log-0/do", and the data is on the process's disk.
func TestDoRunsInTheProcess(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "log", Count: 1, New: func() simtest.Process { return &logStore{} }})
		appended := s.Watch("appended")
		s.Sleep(time.Second) // the process opens its file
		require.NoError(s, appendTo(s.Context(), c, "one\n"))
		seen := appended.Next()
		require.Len(s, seen, 1)
		assert.Equal(s, "log-0/do", seen[0].Task)
		assert.Equal(s, "log-0", seen[0].Process)
		f, err := s.Disk("log-0").Storage().Open("log")
		require.NoError(s, err)
		data, err := io.ReadAll(f)
		require.NoError(s, err)
		require.NoError(s, f.Close())
		assert.Equal(s, "one\n", string(data))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A crash of the process kills fn where it stands: what it would do after
// is never done, and Do says the process was killed.
func TestDoDiesWithTheProcess(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		after := false
		inASecond(s, "crash", func() { c.Stop("log-0", simtest.Crash) })
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			if err := inst.(*logStore).p.Time.Sleep(ctx, time.Hour); err != nil {
				return err
			}
			after = true
			return nil
		})
		require.ErrorIs(s, err, simtest.ErrKilled)
		assert.Contains(s, err.Error(), `simtest: Cluster.Do("log-0"): the process was killed while fn ran`)
		assert.False(s, after, "nothing after the crash ran")

		err = appendTo(s.Context(), c, "two\n")
		require.ErrorIs(s, err, simtest.ErrDown, "a process that is down runs nothing")
		c.Start("log-0")
		s.Sleep(time.Second)
		require.NoError(s, appendTo(s.Context(), c, "three\n"), "the next instance runs it")
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A graceful stop ends fn's context, and fn returns its error while the
// process's Run takes its time to return.
func TestDoEndsWithAGracefulStop(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		inASecond(s, "stop", func() { c.Stop("log-0", simtest.Graceful) })
		start := s.Elapsed()
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			return providers.Wait(ctx, inst.(*logStore).p.Task)
		})
		require.ErrorIs(s, err, context.Canceled)
		assert.False(s, errors.Is(err, simtest.ErrKilled), "fn returned: %v", err)
		assert.Equal(s, start+time.Second, s.Elapsed(), "at the stop's start")
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A graceful stop gives fn what is left of its grace to return, as a
// server lets a request under way finish: fn's last append, begun as its
// context ended, is done and on the disk, though the process's Run
// returned at once.
func TestDoIsGivenTheGraceToReturn(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		inASecond(s, "stop", func() { c.Stop("log-0", simtest.Graceful) })
		ended := s.Watch("grace over")
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			l := inst.(*logStore)
			_ = providers.Wait(ctx, l.p.Task)
			return l.Append(context.WithoutCancel(ctx), []byte("last\n"))
		})
		require.NoError(s, err)
		s.Sleep(time.Second) // the stop ends
		assert.Empty(s, ended.Next(), "nothing outlived the grace")
		assert.False(s, c.Alive("log-0"))
		f, err := s.Disk("log-0").Storage().Open("log")
		require.NoError(s, err)
		data, err := io.ReadAll(f)
		require.NoError(s, err)
		require.NoError(s, f.Close())
		assert.Equal(s, "last\n", string(data))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// fn that outlives the grace is killed with the process's other tasks,
// and the timeline says so.
func TestDoOutlivingTheGraceIsKilled(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		inASecond(s, "stop", func() { c.Stop("log-0", simtest.Graceful, simtest.Grace(2*time.Second)) })
		ended := s.Watch("grace over")
		start := s.Elapsed()
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			return inst.(*logStore).p.Time.Sleep(context.WithoutCancel(ctx), time.Hour) // deaf to the stop
		})
		require.ErrorIs(s, err, simtest.ErrKilled)
		assert.Equal(s, 3*time.Second, s.Elapsed()-start, "killed as the grace ran out")
		got := ended.Next()
		if assert.Len(s, got, 1) {
			assert.Equal(s, "grace over: log-0's Cluster.Do did not return within 2s; killed", got[0].Msg)
		}
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A graceful reboot of the process's machine or zone ends fn's context
// too, as a graceful stop of the process alone does: fn returns its
// error, where it ran on until the grace killed it.
func TestDoEndsWithAUnitsGracefulReboot(t *testing.T) {
	for _, u := range []chaos.Unit{chaos.Machine, chaos.Zone} {
		t.Run(u.String(), func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "log", Count: 2, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &logStore{} }})
				s.Sleep(time.Second)
				unit := c.Units(u)[0]
				inASecond(s, "reboot", func() { c.RebootUnit(u, unit, simtest.Graceful, simtest.Grace(time.Minute)) })
				start := s.Elapsed()
				err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
					return providers.Wait(ctx, inst.(*logStore).p.Task)
				})
				require.ErrorIs(s, err, context.Canceled)
				assert.False(s, errors.Is(err, simtest.ErrKilled), "fn returned: %v", err)
				assert.Equal(s, start+time.Second, s.Elapsed(), "at the reboot's start")
			}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
		})
	}
}

// fn that stops its own process gracefully does not hold the stop for
// the grace: the process exits at once, fn with it, as a program that
// shuts itself down does.
func TestDoThatStopsItsOwnProcess(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		ended := s.Watch("grace over")
		start := s.Elapsed()
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			c.Stop("log-0", simtest.Graceful)
			return nil
		})
		require.ErrorIs(s, err, simtest.ErrKilled, "fn ended with its process")
		assert.Equal(s, start, s.Elapsed(), "no grace waited out")
		assert.False(s, c.Alive("log-0"))
		assert.Empty(s, ended.Next())
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A process whose Run returned nil has done its work and is up: fn runs
// in it.
func TestDoRunsInAProcessThatIsDone(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		done := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error { return nil })
		}
		c := s.Boot(simtest.Processes{Name: "job", Count: 1, New: done})
		s.Sleep(time.Second)
		require.True(s, c.Alive("job-0"))
		ran := false
		require.NoError(s, c.Do(s.Context(), "job-0", func(ctx context.Context, inst simtest.Process) error {
			ran = true
			return nil
		}))
		assert.True(s, ran)
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A paused process runs fn once it runs again.
func TestDoWaitsOutAPause(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := bootLog(s)
		s.Go("pause", func(ctx context.Context) error {
			c.Pause("log-0", 5*time.Second)
			return nil
		})
		s.Sleep(time.Millisecond)
		start := s.Elapsed()
		require.NoError(s, appendTo(s.Context(), c, "one\n"))
		assert.GreaterOrEqual(s, s.Elapsed()-start, 4*time.Second, "it ran after the pause")
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// doneLog is a logStore whose Run returns nil once its file is open: its
// work is done, and it serves Do calls on.
type doneLog struct{ logStore }

func (l *doneLog) Run(ctx context.Context, p providers.Providers) error {
	f, err := p.Storage.OpenFile("log", os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	l.p, l.f = p, f
	return nil
}

// A graceful stop of a process whose Run returned nil before it gives fn
// the grace too, as it does once a Run returns in it, where fn was
// killed at the stop's start; fn deaf to the stop is killed as the grace
// runs out, and the timeline names the Do.
func TestDoInAProcessThatIsDoneIsGivenTheGrace(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "job", Count: 1, New: func() simtest.Process { return &doneLog{} }})
		s.Sleep(time.Second)
		ended := s.Watch("grace over")
		inASecond(s, "reboot", func() { c.Reboot("job-0", simtest.Graceful, simtest.Grace(2*time.Second)) })
		err := c.Do(s.Context(), "job-0", func(ctx context.Context, inst simtest.Process) error {
			l := inst.(*doneLog)
			_ = providers.Wait(ctx, l.p.Task)
			return l.Append(context.WithoutCancel(ctx), []byte("last\n"))
		})
		require.NoError(s, err, "fn finished its append within the grace")
		s.Sleep(time.Second) // the reboot ends
		assert.Empty(s, ended.Next(), "nothing outlived the grace")

		inASecond(s, "reboot", func() { c.Reboot("job-0", simtest.Graceful, simtest.Grace(2*time.Second)) })
		start := s.Elapsed()
		err = c.Do(s.Context(), "job-0", func(ctx context.Context, inst simtest.Process) error {
			return inst.(*doneLog).p.Time.Sleep(context.WithoutCancel(ctx), time.Hour) // deaf to the stop
		})
		require.ErrorIs(s, err, simtest.ErrKilled)
		assert.Equal(s, 3*time.Second, s.Elapsed()-start, "killed as the grace ran out")
		got := ended.Next()
		if assert.Len(s, got, 1) {
			assert.Equal(s, "grace over: job-0's Cluster.Do did not return within 2s; killed", got[0].Msg)
		}
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// fn that reboots another process is a call under way like any other: a
// graceful stop of its own process waits for it within the grace, where
// it was killed at once as if it had stopped its own.
func TestDoThatRebootsAnotherProcessIsWaitedFor(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "log", Count: 2, New: func() simtest.Process { return &logStore{} }})
		s.Sleep(time.Second)
		inASecond(s, "stop", func() { c.Stop("log-0", simtest.Graceful, simtest.Grace(time.Minute)) })
		start := s.Elapsed()
		err := c.Do(s.Context(), "log-0", func(ctx context.Context, inst simtest.Process) error {
			c.Reboot("log-1", simtest.Graceful, simtest.DownFor(5*time.Second))
			return nil
		})
		require.NoError(s, err)
		assert.Equal(s, 5*time.Second, s.Elapsed()-start, "fn returned once log-1 was back")
		assert.True(s, c.Alive("log-1"))
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// fn that reboots its own process's zone ends with the process, as fn
// that stops the process alone does: the stop waits for the process's
// exit, which does not wait for fn.
func TestDoThatRebootsItsOwnZone(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "log", Count: 2, Topology: simtest.Topology{Zones: 2}, New: func() simtest.Process { return &logStore{} }})
		s.Sleep(time.Second)
		ended := s.Watch("grace over")
		zone := c.Units(chaos.Zone)[0]
		in := c.ProcessesIn(chaos.Zone, zone)[0]
		start := s.Elapsed()
		err := c.Do(s.Context(), in, func(ctx context.Context, inst simtest.Process) error {
			c.RebootUnit(chaos.Zone, zone, simtest.Graceful, simtest.Grace(time.Minute))
			return nil
		})
		require.ErrorIs(s, err, simtest.ErrKilled, "fn ended with its process")
		assert.Equal(s, start, s.Elapsed(), "no grace waited out")
		assert.Empty(s, ended.Next())
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}

// A process whose graceful stop is under way runs nothing, and Do says
// it is going down, not down: Alive reports it up until the stop ends.
func TestDoDuringAGracefulStop(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		slow := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				_ = providers.Wait(ctx, p.Task)
				return p.Time.Sleep(context.WithoutCancel(ctx), time.Second) // its shutdown takes a second
			})
		}
		c := s.Boot(simtest.Processes{Name: "srv", Count: 1, New: slow})
		s.Sleep(time.Second)
		s.Go("stop", func(context.Context) error {
			c.Stop("srv-0", simtest.Graceful)
			return nil
		})
		s.Sleep(100 * time.Millisecond)
		err := c.Do(s.Context(), "srv-0", func(ctx context.Context, inst simtest.Process) error { return nil })
		require.ErrorIs(s, err, simtest.ErrDown)
		assert.True(s, c.Alive("srv-0"), "alive until the stop ends")
		assert.Equal(s, `simtest: Cluster.Do("srv-0"): the process is down, or going down: a stop of it is under way, and Cluster.Alive reports it up until that stop ends (a Reboot returns once it is back)`, err.Error())
	}, simtest.Seeds(3), simtest.Chaos(chaos.Off()))
}
