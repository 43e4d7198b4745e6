package raftkv_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/moonpool-go/moonpool/assertions"
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

	names   []string // of the keys
	addrs   []string // the nodes' HTTP addresses
	start   time.Time
	history []porcupine.Operation
}

func (w *workload) Name() string { return "linearizable raftkv" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	w.start = p.Time.Now()
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
					w.get(ctx, p, c, id, key)
				} else {
					w.put(ctx, p, c, id, key, "c"+strconv.Itoa(id)+"-"+strconv.Itoa(n))
				}
			}
			return nil
		})
	}
	return wg.Wait(ctx)
}

// The operations of the history, as porcupine sees them.
type (
	input struct {
		put        bool
		key, value string
	}
	output struct {
		value   string
		found   bool
		unknown bool // a put that may or may not have happened
	}
)

func (w *workload) now(p providers.Providers) int64 { return int64(p.Time.Now().Sub(w.start)) }

func (w *workload) get(ctx context.Context, p providers.Providers, c *raftkv.Client, id int, key string) bool {
	call := w.now(p)
	v, found, err := c.Get(ctx, key)
	if err != nil {
		return false // a read that failed changed nothing
	}
	w.history = append(w.history, porcupine.Operation{
		ClientId: id, Input: input{key: key}, Call: call,
		Output: output{value: v, found: found}, Return: w.now(p),
	})
	return true
}

func (w *workload) put(ctx context.Context, p providers.Providers, c *raftkv.Client, id int, key, value string) {
	call := w.now(p)
	err := c.Put(ctx, key, value)
	ret := w.now(p)
	unknown := errors.Is(err, raftkv.ErrIndeterminate)
	assertions.Sometimes(ctx, unknown, "a put ends with an unknown outcome")
	switch {
	case unknown:
		// It may take effect at any time from now on, or never: it
		// returns at the end of time, as porcupine's docs advise.
		ret = math.MaxInt64
	case err != nil:
		return // it took no effect
	}
	w.history = append(w.history, porcupine.Operation{
		ClientId: id, Input: input{put: true, key: key, value: value}, Call: call,
		Output: output{unknown: unknown}, Return: ret,
	})
}

// Check reads every key once more, now that the cluster has settled, so
// that a write acknowledged and then lost shows, and checks the history.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	c := raftkv.NewClient(p, w.addrs, raftkv.ClientOptions{})
	defer c.Close()
	for _, key := range w.names {
		for try := 0; try < 10 && !w.get(ctx, p, c, w.clients, key); try++ {
			if err := p.Time.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	}
	ok := porcupine.CheckOperations(kvModel(), w.history)
	assertions.Always(ctx, ok, "the history is linearizable")
	if ok {
		return nil
	}
	return w.explain()
}

// explain names the keys whose histories are not linearizable and lists
// their operations, with the cluster's story around them.
func (w *workload) explain() error {
	var b strings.Builder
	for _, ops := range kvModel().Partition(w.history) {
		if porcupine.CheckOperations(porcupine.Model{Init: kvModel().Init, Step: kvModel().Step}, ops) {
			continue
		}
		key := ops[0].Input.(input).key
		fmt.Fprintf(&b, "\nthe history of %s is not linearizable; its operations, by call time:", key)
		slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
		for _, op := range ops {
			fmt.Fprintf(&b, "\n  %s", w.describe(op))
		}
	}
	if w.story != nil {
		b.WriteString("\nthe cluster's leaders, reboots and partitions:")
		for _, e := range w.story() {
			fmt.Fprintf(&b, "\n  %v", e)
		}
	}
	return fmt.Errorf("a history that is not linearizable:%s", b.String())
}

// describe gives op's call and return times, its client (the final reads
// have their own), and what it did.
func (w *workload) describe(op porcupine.Operation) string {
	ret := time.Duration(op.Return).String()
	if op.Return == math.MaxInt64 {
		ret = "?"
	}
	who := fmt.Sprintf("client %d", op.ClientId)
	if op.ClientId == w.clients {
		who = "final read"
	}
	return fmt.Sprintf("%15v .. %15s  %-10s  %s", time.Duration(op.Call), ret, who, opString(op.Input, op.Output))
}

func opString(i, o any) string {
	in, out := i.(input), o.(output)
	switch {
	case in.put && out.unknown:
		return fmt.Sprintf("put %s=%s: unknown outcome", in.key, in.value)
	case in.put:
		return fmt.Sprintf("put %s=%s", in.key, in.value)
	case out.found:
		return fmt.Sprintf("get %s -> %s", in.key, out.value)
	}
	return fmt.Sprintf("get %s -> not found", in.key)
}

// kvModel is a map of keys to values, checked one key at a time.
func kvModel() porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[string][]porcupine.Operation{}
			for _, op := range h {
				k := op.Input.(input).key
				byKey[k] = append(byKey[k], op)
			}
			keys := slices.Sorted(maps.Keys(byKey))
			out := make([][]porcupine.Operation, 0, len(keys))
			for _, k := range keys {
				out = append(out, byKey[k])
			}
			return out
		},
		// The state of one key: its value, if any.
		Init: func() any { return output{} },
		Step: func(state, in, out any) (bool, any) {
			s, i := state.(output), in.(input)
			if i.put {
				return true, output{value: i.value, found: true}
			}
			o := out.(output)
			return o.found == s.found && o.value == s.value, s
		},
		DescribeOperation: opString,
	}
}
