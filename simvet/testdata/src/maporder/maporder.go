package maporder

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/moonpool-go/moonpool/providers"
)

// Spawn starts a task per peer, named and ordered by the map.
func Spawn(ctx context.Context, p providers.Providers, peers map[string]int) {
	for name := range peers { // want `ranging over a map visits keys in an order no seed replays, and a task started \(Go\) carries that order out of the loop`
		p.Task.Go(ctx, "peer-"+name, func(ctx context.Context) error { return nil })
	}
}

// Names builds task names in map order, then starts tasks from them.
func Names(ctx context.Context, p providers.Providers, peers map[string]int) {
	var names []string
	for name, n := range peers { // want `an append to names, used after the loop unsorted`
		names = append(names, fmt.Sprint(name, n))
	}
	for _, n := range names {
		p.Task.Go(ctx, n, func(ctx context.Context) error { return nil })
	}
}

// Keys returns the keys in map order.
func Keys(m map[int]bool) []int {
	var keys []int
	for k := range m { // want `an append to keys, used after the loop unsorted`
		keys = append(keys, k)
	}
	return keys
}

type state struct{ out []string }

func (s *state) collect(m map[string]string) {
	for _, v := range m { // want `an append to s.out`
		s.out = append(s.out, v)
	}
}

func Write(w io.Writer, m map[string]int) {
	for k, v := range m { // want `a write \(fmt.Fprintf\)`
		fmt.Fprintf(w, "%s=%d\n", k, v)
	}
}

func Send(ch chan<- string, m map[string]int) {
	for k := range m { // want `a channel send`
		ch <- k
	}
}

func ProvidedSend(ctx context.Context, ch *providers.Chan[string], m map[string]int) {
	for k := range m { // want `a send`
		ch.Send(ctx, k)
	}
}

// Cancel cancels tasks in map order, which orders their wake-ups.
func Cancel(tasks map[string]providers.Handle) {
	for _, h := range tasks { // want `a provider call \(Cancel\)`
		h.Cancel()
	}
}

// Order that stays in the loop, or is sorted after it, is fine.
func Fine(m map[string]int) (int, []string) {
	total := 0
	for _, v := range m {
		total += v
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for k := range m {
		delete(m, k)
	}
	return total, keys
}

func Counted(m map[string]int) int {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return len(keys)
}
