package simtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// waiter is a process that waits to be stopped.
func waiter() simtest.Process {
	return simtest.ProcessFunc(func(ctx context.Context, p providers.Providers) error {
		return providers.Wait(ctx, p.Task)
	})
}

// Six processes, two to a machine, on three zones' machines: each process
// reads where it runs from its providers.
func ExampleTopology() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{
			Name: "store", Count: 6,
			Topology: simtest.Topology{Zones: 3, PerMachine: 2},
			New:      waiter,
		})
		for _, p := range c.Peers() {
			fmt.Println(p.Name, p.Locality.Zone, p.Locality.Machine)
		}
		fmt.Println("zones:", c.Units(chaos.Zone))
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// store-0 dc0-z0 dc0-z0-m0
	// store-1 dc0-z0 dc0-z0-m0
	// store-2 dc0-z1 dc0-z1-m0
	// store-3 dc0-z1 dc0-z1-m0
	// store-4 dc0-z2 dc0-z2-m0
	// store-5 dc0-z2 dc0-z2-m0
	// zones: [dc0-z0 dc0-z1 dc0-z2]
}

// A zone's power fails: its processes go down together and come back
// after the recovery delay.
func ExampleCluster_RebootUnit() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "store", Count: 4, Topology: simtest.Topology{Zones: 2, Machines: 2}, New: waiter})
		c.RebootUnit(chaos.Zone, "dc0-z1", simtest.PowerLoss, simtest.DownFor(10*time.Second))
		for _, p := range c.Peers() {
			fmt.Println(p.Name, p.Locality.Zone, "boots:", c.Boots(p.Name))
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// store-0 dc0-z0 boots: 1
	// store-1 dc0-z0 boots: 1
	// store-2 dc0-z1 boots: 2
	// store-3 dc0-z1 boots: 2
}

// Attrition by zone: MaxDead counts zones, and each reboot takes a whole
// zone down.
func ExampleCluster_RebootUnit_attrition() {
	cfg := chaos.Defaults()
	cfg.Attrition.Unit = chaos.Zone
	res := simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "store", Count: 6, Topology: simtest.Topology{Zones: 3, Machines: 2}, New: waiter})
		c.Run(simtest.Phases{Chaos: time.Minute})
	}, simtest.Seeds(5), simtest.Chaos(cfg))
	fmt.Println(res.Passed, "seeds passed")
	// Output:
	// 5 seeds passed
}

// A client workload run three times, each instance told its client id
// and the count, so that it writes keys of its own.
func ExampleS_Workloads() {
	simtest.Simulate(func(s *simtest.S) {
		ws := s.Workloads(simtest.Workloads{Name: "client", Count: 3, New: func(id simtest.WorkloadID) simtest.Workload {
			return &keyWriter{id: id}
		}})
		s.Boot().Run(simtest.Phases{Chaos: time.Second}, ws...)
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// client-0 of 3 writes keys 0, 3, 6, ...
	// client-1 of 3 writes keys 1, 4, 7, ...
	// client-2 of 3 writes keys 2, 5, 8, ...
}

type keyWriter struct{ id simtest.WorkloadID }

func (w *keyWriter) Setup(context.Context, providers.Providers) error {
	fmt.Printf("%s of %d writes keys %d, %d, %d, ...\n", w.id.Name, w.id.Count, w.id.Index, w.id.Index+w.id.Count, w.id.Index+2*w.id.Count)
	return nil
}
func (w *keyWriter) Run(context.Context, providers.Providers) error   { return nil }
func (w *keyWriter) Check(context.Context, providers.Providers) error { return nil }

// A fault schedule of the test's own: isolate one process, then another,
// a second each, while the workloads run.
func ExampleCluster_Inject() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "node", Count: 3, New: waiter})
		injected := s.Watch("inject")
		c.Inject(simtest.Injector{Name: "rolling isolation", Run: func(ctx context.Context, f *simtest.Faults) error {
			for _, p := range f.Cluster().Peers()[:2] {
				f.Isolate(p.Host)
				if err := f.Providers().Time.Sleep(ctx, time.Second); err != nil {
					return err
				}
				f.Heal()
			}
			return nil
		}})
		c.Run(simtest.Phases{Chaos: 10 * time.Second})
		for _, e := range injected.Next() {
			fmt.Println(e.At, e.Msg)
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// 0s inject: rolling isolation: isolate node-0
	// 1s inject: rolling isolation: heal
	// 1s inject: rolling isolation: isolate node-1
	// 2s inject: rolling isolation: heal
}

// quickWork is a workload whose Run is done after 5s.
type quickWork struct{}

func (quickWork) Setup(context.Context, providers.Providers) error { return nil }
func (quickWork) Check(context.Context, providers.Providers) error { return nil }
func (quickWork) Run(ctx context.Context, p providers.Providers) error {
	return p.Time.Sleep(ctx, 5*time.Second)
}

// A script that must play whole holds the chaos phase open: the workload
// is done after 5s, and the phase waits for the script's heal at 20s.
// Without Hold, the phase would end at 5s, and the timeline would tell
// the script cut short in its sleep.
func ExampleInjector_hold() {
	simtest.Simulate(func(s *simtest.S) {
		c := s.Boot(simtest.Processes{Name: "node", Count: 2, New: waiter})
		injected, phases := s.Watch("inject"), s.Watch("phase")
		c.Inject(simtest.Injector{Name: "split", Hold: true, Run: func(ctx context.Context, f *simtest.Faults) error {
			f.Partition([]string{"node-0"}, []string{"node-1"})
			if err := f.Providers().Time.Sleep(ctx, 20*time.Second); err != nil {
				return err
			}
			f.Heal()
			return nil
		}})
		c.Run(simtest.Phases{Chaos: time.Minute}, quickWork{})
		for _, e := range injected.Next() {
			fmt.Println(e.At, e.Msg)
		}
		for _, e := range phases.Next() {
			if e.Msg == "phase: quiesce" {
				fmt.Println(e.At, e.Msg)
			}
		}
	}, simtest.Seeds(1), simtest.Chaos(chaos.Off()))
	// Output:
	// 0s inject: split: partition node-0 | node-1
	// 20s inject: split: heal
	// 20s phase: quiesce
}
