package zones_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/zones"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "place each blob's copies on consecutive replicas, wherever they run")

// crashes is chaos of process crashes alone: attrition as by default (one
// process down at a time, graceful stops, crashes and power losses) on a
// perfect network and disks, so that what breaks the store is where its
// copies are.
func crashes() chaos.Config {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	return cfg
}

// boot runs nine replicas on nine machines, three in each of three zones.
func boot(s *simtest.S) *simtest.Cluster {
	return s.Boot(simtest.Processes{
		Name: "store", Count: 9,
		Topology: simtest.Topology{Zones: 3, Machines: 3},
		New:      func() simtest.Process { return zones.Server{} },
	})
}

// readers writes Blobs blobs in its setup, reads one at random every 200ms
// for the 30s of the chaos phase, each read to be answered with the blob
// written, and reads them all again in its check.
type readers struct {
	place zones.Placement
	cl    *zones.Client
}

const blobs = 30

func (w *readers) Setup(ctx context.Context, p providers.Providers) error {
	w.cl = &zones.Client{P: p, Peers: simtest.ClusterOf(p).Peers(), Place: w.place, Timeout: 300 * time.Millisecond}
	for i := range blobs {
		if err := w.cl.Put(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i)); err != nil {
			return err
		}
	}
	return nil
}

func (w *readers) Run(ctx context.Context, p providers.Providers) error {
	for range 150 {
		if err := p.Time.Sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
		if err := w.read(ctx, p.Random.IntN(blobs)); err != nil {
			return err
		}
	}
	return nil
}

func (w *readers) Check(ctx context.Context, p providers.Providers) error {
	for i := range blobs {
		if err := w.read(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (w *readers) read(ctx context.Context, i int) error {
	v, err := w.cl.Get(ctx, fmt.Sprint("k", i))
	if err == nil && v != fmt.Sprint("v", i) {
		err = fmt.Errorf("get k%d: %q, not the %q written", i, v, fmt.Sprint("v", i))
	}
	return err
}

// zoneOutage powers one zone off for five seconds, at a random instant of
// the chaos phase's first twenty seconds.
var zoneOutage = simtest.Injector{Name: "zone outage", Run: func(ctx context.Context, f *simtest.Faults) error {
	p := f.Providers()
	if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(20*time.Second)))); err != nil {
		return err
	}
	zs := f.Cluster().Units(chaos.Zone)
	f.RebootUnit(chaos.Zone, zs[p.Random.IntN(len(zs))], simtest.PowerLoss, simtest.DownFor(5*time.Second))
	return nil
}}

// TestNaiveStoreSurvivesProcessCrashes shows that three copies on
// consecutive replicas survive one process down at a time: a test of
// process crashes alone passes the naive placement.
func TestNaiveStoreSurvivesProcessCrashes(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		boot(s).Run(simtest.Phases{Chaos: 30 * time.Second}, &readers{place: zones.Naive})
	}, simtest.Chaos(crashes()), simtest.Seeds(seeds()))
}

// TestStoreUnderZoneOutages adds a zone's outage to the process crashes.
// The zone-aware placement keeps a copy of every blob in each zone and
// passes; with -planted the naive placement loses the blobs whose copies
// all sit in the zone that went dark.
func TestStoreUnderZoneOutages(t *testing.T) {
	place := zones.Replicas
	if *planted {
		place = zones.Naive
	}
	simtest.Run(t, func(s *simtest.S) {
		c := boot(s)
		c.Inject(zoneOutage)
		c.Run(simtest.Phases{Chaos: 30 * time.Second}, &readers{place: place})
	}, simtest.Chaos(crashes()), simtest.Seeds(seeds()), simtest.KeepFailures(!*planted))
}

func seeds() int {
	if testing.Short() {
		return 10
	}
	return 50
}
