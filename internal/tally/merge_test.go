package tally

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// drawCall draws one assertion call of a few kinds, messages and values.
func drawCall(t *rapid.T) simctx.Assertion {
	where := &simctx.Where{File: "/src/x.go", Func: "x.F"}
	v := float64(rapid.IntRange(0, 6).Draw(t, "v"))
	switch rapid.IntRange(0, 6).Draw(t, "kind") {
	case 0:
		where.Line = 10
		return simctx.Assertion{Kind: simctx.Always, Msg: "always", OK: v != 0, Args: []any{"v", v}, Where: where}
	case 1:
		where.Line = 11
		return simctx.Assertion{Kind: simctx.Sometimes, Msg: "sometimes", OK: v == 5, Args: []any{"v", v}, Where: where}
	case 2:
		where.Line = 12
		return simctx.Assertion{Kind: simctx.AlwaysLessThan, Msg: "lt", Left: v, Right: 5, OK: v < 5, Where: where}
	case 3:
		where.Line = 13
		return simctx.Assertion{Kind: simctx.SometimesGreaterThan, Msg: "gt", Left: v, Right: 3 + v/2, OK: v > 3+v/2, Where: where}
	case 4:
		where.Line = 14
		return simctx.Assertion{Kind: simctx.SometimesAll, Msg: "all", Where: where,
			Conds: []simctx.Condition{{Name: "a", Holds: v > 2}, {Name: "b", Holds: v < 5}, {Name: "c", Holds: int(v)%2 == 0}}}
	case 5:
		where.Line = 15
		return simctx.Assertion{Kind: simctx.SometimesEach, Msg: "each", Args: []any{"v", int(v) % 3, assertions.Quality{Name: "q", Value: v}}, Where: where}
	}
	where.Line = 16
	return simctx.Assertion{Kind: simctx.Reachable, Msg: "reached", OK: true, Where: where}
}

// TestMergedShardsAreOneRun checks that the tables of books that each ran
// every nth seed merge into the table of one book that ran them all.
func TestMergedShardsAreOneRun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seeds := rapid.SliceOfN(rapid.SliceOfN(rapid.Custom(drawCall), 0, 6), 1, 12).Draw(t, "seeds")
		n := rapid.IntRange(1, 4).Draw(t, "shards")
		sites := NewSites()
		run := func(b *Book, i int) {
			c := &clock{task: "driver"}
			s := b.Begin(uint64(100+i), c, Hooks{})
			for j, a := range seeds[i] {
				c.now = time.Duration(j) * time.Second
				s.Assert(a)
			}
			s.End()
		}
		whole := New(sites)
		for i := range seeds {
			run(whole, i)
		}
		tables := make([][]Row, n)
		for k := range n {
			b := New(sites)
			for i := k; i < len(seeds); i += n {
				run(b, i)
			}
			tables[k] = b.Rows()
		}
		got := MergeRows(tables, func(seed uint64) int64 { return int64(seed) - 100 })
		if diff := cmp.Diff(whole.Rows(), got); diff != "" {
			t.Fatalf("merged shards differ from one run (-one +merged):\n%s", diff)
		}
	})
}

