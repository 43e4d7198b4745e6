package tally

import (
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// all records a SometimesAll.
func (s *Seed) all(e *Entry, a simctx.Assertion) {
	if len(a.Conds) == 0 {
		s.misuseOf(e, "it names no conditions; pass at least one, made with assertions.Named")
		return
	}
	if e.conds == nil {
		names := make([]string, len(a.Conds))
		for i, c := range a.Conds {
			if c.Name == "" {
				s.misuseOf(e, fmt.Sprintf("a condition has no name; condition %d of %d is unnamed: name every condition", i+1, len(a.Conds)))
				return
			}
			// A name given twice reads in the report as one condition.
			if slices.Contains(names[:i], c.Name) {
				s.misuseOf(e, fmt.Sprintf("two conditions are named %q; give every condition a name of its own", c.Name))
				return
			}
			names[i] = c.Name
		}
		e.conds = names
	} else if !sameNames(e.conds, a.Conds) {
		s.misuseOf(e, fmt.Sprintf("the conditions changed; they were %v and are now %v: name the same conditions, in the same order, at every call", e.conds, condNames(a.Conds)))
		return
	}
	n := 0
	for _, c := range a.Conds {
		if c.Holds {
			n++
		}
	}
	if n > e.sFrontier {
		e.sFrontier = n
		s.signal(e, progressFrontier, uint64(n), Progress{n: n})
	}
	if n > e.frontier || e.atBest == nil {
		e.frontier, e.atSeed = n, s.seed
		e.atBest = make([]bool, len(a.Conds))
		for i, c := range a.Conds {
			e.atBest[i] = c.Holds
		}
	}
	s.record(e, n == len(a.Conds), Hit{}, nil)
}

func sameNames(names []string, conds []simctx.Condition) bool {
	if len(names) != len(conds) {
		return false
	}
	for i, c := range conds {
		if names[i] != c.Name {
			return false
		}
	}
	return true
}

func condNames(conds []simctx.Condition) []string {
	out := make([]string, len(conds))
	for i, c := range conds {
		out[i] = c.Name
	}
	return out
}

// each is the buckets of a SometimesEach.
type each struct {
	buckets map[eachKey]*bucket
	list    []*bucket // in the order made
}

// eachKey is an identity: its keys and values, in the order given. The
// keys are strings of their own, so that making a key boxes nothing.
type eachKey struct {
	keys [assertions.MaxIdentity]string
	vals [assertions.MaxIdentity]any
}

type bucket struct {
	identity []Detail
	text     string // identity formatted, for order and hashing
	hash     uint64
	calls    uint64
	seeds    int
	epoch    uint32
	quals    []quality
}

// quality returns b's quality named name, added if b has none yet.
func (b *bucket) quality(name string) *quality {
	for i := range b.quals {
		if b.quals[i].name == name {
			return &b.quals[i]
		}
	}
	b.quals = append(b.quals, quality{name: name})
	return &b.quals[len(b.quals)-1]
}

type quality struct {
	name       string
	best, seed float64
	set        bool
	epoch      uint32
}

func newEach() *each { return &each{buckets: make(map[eachKey]*bucket)} }

// each records a SometimesEach.
func (s *Seed) each(e *Entry, a simctx.Assertion) {
	var key eachKey
	var quals [4]assertions.Quality
	nq, n := 0, 0
	var extra []assertions.Quality
	for i := 0; i < len(a.Args); {
		var k string
		var v any
		switch x := a.Args[i].(type) {
		case assertions.Quality:
			if math.IsNaN(x.Value) {
				s.misuseOf(e, fmt.Sprintf("the quality is NaN; quality %q must be a number that grows as the run gets further", x.Name))
				return
			}
			if nq < len(quals) {
				quals[nq] = x
				nq++
			} else {
				extra = append(extra, x)
			}
			i++
			continue
		case slog.Attr:
			k, v = x.Key, x.Value.Any()
			i++
		case string:
			if i+1 == len(a.Args) {
				s.misuseOf(e, fmt.Sprintf("an identity key has no value; the key %q ends the list: give the identity as key/value pairs, such as \"node\", id", x))
				return
			}
			k, v = x, a.Args[i+1]
			i += 2
		default:
			s.misuseOf(e, fmt.Sprintf("an identity value has no key; %v (%T) stands where a key should: give the identity as key/value pairs, such as \"node\", id", x, x))
			return
		}
		if n == assertions.MaxIdentity {
			s.misuseOf(e, fmt.Sprintf("too many identity values; at most %d key/value pairs make a bucket's identity: keep to what tells the situations apart", assertions.MaxIdentity))
			return
		}
		if why := badIdentity(v); why != "" {
			s.misuseOf(e, fmt.Sprintf("an identity value cannot name a bucket; %q is %s", k, why))
			return
		}
		key.keys[n], key.vals[n] = k, v
		n++
	}
	b, err := s.bucket(e, &key, n)
	if err != "" {
		s.misuseOf(e, err)
		return
	}
	e.calls++
	e.passes++
	b.calls++
	if b.epoch != s.epoch {
		b.epoch = s.epoch
		b.seeds++
		s.signal(e, progressBucket, b.hash, Progress{b: b})
	}
	for _, q := range append(quals[:nq], extra...) {
		s.improve(e, b, q)
	}
	if !e.sTrue {
		e.sTrue = true
		e.seedsTrue++
		if e.firstPass == nil {
			e.firstPass = s.hit(Hit{Details: b.identity})
		}
		s.signal(e, progressTrue, 0, Progress{})
	}
}

// bucket finds or makes the bucket of key, or says why it cannot.
func (s *Seed) bucket(e *Entry, key *eachKey, n int) (b *bucket, why string) {
	defer func() {
		// A comparable-looking value can hold an unhashable one (an
		// interface field holding a slice): the map says so by panicking.
		if r := recover(); r != nil {
			b, why = nil, fmt.Sprintf("an identity value cannot name a bucket; %v", r)
		}
	}()
	if b := e.each.buckets[*key]; b != nil {
		return b, ""
	}
	if len(e.each.list) >= assertions.MaxBuckets {
		return nil, fmt.Sprintf("it made more than %d buckets; its identity values must come from a small set (a node, a state, a term), not a counter, a time or a random number", assertions.MaxBuckets)
	}
	b = &bucket{}
	var text strings.Builder
	for i := range n {
		d := Detail{Key: key.keys[i], Value: fmt.Sprint(key.vals[i])}
		b.identity = append(b.identity, d)
		if i > 0 {
			text.WriteByte(' ')
		}
		text.WriteString(d.Key + "=" + quoteIfNeeded(d.Value))
	}
	b.text = text.String()
	b.hash = hashString(b.text)
	e.each.buckets[*key] = b
	e.each.list = append(e.each.list, b)
	return b, ""
}

// badIdentity says why v cannot be an identity value, or returns "".
func badIdentity(v any) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return "NaN, which equals nothing, not even itself"
		}
		return ""
	case float32:
		if math.IsNaN(float64(x)) {
			return "NaN, which equals nothing, not even itself"
		}
		return ""
	case int, int64, uint64, string, bool, int32, uint32, uint, int16, uint16, int8, uint8:
		return ""
	}
	t := reflect.TypeOf(v)
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer, reflect.Chan:
		return fmt.Sprintf("a %v, whose identity is an address that changes from run to run; pass the value that names the thing", t)
	}
	if !t.Comparable() {
		return fmt.Sprintf("a %v, which cannot be compared; pass a number, a string, or a struct of those", t)
	}
	return ""
}

// improve records a quality of bucket b.
func (s *Seed) improve(e *Entry, b *bucket, q assertions.Quality) {
	qp := b.quality(q.Name)
	if qp.epoch != s.epoch || q.Value > qp.seed {
		qp.epoch, qp.seed = s.epoch, q.Value
		s.signal(e, progressQuality, b.hash^mix(hashString(q.Name), level(q.Value)), Progress{b: b, q: q.Name})
	}
	if !qp.set || q.Value > qp.best {
		qp.set, qp.best = true, q.Value
	}
}
