package simtest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// A pause by hand: the process stops for 3 s while time goes on, and its
// sleep, due in the middle of the pause, ends when it resumes.
func ExampleCluster_Pause() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "lock", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				for {
					due := p.Time.Now().Add(time.Second)
					if err := p.Time.Sleep(ctx, time.Second); err != nil {
						return nil
					}
					if late := p.Time.Now().Sub(due); late > 0 {
						fmt.Println(p.Cluster.Self().Name, "woke", late, "late")
					}
				}
			})
		}})
		s.Sleep(1500 * time.Millisecond)
		c.Pause("lock-0", 3*time.Second) // returns when it resumes
		s.Sleep(2 * time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// lock-0 woke 2.5s late
}

// A pause that falls between a check of a lease and the write it guards:
// the holder reads its clock, the pause begins just after the read, and
// the write goes out after the lease ran out, with no wait between the two
// in the holder's code.
func ExampleCluster_PauseAfterClockRead() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "holder", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				leaseEnd := p.Time.Now().Add(2 * time.Second)
				for {
					if err := p.Time.Sleep(ctx, 500*time.Millisecond); err != nil {
						return nil
					}
					if p.Time.Now().Before(leaseEnd) { // the check
						sent := p.Time.Now() // the write
						if sent.After(leaseEnd) {
							fmt.Println("wrote", sent.Sub(leaseEnd), "after the lease ran out")
						}
					}
				}
			})
		}})
		s.Sleep(1200 * time.Millisecond)
		c.PauseAfterClockRead("holder-0", 3*time.Second) // returns when it resumes
		s.Sleep(time.Second)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// wrote 2.5s after the lease ran out
}

// A paused process is alive, and Paused tells it from a running one: an
// invariant that a live process must keep can exempt it while it lasts.
func ExampleCluster_Paused() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "lock", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				return providers.Wait(ctx, p.Task)
			})
		}})
		s.Go("pause", func(context.Context) error {
			c.Pause("lock-0", 3*time.Second)
			return nil
		})
		for _, at := range []string{"2s", "4s"} {
			s.Sleep(2 * time.Second)
			fmt.Printf("at %s: alive %v, paused %v\n", at, c.Alive("lock-0"), c.Paused("lock-0"))
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// at 2s: alive true, paused true
	// at 4s: alive true, paused false
}

// Reboots by hand, each timing named where it is given.
func ExampleCluster_Reboot() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "kv", New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				fmt.Println(p.Cluster.Self().Name, "boots", p.Cluster.Boot())
				return p.Time.Sleep(ctx, time.Hour)
			})
		}})
		s.Sleep(time.Second)
		c.Reboot("kv-0", simtest.Graceful, simtest.Grace(2*time.Second), simtest.DownFor(5*time.Second))
		s.Sleep(time.Second)
		c.Reboot("kv-0", simtest.Wipe, simtest.DownFor(time.Second))
		s.Sleep(time.Second)
		c.Stop("kv-0", simtest.Crash) // down until Start
		fmt.Println("alive:", c.Alive("kv-0"))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// kv-0 boots first boot
	// kv-0 boots after a graceful stop
	// kv-0 boots after a wipe
	// alive: false
}

// Attrition that draws only crashes crashes the lock servers and pauses
// the clients, a group it only pauses (Processes.PauseOnly), as a long
// garbage collection stalls a lease's holder.
func ExampleProcesses_pauseOnly() {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss = 0, 1, 0 // crashes only, Pause 0
	simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		idle := func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				_ = p.Time.Sleep(ctx, time.Hour)
				return nil
			})
		}
		c := s.Boot(
			simtest.Processes{Name: "lock", Count: 2, New: idle},
			simtest.Processes{Name: "client", Count: 2, PauseOnly: true, New: idle},
		)
		c.Run(simtest.Phases{Chaos: time.Minute})
		what := map[string]bool{} // "down: lock-0" and "pause: client-1" from the timeline
		for _, e := range tl.Snapshot() {
			if kind, rest, ok := strings.Cut(e.Msg, ": "); ok && (kind == "down" || kind == "pause") {
				group, _, _ := strings.Cut(rest, "-")
				what[kind+" "+group] = true
			}
		}
		fmt.Println(what)
		for _, name := range c.Group("client") {
			fmt.Println(name, "booted", c.Boots(name), "time")
		}
	}, simtest.Seeds(1), simtest.Chaos(cfg))
	// Output:
	// map[down lock:true pause client:true]
	// client-0 booted 1 time
	// client-1 booted 1 time
}

