package simtest_test

import (
	"context"
	"errors"
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

// quick is a workload whose Run returns after d.
type quick struct{ d time.Duration }

func (quick) Setup(context.Context, providers.Providers) error { return nil }
func (quick) Check(context.Context, providers.Providers) error { return nil }
func (w quick) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, w.d)
}

func TestInjectorRunsDuringTheChaosPhase(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 4, Topology: simtest.Topology{Zones: 2, Machines: 2}, New: writer})
		injected := s.Watch("inject")
		var began, ended time.Duration
		c.Inject(simtest.Injector{Name: "zone outage", Run: func(ctx context.Context, f *simtest.Faults) error {
			began = s.Elapsed()
			p := f.Providers()
			f.Partition([]string{"p-0"}, []string{"p-2"})
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			f.Heal()
			zones := f.Cluster().Units(chaos.Zone)
			f.RebootUnit(chaos.Zone, zones[p.Random.IntN(len(zones))], simtest.PowerLoss, simtest.DownFor(2*time.Second))
			err := p.Time.Sleep(ctx, time.Hour)
			ended = s.Elapsed()
			return err // ctx's: no failure
		}})
		start := s.Elapsed()
		c.Run(simtest.Phases{Chaos: time.Minute}, quick{10 * time.Second})
		assert.Equal(s, start, began, "the injector starts with the chaos phase")
		assert.Equal(s, start+10*time.Second, ended, "its context ends with the chaos phase, which does not wait for it")
		var msgs []string
		for _, e := range injected.Next() {
			msgs = append(msgs, e.Msg)
		}
		require.Len(s, msgs, 4)
		assert.Equal(s, []string{"inject: zone outage: partition p-0 | p-2", "inject: zone outage: heal"}, msgs[:2])
		assert.Regexp(s, `^inject: zone outage: cut short: the chaos phase ended 10s into its 1m0s \(Phases\.Chaos\), as every workload had returned; `+
			`it was in its sleep at injector_external_test\.go:\d+, until 1h0m\d+s into the phase$`, msgs[3], "the hour's sleep never ended")
		zone, ok := strings.CutPrefix(msgs[2], "inject: zone outage: reboot zone ")
		require.True(s, ok, msgs[2])
		zone = strings.TrimSuffix(zone, " (power loss)")
		for _, p := range c.Peers() {
			want := 1
			if p.Locality.Zone == zone {
				want = 2
			}
			assert.Equal(s, want, c.Boots(p.Name), "the zone's processes rebooted once, the other zone's not: %s", p.Name)
		}
	}, simtest.Seeds(4), simtest.Chaos(chaos.Off()))
}

// An injector lifts its own partition with HealBetween while another
// test-made cut stays.
func TestInjectorHealsItsOwnPartition(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 3, New: writer})
		injected := s.Watch("inject")
		s.Network().Partition([]string{"p-0"}, []string{"p-2"})
		p0 := s.HostProviders("p-0")
		dial := func(ctx context.Context, addr string) error {
			ctx, cancel := p0.Time.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := p0.Network.Dial(ctx, addr)
			return err
		}
		var toP1, toP2 error
		c.Inject(simtest.Injector{Name: "split", Run: func(ctx context.Context, f *simtest.Faults) error {
			f.Partition([]string{"p-0"}, []string{"p-1"})
			if err := f.Providers().Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
			f.HealBetween([]string{"p-1"}, []string{"p-0"})
			toP1, toP2 = dial(ctx, "p-1:1"), dial(ctx, "p-2:1")
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Minute}, quick{20 * time.Second})
		var msgs []string
		for _, e := range injected.Next() {
			msgs = append(msgs, e.Msg)
		}
		assert.Equal(s, []string{"inject: split: partition p-0 | p-1", "inject: split: heal p-1 | p-0"}, msgs)
		assert.ErrorIs(s, toP1, syscall.ECONNREFUSED, "the injector's cut is healed: p-1 answers, with nothing on the port")
		assert.ErrorIs(s, toP2, context.DeadlineExceeded, "the test's own cut stays")
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
}

