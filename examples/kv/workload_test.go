package kv_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/moonpool-go/moonpool/examples/internal/kvhistory"
	"github.com/moonpool-go/moonpool/examples/kv"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
)

// workload writes and reads a set of keys from several clients at once,
// records every operation with its simulated call and return times, and
// checks in the end that the history is linearizable.
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
	addrs   []string
	history *kvhistory.History
}

func (w *workload) Name() string { return "linearizable kv" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	w.history = kvhistory.New(p.Time.Now, w.clients)
	w.history.Attach = w.attach
	w.history.Story, w.history.StoryTitle = w.story, "the replicas' boots and recoveries"
	w.names = kvhistory.Keys(w.keys)
	for _, peer := range p.Cluster.Peers() {
		w.addrs = append(w.addrs, net.JoinHostPort(peer.Host, fmt.Sprint(kv.DefaultPort)))
	}
	return nil
}

func (w *workload) Run(ctx context.Context, p providers.Providers) error {
	return w.history.Run(ctx, p, kvhistory.Clients{Count: w.clients, Ops: w.ops, Keys: w.names, Think: w.think,
		Unknown: func(err error) bool { return errors.Is(err, kv.ErrIndeterminate) }},
		func(ctx context.Context, id int) (kvhistory.Store, func()) {
			c := kv.NewClient(ctx, p, w.addrs, kv.ClientOptions{})
			return c, c.Close
		})
}

// Check reads every key once more, now that the cluster has settled, so
// that a write acknowledged and then lost shows, and checks the history.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	c := kv.NewClient(ctx, p, w.addrs, kv.ClientOptions{})
	defer c.Close()
	if _, err := w.history.ReadAll(ctx, p, c, w.names, 100*time.Millisecond); err != nil {
		return err
	}
	return w.history.Check(ctx)
}
