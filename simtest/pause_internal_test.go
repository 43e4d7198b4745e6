package simtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// idle is a process that waits until it is stopped.
func idle() Process {
	return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		_ = p.Time.Sleep(ctx, time.Hour)
		return nil
	})
}

// A pause counts its process as down against MaxDead while it holds it,
// and no longer: a stop that ends it early takes over the count, and a
// pauser crashed meanwhile does not keep it.
func TestAPauseCountsAgainstMaxDeadWhileItHolds(t *testing.T) {
	for _, how := range []Reboot{Crash, Graceful} {
		t.Run("stopped "+how.String(), func(t *testing.T) {
			var dead []int
			res := Simulate(func(s *S) {
				c := s.Boot(Processes{Name: "srv", New: idle})
				h := s.Go("pause", func(context.Context) error {
					c.Pause("srv-0", 3*time.Second)
					return nil
				})
				s.Sleep(time.Second)
				dead = append(dead, c.dead)
				r := s.Go("reboot", func(context.Context) error {
					c.Reboot("srv-0", how, Grace(time.Second), DownFor(5*time.Second))
					return nil
				})
				s.Sleep(time.Second)
				dead = append(dead, c.dead) // down, its pause ended
				s.Sleep(2 * time.Second)
				dead = append(dead, c.dead) // past the pause's end
				require.NoError(s, h.Join(s.Context()))
				require.NoError(s, r.Join(s.Context()))
				dead = append(dead, c.dead) // back up
			}, Seeds(1), Chaos(chaos.Off()))
			require.True(t, res.OK(), res.Report)
			require.Equal(t, []int{1, 1, 1, 0}, dead)
		})
	}
	t.Run("pauser crashed", func(t *testing.T) {
		var dead []int
		res := Simulate(func(s *S) {
			c := s.Boot(Processes{Name: "srv", New: idle}, Processes{Name: "a", New: func() Process {
				return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					ClusterOf(p).Pause("srv-0", 3*time.Second)
					return p.Time.Sleep(ctx, time.Hour)
				})
			}})
			s.Sleep(time.Second)
			c.Stop("a-0", Crash)
			dead = append(dead, c.dead) // the pause and a-0
			s.Sleep(3 * time.Second)
			dead = append(dead, c.dead) // a-0 alone
			c.Start("a-0")
			dead = append(dead, c.dead)
		}, Seeds(1), Chaos(chaos.Off()))
		require.True(t, res.OK(), res.Report)
		require.Equal(t, []int{2, 1, 0}, dead)
	})
}

// A pause drawn for a process that goes down at the same instant, before
// the pause begins, pauses nothing: the process comes back unmarked
// while the pause would still last, its new instance runs, and the
// pause's count against MaxDead is given back.
func TestAPauseOfAProcessGoneDownPausesNothing(t *testing.T) {
	var paused []bool
	var dead []int
	ran := false
	res := Simulate(func(s *S) {
		ticks := 0
		c := s.Boot(Processes{Name: "srv", New: func() Process {
			return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
					ticks++
				}
				return nil
			})
		}})
		p := c.procs[0]
		s.Sleep(time.Second)
		c.Stop("srv-0", Crash)
		c.dead++ // as attrition counts the pause it drew
		h := s.Go("pause", func(context.Context) error {
			c.pauseFor(2*time.Second, true, p)
			return nil
		})
		s.Sleep(100 * time.Millisecond)
		c.Start("srv-0")
		before := ticks
		s.Sleep(time.Second)
		ran = ticks > before
		require.NoError(s, h.Join(s.Context()))
		paused = append(paused, p.paused())
		dead = append(dead, c.dead)
	}, Seeds(1), Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	require.True(t, ran, "the process's new instance runs")
	require.Equal(t, []bool{false}, paused, "no pause mark outlives the pause")
	require.Equal(t, []int{0}, dead)
}