func TestInjectorAfterTheChaosPhaseMakesNoFault(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "p", Count: 2, New: writer})
		injected := s.Watch("inject")
		c.Inject(simtest.Injector{Name: "late", Run: func(ctx context.Context, f *simtest.Faults) error {
			_ = providers.Wait(ctx, f.Providers().Task) // until the chaos phase ends
			f.Reboot("p-0", simtest.Crash)
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Second}, quick{2 * time.Second})
		assert.Equal(s, 1, c.Boots("p-0"), "the reboot was not made")
		e := injected.Next()
		require.Len(s, e, 2)
		assert.Equal(s, "inject: late: reboot p-0 (crash): ignored, the chaos phase is over", e[0].Msg)
		assert.Equal(s, "inject: late: ended with the chaos phase, at its length, 1s (Phases.Chaos)", e[1].Msg)
	}, simtest.Seeds(2), simtest.Chaos(chaos.Off()))
}

func TestInjectorErrorFailsTheSeed(t *testing.T) {
	r := runIn("TestInjector", func(r *recorder) {
		simtest.Run(r, func(s *simtest.S) {
			c := s.Boot(simtest.Processes{Name: "p", New: writer})
			c.Inject(simtest.Injector{Name: "broken", Run: func(ctx context.Context, f *simtest.Faults) error {
				return errors.New("no such zone")
			}})
			c.Run(simtest.Phases{Chaos: time.Second})
		}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.output(), "injector broken: no such zone")
}

func TestInjectorBadInput(t *testing.T) {
	run := func(ctx context.Context, f *simtest.Faults) error { return nil }
	cases := []struct {
		name string
		injs []simtest.Injector
		want string
	}{
		{"no name", []simtest.Injector{{Run: run}}, "an Injector has no Name"},
		{"no run", []simtest.Injector{{Name: "x"}}, `Injector "x" has no Run`},
		{"same name", []simtest.Injector{{Name: "x", Run: run}, {Name: "x", Run: run}}, `two injectors are named "x"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runIn("TestInjector", func(r *recorder) {
				simtest.Run(r, func(s *simtest.S) { s.Boot().Inject(c.injs...) }, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
			})
			assert.True(t, r.failed)
			assert.Contains(t, r.output(), "simtest: configuration error: ")
			assert.Contains(t, r.output(), c.want)
		})
	}
}

// An injector's reboot of a process that something else has taken down
// (attrition, or the process's own restart) is a race the injector cannot
// see: it is left alone, as RebootUnit of a machine leaves such processes,
// and said so in the timeline, rather than failing the seed as a misuse.
// A reboot of the process's own unit is the same call.
func TestInjectorRebootOfAProcessAlreadyDownIsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reboot func(f *simtest.Faults)
		want   string
	}{
		{"Reboot", func(f *simtest.Faults) { f.Reboot("p-0", simtest.Crash, simtest.DownFor(time.Second)) },
			"inject: bouncer: reboot p-0 (crash): ignored, p-0 is down or going down"},
		{"RebootUnit", func(f *simtest.Faults) {
			f.RebootUnit(chaos.Process, "p-0", simtest.Crash, simtest.DownFor(time.Second))
		},
			"inject: bouncer: reboot process p-0 (crash): ignored, p-0 is down or going down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			simtest.Run(t, func(s *simtest.S) {
				c := s.Boot(simtest.Processes{Name: "p", New: func() simtest.Process {
					return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
						if p.Cluster.Boot() == providers.FirstBoot {
							return providers.ErrRestart // down for simtest.RestartDelay
						}
						return providers.Wait(ctx, p.Task)
					})
				}})
				injected := s.Watch("inject")
				c.Inject(simtest.Injector{Name: "bouncer", Run: func(ctx context.Context, f *simtest.Faults) error {
					if err := f.Providers().Time.Sleep(ctx, simtest.RestartDelay/2); err != nil {
						return err
					}
					require.False(s, c.Alive("p-0"), "down, restarting")
					tc.reboot(f)
					return nil
				}})
				c.Run(simtest.Phases{Chaos: time.Second})
				var msgs []string
				for _, e := range injected.Next() {
					msgs = append(msgs, e.Msg)
				}
				assert.Equal(s, []string{tc.want}, msgs)
				assert.Equal(s, 2, c.Boots("p-0"), "booted again by its restart alone")
			}, simtest.Chaos(chaos.Off()), simtest.Replay(1))
		})
	}
}
