package maporder

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/providers"
)

// A sync.Map's Range visits in its map's order.

func SyncMapFirst(m *sync.Map) any {
	var first any
	m.Range(func(_, v any) bool { first = v; return false }) // want `sync.Map's Range visits entries in an order no seed replays \(its map's\), and the callback stops at its first entry \(return false\)`
	return first
}

func SendInRange(ctx context.Context, ch *providers.Chan[any], m *sync.Map) {
	m.Range(func(_, v any) bool { _ = ch.Send(ctx, v); return true }) // want `sync.Map's Range visits entries in an order no seed replays \(its map's\), and a send carries that order out of the callback; collect the keys in the callback, sort them after it, and Load each`
}

type registry struct{ peers sync.Map }

func (r *registry) names() []string {
	var names []string
	r.peers.Range(func(k, _ any) bool { // want `an append to names, used after the loop unsorted`
		names = append(names, k.(string))
		return true
	})
	return names
}

func RangeFunc(ctx context.Context, p providers.Providers, m *sync.Map) {
	for k := range m.Range { // want `ranging over a map visits keys in an order no seed replays, and a task started \(Go\)`
		p.Task.Go(ctx, k.(string), func(ctx context.Context) error { return nil })
	}
}

// Counting, a search, or keys sorted after the Range: fine.
func SyncMapFine(m *sync.Map, want any) (int, any) {
	n := 0
	m.Range(func(_, _ any) bool { n++; return true })
	var found any
	m.Range(func(k, v any) bool {
		if v == want {
			found = k
			return false
		}
		return true
	})
	var keys []string
	m.Range(func(k, _ any) bool { keys = append(keys, k.(string)); return true })
	slices.Sort(keys)
	return n, found
}

// reflect visits a map in its order too.

func ReflectFirst(m map[string]int) string {
	return reflect.ValueOf(m).MapKeys()[0].String() // want `reflect.Value.MapKeys lists a map's entries in an order no seed replays, and an index takes the entry that order puts there; sort the keys first`
}

func ReflectKeys(ctx context.Context, p providers.Providers, v reflect.Value) {
	for _, k := range v.MapKeys() { // want `ranging over a map visits keys in an order no seed replays, and a task started \(Go\)`
		p.Task.Go(ctx, k.String(), func(ctx context.Context) error { return nil })
	}
	keys := v.MapKeys() // want `reflect.Value.MapKeys lists a map's entries in an order no seed replays, and keys, used unsorted, carries that order out; sort the keys first`
	p.Task.Go(ctx, keys[0].String(), func(ctx context.Context) error { return nil })
}

func ReflectIter(ctx context.Context, ch *providers.Chan[string], v reflect.Value) string {
	it := v.MapRange()
	for it.Next() { // want `a reflect.MapIter visits a map's entries in an order no seed replays, and a send carries that order out of the loop`
		_ = ch.Send(ctx, it.Key().String())
	}
	it = v.MapRange()
	for it.Next() { // want `a reflect.MapIter visits .*, and the loop stops at its first entry \(return\)`
		return it.Value().String()
	}
	it = v.MapRange()
	if it.Next() { // want `a reflect.MapIter visits a map's entries in an order no seed replays, and a Next outside a loop takes the first entry that order picks`
		return it.Key().String()
	}
	return ""
}

// Sorted keys, and a count: fine.
func ReflectFine(v reflect.Value) (int, []reflect.Value) {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	n := 0
	for it := v.MapRange(); it.Next(); {
		n++
	}
	return n, keys
}

// An iterator in a field.
type walker struct{ it *reflect.MapIter }

func (w *walker) first() string {
	for w.it.Next() { // want `a reflect.MapIter visits .*, and the loop stops at its first entry \(return\)`
		return w.it.Key().String()
	}
	return ""
}

type service struct {
	name    string
	methods map[string]int
}

type described struct {
	name    string
	methods []string
}

// Each visit builds a value of its own, sorts what it holds, and the
// values are sorted after the Range: fine.
func Describe(m *sync.Map) []described {
	var out []described
	m.Range(func(_, v any) bool {
		s := v.(*service)
		d := described{name: s.name}
		for name := range s.methods {
			d.methods = append(d.methods, name)
		}
		slices.Sort(d.methods)
		out = append(out, d)
		return true
	})
	slices.SortFunc(out, func(a, b described) int { return strings.Compare(a.name, b.name) })
	return out
}

// A pointer declared in the visit may reach a value every visit shares.
func Shared(m map[int]string, all map[string]*described) {
	for _, name := range m { // want `an append to d.methods`
		d := all["x"]
		d.methods = append(d.methods, name)
	}
}

// A Range given a named function, a method value, or a local variable
// holding a literal, is checked as one given the literal.

func sendEach(ctx context.Context, ch *providers.Chan[any]) func(k, v any) bool {
	return func(k, v any) bool { _ = ch.Send(ctx, v); return true }
}

type collector struct {
	last  any
	names []string
}

func (c *collector) visit(k, _ any) bool {
	c.last = k
	return true
}

func (c *collector) count(_, _ any) bool { return true }

func firstOf(k, _ any) bool {
	chosen = k
	return false
}

var chosen any

func NamedCallbacks(ctx context.Context, ch *providers.Chan[any], m *sync.Map) {
	var c collector
	m.Range(c.visit) // want `sync.Map's Range visits .*, and an assignment to c.last keeps the last entry visited, which that order picks`
	m.Range(firstOf) // want `sync.Map's Range visits .*, and firstOf, the callback stops at its first entry \(return false\)`
	send := func(_, v any) bool { _ = ch.Send(ctx, v); return true }
	m.Range(send) // want `sync.Map's Range visits .*, and a send carries that order out of send, the callback`
	m.Range(c.count)
	m.Range(sendEach(ctx, ch)) // a function a call returns: not followed
}

// reflect.Value's Seq and Seq2 visit a map in its order.
func ReflectSeq(ctx context.Context, p providers.Providers, m map[string]int, v reflect.Value) string {
	for k := range reflect.ValueOf(m).Seq() { // want `ranging over a map visits keys in an order no seed replays, and a task started \(Go\)`
		p.Task.Go(ctx, k.String(), func(ctx context.Context) error { return nil })
	}
	if v.Kind() == reflect.Map {
		for k, e := range v.Seq2() { // want `ranging over a map visits keys in an order no seed replays, and the loop stops at the first entry that passes a condition \(return k.String\(\)\)`
			if e.Int() > 0 {
				return k.String()
			}
		}
	}
	switch v.Kind() {
	case reflect.Map:
		return slices.Collect(v.Seq())[0].String() // want `slices.Collect lists a map's entries in an order no seed replays, and an index takes the entry`
	case reflect.Slice:
		for i := range v.Seq() { // a slice's indices, in order
			return i.String()
		}
	}
	return ""
}
