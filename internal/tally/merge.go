package tally

import (
	"cmp"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// MergeRows merges the assertion tables of Runs over disjoint sets of
// seeds (the shards of a sweep) into the table one Run over all of them
// would have made. place gives a seed's place in that Run's order: of two
// first hits, watermarks or frontiers equally good, the one made by the
// earlier seed stands, as it does in one Run. Counts add up; an assertion
// found only in the source (Static) in every table stays so, and one that
// any table reached is reached.
//
// One Run keeps at most assertions.MaxBuckets buckets of a SometimesEach;
// merged tables keep every bucket any of them has. A message that tables
// reached as two kinds makes a row of each, both misused.
func MergeRows(tables [][]Row, place func(seed uint64) int64) []Row {
	type key struct {
		kind simctx.AssertKind
		msg  string
	}
	reached := make(map[key]*Row)
	var order []key
	for _, rows := range tables {
		for _, r := range rows {
			if r.Static {
				continue
			}
			k := key{r.Kind, r.Msg}
			if m := reached[k]; m != nil {
				m.add(r, place)
				continue
			}
			c := r
			c.Buckets = slices.Clone(r.Buckets)
			for i, b := range c.Buckets {
				c.Buckets[i] = b.clone()
			}
			reached[k] = &c
			order = append(order, k)
		}
	}
	// One message reached as two kinds, each in tables of its own, is
	// the misuse one Run over all their seeds would have found.
	kinds := make(map[string]simctx.AssertKind)
	for _, k := range order {
		if first, ok := kinds[k.msg]; ok && first != k.kind && k.msg != "" {
			reached[key{first, k.msg}].Misused = true
			reached[k].Misused = true
			continue
		}
		kinds[k.msg] = k.kind
	}
	out := make([]Row, 0, len(order))
	for _, k := range order {
		r := reached[k]
		r.Status = status(r.Kind, r.Misused, r.Calls, r.Passes, r.Fails)
		out = append(out, *r)
	}
	// An assertion found in the source by one table may have been reached
	// by another: at its line, or by its message from another line.
	type at struct {
		file string
		line int
		kind simctx.AssertKind
		msg  string
	}
	seen := make(map[at]bool)
	for _, r := range out {
		if r.Site != nil {
			seen[at{r.Site.File, r.Site.Line, r.Kind, ""}] = true
		}
	}
	for _, rows := range tables {
		for _, r := range rows {
			if !r.Static || r.Site == nil {
				continue
			}
			if r.Msg != "" && reached[key{r.Kind, r.Msg}] != nil || seen[at{r.Site.File, r.Site.Line, r.Kind, ""}] {
				continue
			}
			a := at{r.Site.File, r.Site.Line, r.Kind, r.Msg}
			if seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, r)
		}
	}
	slices.SortFunc(out, compareRows)
	return out
}

// add merges o, the same assertion's row from another table, into r.
func (r *Row) add(o Row, place func(uint64) int64) {
	r.Calls += o.Calls
	r.Passes += o.Passes
	r.Fails += o.Fails
	r.Seeds += o.Seeds
	r.SeedsTrue += o.SeedsTrue
	r.Misused = r.Misused || o.Misused
	earlier := func(a, b *Hit) *Hit {
		if a == nil || b != nil && place(b.Seed) < place(a.Seed) {
			return b
		}
		return a
	}
	r.FirstFail = earlier(r.FirstFail, o.FirstFail)
	r.FirstPass = earlier(r.FirstPass, o.FirstPass)
	if w := o.Watermark; w != nil {
		m := mark{set: r.Watermark != nil}
		if m.set {
			m.margin = r.Watermark.Margin
		}
		tie := m.set && w.Margin == m.margin && place(w.Seed) < place(r.Watermark.Seed)
		if m.better(r.Kind, w.Margin) || tie {
			r.Watermark = w
		}
	}
	if o.Conditions != nil && r.Conditions != nil && !slices.Equal(o.Conditions, r.Conditions) {
		// The conditions changed between the tables' seeds: a misuse, as
		// in one Run.
		r.Misused = true
	}
	if o.Conditions != nil {
		if r.Conditions == nil || o.Frontier > r.Frontier || o.Frontier == r.Frontier && place(o.FrontierSeed) < place(r.FrontierSeed) {
			r.Conditions, r.Frontier, r.AtFrontier, r.FrontierSeed = o.Conditions, o.Frontier, o.AtFrontier, o.FrontierSeed
		}
	}
	if len(o.Buckets) > 0 {
		r.Buckets = mergeBuckets(r.Buckets, o.Buckets)
	}
}

// clone returns a copy of b whose qualities a merge may change and leave
// b's alone.
func (b Bucket) clone() Bucket {
	b.Qualities = slices.Clone(b.Qualities)
	return b
}

// mergeBuckets adds the buckets of from to to, ordered by identity as a
// Row's are.
func mergeBuckets(to, from []Bucket) []Bucket {
	index := make(map[string]int, len(to))
	for i, b := range to {
		index[formatDetails(b.Identity)] = i
	}
	for _, fb := range from {
		text := formatDetails(fb.Identity)
		i, ok := index[text]
		if !ok {
			index[text] = len(to)
			to = append(to, fb.clone())
			continue
		}
		b := &to[i]
		b.Calls += fb.Calls
		b.Seeds += fb.Seeds
		for _, fq := range fb.Qualities {
			j := slices.IndexFunc(b.Qualities, func(q BestQuality) bool { return q.Name == fq.Name })
			switch {
			case j < 0:
				b.Qualities = append(b.Qualities, fq)
			case fq.Best > b.Qualities[j].Best:
				b.Qualities[j].Best = fq.Best
			}
		}
	}
	slices.SortFunc(to, func(a, b Bucket) int {
		return strings.Compare(formatDetails(a.Identity), formatDetails(b.Identity))
	})
	return to
}

// MergeUnentered merges the Unentered lists of Runs over disjoint sets of
// seeds into the list one Run over all of them would have made, as near
// as their lists tell: each call once, and not one that rows (the merged
// table) holds, which another Run reached or read for its table, at its
// line or by its message, nor one that misused says another Run reached
// and misused.
func MergeUnentered(lists [][]Unentered, rows []Row, misused map[CallKey]bool) []Unentered {
	type named struct {
		kind simctx.AssertKind
		msg  string
	}
	inTable := make(map[CallKey]bool)
	byMsg := make(map[named]bool)
	for _, r := range rows {
		if r.Site != nil {
			inTable[KeyOf(r.Site, r.Kind)] = true
		}
		if r.Msg != "" {
			byMsg[named{r.Kind, r.Msg}] = true
		}
	}
	seen := make(map[CallKey]bool)
	var out []Unentered
	for _, list := range lists {
		for _, c := range list {
			k := KeyOf(c.Site, c.Kind)
			if seen[k] || inTable[k] || misused[k] || c.Msg != "" && byMsg[named{c.Kind, c.Msg}] {
				continue
			}
			seen[k] = true
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y Unentered) int {
		return cmp.Or(compareSites(x.Site, y.Site), cmp.Compare(x.Kind, y.Kind))
	})
	return out
}