// A process stopped while its pause waits for a clock read is not paused
// when it reads one after its reboot, nor resumed by a graceful stop, and
// the arming's count against MaxDead is given back once, by the stop.
func TestAPauseArmedForAClockReadEndsWithAStop(t *testing.T) {
	for _, how := range []Reboot{Crash, Graceful} {
		t.Run(how.String(), func(t *testing.T) {
			var dead []int
			var paused []bool
			res := Simulate(func(s *S) {
				tl := s.Timeline()
				c := s.Boot(Processes{Name: "srv", New: idle})
				h := s.Go("pause", func(context.Context) error {
					c.PauseAfterClockRead("srv-0", 3*time.Second)
					return nil
				})
				s.Sleep(time.Second)
				dead = append(dead, c.dead) // armed
				c.Reboot("srv-0", how, Grace(time.Second), DownFor(time.Second))
				dead = append(dead, c.dead) // back up, the arming gone with the stop
				paused = append(paused, c.get("srv-0").paused())
				require.NoError(s, h.Join(s.Context()))
				dead = append(dead, c.dead)
				for _, e := range tl.Snapshot() {
					require.NotRegexp(s, "^(pause|resume): srv-0", e.Msg, "nothing was paused")
				}
			}, Seeds(1), Chaos(chaos.Off()))
			require.True(t, res.OK(), res.Report)
			require.Equal(t, []int{1, 0, 0}, dead)
			require.Equal(t, []bool{false}, paused)
		})
	}
}

// A process that asks to be restarted while its pause waits for a clock
// read goes down with the arming taken back, as a stop takes it: the
// pause does not fall on its next instance, and the arming's count
// against MaxDead is given back once.
func TestAPauseArmedForAClockReadEndsWithARestart(t *testing.T) {
	var dead []int
	var paused []bool
	res := Simulate(func(s *S) {
		tl := s.Timeline()
		boots := 0
		c := s.Boot(Processes{Name: "srv", New: func() Process {
			boots++
			if boots > 1 {
				return idle()
			}
			return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				_ = p.Time.Sleep(ctx, time.Second) // reads no clock
				return fmt.Errorf("wal: sync failed: %w", providers.ErrRestart)
			})
		}})
		h := s.Go("pause", func(context.Context) error {
			c.PauseAfterClockRead("srv-0", 3*time.Second)
			return nil
		})
		s.Sleep(2 * time.Second)
		dead = append(dead, c.dead) // restarted, and up again
		paused = append(paused, c.get("srv-0").paused())
		require.NoError(s, h.Join(s.Context()))
		dead = append(dead, c.dead)
		for _, e := range tl.Snapshot() {
			require.NotRegexp(s, "^(pause|resume): srv-0", e.Msg, "nothing was paused")
		}
	}, Seeds(1), Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	require.Equal(t, []int{0, 0}, dead)
	require.Equal(t, []bool{false}, paused)
}

// A time-out made on a process's clock reads it: a pause armed for a
// clock read begins there, and the time-out's deadline, counted from
// before the pause, has passed when the task goes on.
func TestAPauseArmedForAClockReadBeginsInATimeout(t *testing.T) {
	var expired []bool
	res := Simulate(func(s *S) {
		tl := s.Timeline()
		c := s.Boot(Processes{Name: "srv", New: func() Process {
			return ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for p.Time.Sleep(ctx, 100*time.Millisecond) == nil {
					tctx, cancel := p.Time.WithTimeout(ctx, time.Second)
					deadline, _ := tctx.Deadline()
					expired = append(expired, !p.Time.Now().Before(deadline))
					cancel()
				}
				return nil
			})
		}})
		s.Sleep(time.Second + 50*time.Millisecond)
		c.PauseAfterClockRead("srv-0", 3*time.Second)
		s.Sleep(time.Second)
		var pauses []string
		for _, e := range tl.Snapshot() {
			if strings.HasPrefix(e.Msg, "pause: ") {
				pauses = append(pauses, e.Msg)
			}
		}
		require.Len(s, pauses, 1)
		require.Regexp(s, `^pause: srv-0 paused for 3s, just after srv-0\S* read its clock$`, pauses[0])
	}, Seeds(1), Chaos(chaos.Off()))
	require.True(t, res.OK(), res.Report)
	require.Contains(t, expired, true, "the time-out ran out in the pause")
}
