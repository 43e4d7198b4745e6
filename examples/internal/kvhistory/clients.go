package kvhistory

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

// A Store is one client's connection to the store under test.
type Store interface {
	Get(ctx context.Context, key string) (value string, found bool, err error)
	Put(ctx context.Context, key, value string) error
}

// Clients is the shape of the examples' workloads: Count clients at once,
// each making Ops operations on keys drawn from Keys, a read or a write
// with equal chance, and waiting up to Think before each. A write's value
// names its client and its number ("c2-17"), so that every value written
// is unique.
type Clients struct {
	Count, Ops int
	Keys       []string
	Think      time.Duration
	// Unknown tells an error after which a write may or may not take
	// effect (a timeout, a lost connection).
	Unknown func(error) bool
}

// Keys returns the names of n keys: k0, k1, ...
func Keys(n int) []string {
	keys := make([]string, n)
	for k := range keys {
		keys[k] = "k" + strconv.Itoa(k)
	}
	return keys
}

// Run runs c's clients as tasks of p and records what each saw. open
// gives client id its Store, and what closes it (nil when nothing does).
// The draws of each client, in order: the wait, the key, read or write.
func (h *History) Run(ctx context.Context, p providers.Providers, c Clients, open func(ctx context.Context, id int) (Store, func())) error {
	h.reserve(c.Count * c.Ops) // the most the clients record
	wg := providers.NewWaitGroup(p.Task)
	for id := range c.Count {
		wg.Go(ctx, fmt.Sprintf("client %d", id), func(ctx context.Context) error {
			s, closeStore := open(ctx, id)
			if closeStore != nil {
				defer closeStore()
			}
			for n := range c.Ops {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(c.Think)))); err != nil {
					return err
				}
				key := c.Keys[p.Random.IntN(len(c.Keys))]
				if p.Random.IntN(2) == 0 {
					h.read(ctx, s, id, key)
				} else {
					value := "c" + strconv.Itoa(id) + "-" + strconv.Itoa(n)
					h.Put(ctx, id, key, value, func() error { return s.Put(ctx, key, value) }, c.Unknown)
				}
			}
			return nil
		})
	}
	return wg.Wait(ctx)
}

// ReadAll reads every key once more through s as the final client, once
// the cluster has settled, so that a write acknowledged and then lost
// shows in the history. A read that fails is tried again after wait, ten
// times in all; ReadAll returns the keys that no read reached.
func (h *History) ReadAll(ctx context.Context, p providers.Providers, s Store, keys []string, wait time.Duration) (unread []string, err error) {
	h.reserve(len(keys))
	for _, key := range keys {
		ok := false
		for try := 0; try < 10 && !ok; try++ {
			if ok = h.read(ctx, s, h.final, key); !ok {
				if err := p.Time.Sleep(ctx, wait); err != nil {
					return nil, err
				}
			}
		}
		if !ok {
			unread = append(unread, key)
		}
	}
	return unread, nil
}

func (h *History) read(ctx context.Context, s Store, id int, key string) bool {
	return h.Get(id, key, func() (string, bool, error) { return s.Get(ctx, key) })
}
