package raftkv_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/moonpool-go/moonpool/examples/internal/kvhistory"
	"github.com/moonpool-go/moonpool/examples/raftkv"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// workload writes and reads a few keys from several clients at once, over
// the simulated network to the nodes' HTTP API, records every operation
// with its simulated call and return times, and checks in the end that
// the history is linearizable.
type workload struct {
	clients int           // concurrent clients
	ops     int           // operations per client
	keys    int           // distinct keys
	think   time.Duration // the most a client waits between operations
	// story, when set, gives the timeline entries that explain a failure.
	story func() []simtest.Entry
	// attach, when set, keeps porcupine's picture of a failing history
	// beside the seed's HTML timeline (S.Attach).
	attach func(name string, data []byte)

	names   []string // of the keys
	addrs   []string // the nodes' HTTP addresses
	history *kvhistory.History
}

func (w *workload) Name() string { return "linearizable raftkv" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	w.history = kvhistory.New(p.Time.Now, w.clients)
	w.history.Attach = w.attach
	w.history.Story, w.history.StoryTitle = w.story, "the cluster's leaders, reboots and partitions"
	for k := range w.keys {
		w.names = append(w.names, "k"+strconv.Itoa(k))
	}
	for _, peer := range p.Cluster.Peers() {
		w.addrs = append(w.addrs, peer.Host+":"+strconv.Itoa(httpPort))
	}
	return nil
}

func (w *workload) Run(ctx context.Context, p providers.Providers) error {
	wg := providers.NewWaitGroup(p.Task)
	for id := range w.clients {
		wg.Go(ctx, fmt.Sprintf("client %d", id), func(ctx context.Context) error {
			c := raftkv.NewClient(p, w.addrs, raftkv.ClientOptions{})
			defer c.Close()
			for n := range w.ops {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(w.think)))); err != nil {
					return err
				}
				key := w.names[p.Random.IntN(w.keys)]
				if p.Random.IntN(2) == 0 {
					w.get(ctx, c, id, key)
				} else {
					w.put(ctx, c, id, key, "c"+strconv.Itoa(id)+"-"+strconv.Itoa(n))
				}
			}
			return nil
		})
	}
	return wg.Wait(ctx)
}

func (w *workload) get(ctx context.Context, c *raftkv.Client, id int, key string) bool {
	return w.history.Get(id, key, func() (string, bool, error) { return c.Get(ctx, key) })
}

func (w *workload) put(ctx context.Context, c *raftkv.Client, id int, key, value string) {
	w.history.Put(ctx, id, key, value, func() error { return c.Put(ctx, key, value) },
		func(err error) bool { return errors.Is(err, raftkv.ErrIndeterminate) })
}

// Check reads every key once more, now that the cluster has settled, so
// that a write acknowledged and then lost shows, and checks the history.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	c := raftkv.NewClient(p, w.addrs, raftkv.ClientOptions{})
	defer c.Close()
	for _, key := range w.names {
		for try := 0; try < 10 && !w.get(ctx, c, w.clients, key); try++ {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	}
	return w.history.Check(ctx)
}