// clock is a process that counts the seconds it has run.
type clock struct{ seconds int }

func (c *clock) Run(ctx context.Context, p providers.Providers) error {
	for p.Time.Sleep(ctx, time.Second) == nil {
		c.seconds++
	}
	return nil
}

// An invariant reads each process's state through its instance, of the
// type its group's New makes: a crash starts a new one, from zero.
func ExampleInstanceOf() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "n", Count: 2, New: func() simtest.Process { return &clock{} }})
		s.Invariant("no process counts past the time it ran", func() error {
			for _, name := range c.Group("n") {
				if n := simtest.InstanceOf[*clock](c, name).seconds; time.Duration(n)*time.Second > s.Elapsed() {
					return fmt.Errorf("%s counted %ds at %v", name, n, s.Elapsed())
				}
			}
			return nil
		})
		s.Sleep(2500 * time.Millisecond)
		c.Reboot("n-1", simtest.Crash)
		s.Sleep(1700 * time.Millisecond)
		for _, name := range c.Group("n") {
			fmt.Println(name, simtest.InstanceOf[*clock](c, name).seconds)
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// n-0 4
	// n-1 1
}

// A rolling restart that waits, before each step, until every replica is
// up and ready: a replica that catches up after its boot holds itself not
// ready, and the next is not taken down until it is done.
func ExampleCluster_WaitReady() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3, New: func() simtest.Process {
			return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
				if p.Cluster.Boot() != providers.FirstBoot {
					providers.SetNotReady(p.Cluster, "catching up")
					if err := p.Time.Sleep(ctx, 2*time.Second); err != nil {
						return nil
					}
					providers.SetReady(p.Cluster)
				}
				return providers.Wait(ctx, p.Task)
			})
		}})
		start := s.Now()
		for _, name := range c.Group("kv") {
			if err := c.WaitReady(s.Context()); err != nil {
				return
			}
			fmt.Printf("%v: reboot %s\n", s.Now().Sub(start).Round(time.Second), name)
			c.Reboot(name, simtest.Graceful, simtest.DownFor(time.Second))
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// 0s: reboot kv-0
	// 3s: reboot kv-1
	// 6s: reboot kv-2
}

// A cluster that starts mixed, as a rollout left half done leaves it:
// ReleaseOf boots kv-1 into v2 and the others into Release, each a first
// boot, and a reboot Into v2 goes on with the rollout.
func ExampleProcesses_releaseOf() {
	simtest.Simulate(func(s *simtest.S) {
		var boots []string
		node := func(release string) func(simtest.ProcessID) simtest.Process {
			return func(id simtest.ProcessID) simtest.Process {
				boots = append(boots, fmt.Sprintf("%s boot %d: %s", id.Name, id.Boot, release))
				return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
					return providers.Wait(ctx, p.Task)
				})
			}
		}
		c := s.Boot(simtest.Processes{Name: "kv", Count: 3,
			Releases: map[string]func(simtest.ProcessID) simtest.Process{"v1": node("v1"), "v2": node("v2")},
			Release:  "v1",
			ReleaseOf: func(i int) string {
				if i == 1 {
					return "v2"
				}
				return "" // Release
			},
		})
		c.Reboot("kv-0", simtest.Graceful, simtest.Into("v2"))
		slices.Sort(boots)
		fmt.Println(strings.Join(boots, "\n"))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// kv-0 boot 1: v1
	// kv-0 boot 2: v2
	// kv-1 boot 1: v2
	// kv-2 boot 1: v1
}