func TestMergedStaticRows(t *testing.T) {
	site := func(line int) *Site { return &Site{File: "/src/x.go", Line: line} }
	a := []Row{
		{Kind: simctx.Sometimes, Msg: "s", Site: site(3), Status: OK, Calls: 1, Passes: 1, Seeds: 1, SeedsTrue: 1},
		{Kind: simctx.Always, Msg: "never", Site: site(9), Status: NeverReached, Static: true},
		{Kind: simctx.Always, Msg: "", Site: site(11), Status: NeverReached, Static: true},
	}
	b := []Row{
		{Kind: simctx.Always, Msg: "never", Site: site(9), Status: OK, Calls: 2, Passes: 2, Seeds: 1},
		{Kind: simctx.Sometimes, Msg: "s", Site: site(3), Status: NeverTrue, Calls: 1, Seeds: 1},
		{Kind: simctx.Always, Msg: "", Site: site(11), Status: NeverReached, Static: true},
	}
	got := MergeRows([][]Row{a, b}, func(uint64) int64 { return 0 })
	want := []Row{
		{Kind: simctx.Sometimes, Msg: "s", Site: site(3), Status: OK, Calls: 2, Passes: 1, Seeds: 2, SeedsTrue: 1},
		{Kind: simctx.Always, Msg: "never", Site: site(9), Status: OK, Calls: 2, Passes: 2, Seeds: 1},
		{Kind: simctx.Always, Msg: "", Site: site(11), Status: NeverReached, Static: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// Merging tables leaves them as they were: the merged rows own their
// buckets' qualities.
func TestMergeLeavesItsTablesAlone(t *testing.T) {
	row := func(best float64) Row {
		return Row{Kind: simctx.SometimesEach, Msg: "each", Buckets: []Bucket{
			{Identity: []Detail{{Key: "v", Value: "1"}}, Calls: 1, Seeds: 1, Qualities: []BestQuality{{Name: "q", Best: best}}},
		}}
	}
	a, b := []Row{row(1)}, []Row{row(5)}
	merged := MergeRows([][]Row{a, b}, func(seed uint64) int64 { return int64(seed) })
	if diff := cmp.Diff([]Row{row(1)}, a); diff != "" {
		t.Errorf("the first table changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff([]Row{row(5)}, b); diff != "" {
		t.Errorf("the second table changed (-before +after):\n%s", diff)
	}
	if got := merged[0].Buckets[0].Qualities[0].Best; got != 5 {
		t.Errorf("merged best quality = %v, want 5", got)
	}
}

// TestSeedBooksMergedAreOneBook checks that books of one seed each,
// merged in seed order, make the rows of one book that heard every seed.
func TestSeedBooksMergedAreOneBook(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seeds := rapid.SliceOfN(rapid.SliceOfN(rapid.Custom(drawCall), 0, 6), 1, 12).Draw(t, "seeds")
		sites := NewSites()
		run := func(b *Book, i int) {
			c := &clock{task: "driver"}
			s := b.Begin(uint64(100+i), c, Hooks{})
			for j, a := range seeds[i] {
				c.now = time.Duration(j) * time.Second
				s.Assert(a)
			}
			s.End()
		}
		whole, merged := New(sites), New(sites)
		for i := range seeds {
			run(whole, i)
			own := New(sites)
			run(own, i)
			merged.Merge(own)
		}
		if diff := cmp.Diff(whole.Rows(), merged.Rows()); diff != "" {
			t.Fatalf("merged books differ from one book (-one +merged):\n%s", diff)
		}
		if c := merged.Clashes(); c != nil {
			t.Fatalf("clashes in calls that agree: %q", c)
		}
	})
}

// TestBucketsPastTheBoundAcrossSeeds: seeds whose buckets add up past
// assertions.MaxBuckets make a misuse of the Run, as one book would.
func TestBucketsPastTheBoundAcrossSeeds(t *testing.T) {
	sites := NewSites()
	where := &simctx.Where{File: "/src/x.go", Func: "x.F", Line: 7}
	run := New(sites)
	half := assertions.MaxBuckets/2 + 1
	for seed := range 2 {
		own := New(sites)
		s := own.Begin(uint64(seed), nil, Hooks{Fail: func(msg string, _ []any) { t.Errorf("seed %d failed alone: %s", seed, msg) }})
		for i := range half {
			s.Assert(simctx.Assertion{Kind: simctx.SometimesEach, Msg: "each", OK: true, Args: []any{"n", seed*half + i}, Where: where})
		}
		s.End()
		run.Merge(own)
	}
	want := []string{"assertions.SometimesEach \"each\" at x.go:7: it made more than 10000 buckets across the Run's seeds; its identity values must come from a small set (a node, a state, a term), not a counter, a time or a random number"}
	if diff := cmp.Diff(want, run.Clashes()); diff != "" {
		t.Errorf("clashes (-want +got):\n%s", diff)
	}
	rows := run.Rows()
	if len(rows) != 1 || rows[0].Status != Failed || len(rows[0].Buckets) != assertions.MaxBuckets {
		t.Errorf("rows = %d, status %v, %d buckets; want one row, failed, with %d buckets", len(rows), rows[0].Status, len(rows[0].Buckets), assertions.MaxBuckets)
	}
}

// TestMergedTablesFindAMessageOfTwoKinds: shards that each used a message
// as one kind, but not the same one, misused it, as one Run of all their
// seeds would have found.
func TestMergedTablesFindAMessageOfTwoKinds(t *testing.T) {
	site := func(line int) *Site { return &Site{File: "/src/x.go", Line: line} }
	a := []Row{{Kind: simctx.Always, Msg: "m", Site: site(3), Status: OK, Calls: 1, Passes: 1, Seeds: 1}}
	b := []Row{{Kind: simctx.Sometimes, Msg: "m", Site: site(5), Status: OK, Calls: 1, Passes: 1, Seeds: 1, SeedsTrue: 1}}
	got := MergeRows([][]Row{a, b}, func(uint64) int64 { return 0 })
	want := []Row{
		{Kind: simctx.Always, Msg: "m", Site: site(3), Status: Failed, Misused: true, Calls: 1, Passes: 1, Seeds: 1},
		{Kind: simctx.Sometimes, Msg: "m", Site: site(5), Status: Failed, Misused: true, Calls: 1, Passes: 1, Seeds: 1, SeedsTrue: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestMergedTablesFindChangedConditions: a SometimesAll whose conditions
// differ between tables is misused, as one Run would have found.
func TestMergedTablesFindChangedConditions(t *testing.T) {
	row := func(conds ...string) Row {
		return Row{Kind: simctx.SometimesAll, Msg: "all", Site: &Site{File: "/src/x.go", Line: 3}, Status: NeverTrue, Calls: 1, Fails: 1, Seeds: 1,
			Conditions: conds, Frontier: 1, AtFrontier: conds[:1]}
	}
	got := MergeRows([][]Row{{row("a", "b")}, {row("a", "c")}}, func(uint64) int64 { return 0 })
	if len(got) != 1 || !got[0].Misused || got[0].Status != Failed {
		t.Fatalf("merged rows = %+v, want one, misused and failed", got)
	}
	got = MergeRows([][]Row{{row("a", "b")}, {row("a", "b")}}, func(uint64) int64 { return 0 })
	if len(got) != 1 || got[0].Misused {
		t.Fatalf("merged rows = %+v, want one, not misused", got)
	}
}

// A merge lists each unentered call once, and not one that another table
// holds (reached, or read for its table) at its line or by its message,
// nor one another Run reached and misused.
func TestMergeUnentered(t *testing.T) {
	at := func(line int) *Site { return &Site{File: "/m/p/rare.go", Line: line} }
	lists := [][]Unentered{
		{{simctx.Reachable, "rare", at(3), ""}, {simctx.Always, "kept", at(5), ""}, {simctx.Sometimes, "read", at(7), ""}},
		{{simctx.Always, "kept", at(5), ""}, {simctx.Sometimes, "misused", at(9), ""}, {simctx.Reachable, "", at(11), ""}},
	}
	rows := []Row{
		{Kind: simctx.Reachable, Msg: "rare", Site: &Site{File: "/m/p/other.go", Line: 40}, Status: OK},
		{Kind: simctx.Sometimes, Msg: "read", Site: at(7), Static: true, Status: NeverReached},
	}
	misused := map[CallKey]bool{KeyOf(at(9), simctx.Sometimes): true}
	got := MergeUnentered(lists, rows, misused)
	want := []Unentered{{simctx.Always, "kept", at(5), ""}, {simctx.Reachable, "", at(11), ""}}
	assert.Empty(t, cmp.Diff(want, got))
}
