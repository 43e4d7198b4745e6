package maporder

import (
	"errors"
	"iter"
	"maps"
	"slices"
)

// The first entry a map gives: which one is the order's choice.

func AnyKey(m map[string]string) string {
	for k := range m { // want `ranging over a map visits keys in an order no seed replays, and the loop stops at its first entry \(return\), so that order picks the entry it takes; range over slices.Sorted\(maps.Keys\(m\)\) to take the least key`
		return k
	}
	return ""
}

func FirstByBreak(m map[string]string) string {
	var leader string
	for _, a := range m { // want `the loop stops at its first entry \(break\)`
		leader = a
		break
	}
	return leader
}

// The first key is compared, then the loop stops whatever it was.
func FirstIs(m map[string]int) error {
	for k := range m { // want `the loop stops at its first entry \(break\)`
		if k == "n2" {
			return errors.New("n2 came first")
		}
		break
	}
	return nil
}

// The first key that passes a filter, stored by the range itself.
func FirstStored(m map[string]int) (k string) {
	for k = range m { // want `the loop stops at its first entry \(return\)`
		return
	}
	return ""
}

// An entry evicted at random: which one stays is the order's choice.
func EvictOne(m map[string]int) {
	for k := range m { // want `stops at its first entry \(break\)`
		delete(m, k)
		break
	}
}

// Both branches leave: the loop never reaches a second entry.
func EitherWay(m map[int]int) int {
outer:
	for {
		for _, v := range m { // want `stops at its first entry \(break\)`
			if v > 0 {
				break outer
			} else {
				break
			}
		}
		return 0
	}
	return 1
}

func FirstOfKeys(m map[string]bool) string {
	keys := maps.Keys(m)
	for k := range keys { // want `stops at its first entry \(return\)`
		return k
	}
	return ""
}

func FirstCollected(m map[string]bool) string {
	return slices.Collect(maps.Keys(m))[0] // want `slices.Collect lists a map's entries in an order no seed replays, and an index takes the entry that order puts there`
}

func Pulled(m map[string]bool) string {
	next, stop := iter.Pull(maps.Keys(m)) // want `iter.Pull of a map's iterator pulls its entries in an order no seed replays`
	defer stop()
	k, _ := next()
	return k
}

// A search finds the same entry in any order when one entry matches; a
// loop that leaves without an entry's data, or after every entry, or that
// only counts, takes nothing from the order.
func Search(m map[string]int, want int) (string, bool, int) {
	for k, v := range m {
		if v == want {
			return k, true, 0
		}
	}
	for range m {
		return "", true, 0
	}
	for _, v := range m {
		if v < 0 {
			return "", false, 0
		}
	}
	for i := range slices.Collect(maps.Values(m)) {
		return "", false, i // an index, in no map's order
	}
	n := 0
	for k := range m {
		if k == "" {
			continue
		}
		n++
	}
	return "", false, n
}

// The least key, by a rule: fine.
func Least(m map[string]int) string {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		return k
	}
	return ""
}
