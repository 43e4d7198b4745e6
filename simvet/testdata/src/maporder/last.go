package maporder

import (
	"errors"
	"strings"
	"sync"
)

// The last entry a loop visits, or the last that passes a filter, is kept:
// which one that is, the order decides.

func LastKey(m map[string]int) string {
	var last string
	for k := range m { // want `ranging over a map visits keys in an order no seed replays, and an assignment to last keeps the last entry visited, which that order picks; range over slices.Sorted\(maps.Keys\(m\)\) to keep the greatest key`
		last = k
	}
	return last
}

func LastPicked(m map[string]int) (pick string) {
	for k := range m { // want `an assignment to pick keeps an entry that passes the condition above it, which that order picks when several pass`
		if strings.HasPrefix(k, "n") {
			pick = k
		}
	}
	return
}

type node struct {
	ok   bool
	term int
	addr string
}

type cluster struct {
	nodes  map[string]*node
	leader string
}

// Computed from the entry, into a field.
func (c *cluster) elect() {
	for _, n := range c.nodes { // want `an assignment to c.leader keeps an entry that passes the condition`
		addr := n.addr
		if n.ok {
			c.leader = addr
		}
	}
}

// After a continue, what follows runs under the negated condition.
func LastReady(m map[string]*node) string {
	ready := ""
	for k, n := range m { // want `an assignment to ready keeps an entry that passes the condition above it`
		if !n.ok {
			continue
		}
		ready = k
	}
	return ready
}

// A max that keeps the key: of the keys whose terms tie, the last.
func Newest(m map[string]*node) string {
	best, bestKey := -1, ""
	for k, n := range m { // want `an assignment to bestKey keeps, of the entries that tie in the comparison above it, the last that order visits; break the tie by the key as well`
		if n.term > best {
			best, bestKey = n.term, k
		}
	}
	return bestKey
}

func Joined(m map[string]int) string {
	s := ""
	for k := range m { // want `a string built in s \(\+=\) in that order carries it out of the loop`
		s += k + ","
	}
	return s
}

func Errs(m map[string]error) error {
	var err error
	for _, e := range m { // want `an assignment to err keeps the last entry visited`
		err = e
	}
	return err
}

// A filter that stops at the first entry it lets through.
func FirstReady(m map[string]*node) string {
	for k, n := range m { // want `the loop stops at the first entry that passes a condition \(return k\), so when several pass, that order picks the one it takes; range over slices.Sorted\(maps.Keys\(m\)\) to take the least key`
		if n.ok {
			return k
		}
	}
	return ""
}

func FirstReadyBreak(m map[string]*node) *node {
	var found *node
	for _, n := range m { // want `the loop stops at the first entry that passes a condition, keeping it in found`
		if n.ok && n.term > 0 {
			found = n
			break
		}
	}
	return found
}

func SyncMapReady(m *sync.Map) any {
	var found any
	m.Range(func(k, v any) bool { // want `sync.Map's Range visits .*, and the callback stops at the first entry that passes a condition, keeping it in found`
		if v.(*node).ok {
			found = k
			return false
		}
		return true
	})
	return found
}

func SyncMapLast(m *sync.Map) any {
	var last any
	m.Range(func(k, _ any) bool { // want `sync.Map's Range visits .*, and an assignment to last keeps the last entry visited`
		last = k
		return true
	})
	return last
}

