package maporder

import (
	"context"
	"maps"
	"slices"

	"github.com/moonpool-go/moonpool/providers"
)

var order []string

// A slice collected from a map is in the map's order.
func Collected(ctx context.Context, p providers.Providers, m map[string]int) []string {
	names := slices.Collect(maps.Keys(m)) // want `slices.Collect lists a map's entries in an order no seed replays, and names, used unsorted, carries that order out`
	for _, n := range names {
		p.Task.Go(ctx, n, func(ctx context.Context) error { return nil })
	}
	order = slices.Collect(maps.Keys(m))             // want `and package-level order carries that order out`
	for _, k := range slices.Collect(maps.Keys(m)) { // want `ranging over a map visits keys in an order no seed replays, and a task started \(Go\)`
		p.Task.Go(ctx, k, func(ctx context.Context) error { return nil })
	}
	return slices.Collect(maps.Keys(m)) // want `slices.Collect lists a map's entries in an order no seed replays, and the return carries that order out`
}

// Sorted before it is used, counted, or sorted as it is collected: fine.
func CollectedFine(m map[string]int) ([]string, int) {
	keys := slices.Collect(maps.Keys(m))
	slices.Sort(keys)
	vals := slices.Collect(maps.Values(m))
	return append(keys, slices.Sorted(maps.Keys(m))...), len(vals)
}

// Appended from a map's iterator, or cut from a slice in the map's order.
func Appended(m map[string]int) ([]string, []string) {
	some := slices.Collect(maps.Keys(m))[:2]                   // want `slices.Collect lists a map's entries in an order no seed replays, and a slice of it keeps the entries that order puts there`
	return some, slices.AppendSeq([]string{"a"}, maps.Keys(m)) // want `slices.AppendSeq lists a map's entries in an order no seed replays, and the return carries that order out`
}