// What no order changes: a sum, a count, a max or a min (with the key in
// the comparison to break a tie), a search for one key or one value, a
// set, whether any entry passes, an error kept under a condition, and a
// variable only the loop reads.
func Free(m map[string]*node, want string, byAddr map[string]string) (int, string, string, string, bool, error) {
	total, n, hi := 0, 0, 0
	least := ""
	for k, v := range m {
		total += v.term
		n++
		hi = max(hi, v.term)
		if least == "" || k < least {
			least = k
		}
	}
	best, bestKey := -1, ""
	for k, v := range m {
		if v.term > best || v.term == best && k < bestKey {
			best, bestKey = v.term, k
		}
	}
	var top *node
	for _, v := range m {
		if top == nil || v.term > top.term {
			top = v
		}
	}
	var found, addr string
	for k, v := range m {
		if k == want {
			found = v.addr
		}
		if v.addr == want {
			addr = k
		}
	}
	for k, v := range m {
		if v.addr != want {
			continue
		}
		addr = k
		break
	}
	for k, v := range m {
		byAddr[v.addr] = k
	}
	any := ""
	for k, v := range m {
		if v.ok {
			any = k
		}
	}
	var err error
	for k, v := range m {
		if !v.ok {
			err = errors.New(k + " is down")
		}
	}
	for k, v := range m {
		if !v.ok {
			return 0, "", "", "", false, errors.New(k + " is down")
		}
	}
	var scratch string
	for k := range m {
		scratch = k
		_ = len(scratch)
	}
	return total + n + hi + best, least + bestKey + top.addr, found, addr, any != "", err
}

// Every entry kept is the same one (a conflict leaves the loop), and a
// search by an equality function: fine.
func Agreed(m map[string][]string, want string) (string, int, bool) {
	sum := ""
	for _, sums := range m {
		for _, h := range sums {
			if sum != "" && sum != h {
				return "", 0, false
			}
			sum = h
		}
	}
	for k, i := range map[string]int{} {
		if strings.EqualFold(k, want) {
			return sum, i, true
		}
	}
	return sum, 0, false
}

// Set once, by the first entry that passes: still the order's pick.
func SetOnce(m map[string]*node) string {
	leader := ""
	for k, n := range m { // want `an assignment to leader keeps an entry that passes the condition above it`
		if leader == "" && n.ok {
			leader = k
		}
	}
	return leader
}

// A break inside the loop leaves what it is in: an inner loop, a switch,
// or the loop its label names.
func Breaks(m map[string][]bool, n map[string]*node) (string, string, string) {
	var pick, other, first string
	for k, oks := range m { // want `an assignment to pick keeps an entry that passes the condition above it`
		for _, ok := range oks {
			if ok {
				pick = k
				break
			}
		}
	}
	for k, v := range n { // want `an assignment to other keeps an entry that passes the condition above it`
	sw:
		switch {
		case v.ok:
			other = k
			break sw
		}
	}
outer:
	for k, v := range n { // want `the loop stops at the first entry that passes a condition, keeping it in first`
		for i := range 3 {
			if v.term == i {
				continue
			}
			if v.ok {
				first = k
				break outer
			}
		}
	}
	return pick, other, first
}

// A filter's return after an assignment that keeps nothing.
func AfterAssign(m map[string]*node) string {
	seen := 0
	for k, n := range m { // want `the loop stops at the first entry that passes a condition \(return k\), so when several pass, that order picks the one it takes; range over slices.Sorted\(maps.Keys\(m\)\) to take the least key`
		seen = n.term
		if seen > 0 && n.ok {
			return k
		}
	}
	return ""
}

// Equality with a constant or nil is a filter when the key is not what it
// compares: many entries may be in one state.
func ByState(m map[string]*node, states map[string]string) (string, string) {
	for k, s := range states { // want `the loop stops at the first entry that passes a condition \(return k\)`
		if s == "ready" {
			return k, ""
		}
	}
	var up string
	for k, n := range m { // want `an assignment to up keeps an entry that passes the condition above it`
		if n != nil {
			up = k
		}
	}
	return "", up
}

func sameName(a, b string) bool { return strings.EqualFold(a, b) }

func parse(s string) (int, error) { return len(s), nil }

// A constant key, a same… function, and an error checked at once: fine.
func Checked(m map[string]string, want string) (string, int, error) {
	var v string
	for k, x := range m {
		if k == "a" {
			v = x
		}
	}
	for k, x := range m {
		if sameName(k, want) {
			return x, 0, nil
		}
	}
	total := 0
	var err error
	for _, x := range m {
		var n int
		n, err = parse(x)
		if err != nil {
			return "", 0, err
		}
		total += n
	}
	return v, total, err
}
