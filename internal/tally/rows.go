package tally

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Status is what a Run made of an assertion.
type Status string

// The statuses.
const (
	OK           Status = "ok"
	Failed       Status = "FAILED"        // an Always failed, an Unreachable was reached, or a misuse
	NeverReached Status = "never reached" // no seed reached it
	NeverTrue    Status = "never true"    // reached, but never held (all at once, for SometimesAll)
)

// Row is one assertion's line of the report.
type Row struct {
	Kind simctx.AssertKind
	// Msg is the message; empty for a call found in the source whose
	// message is not a string literal.
	Msg    string
	Site   *Site
	Status Status
	// Static reports an assertion known from the source only.
	Static bool
	// Simless, for a Static one, is its context argument when the source
	// shows that it carries no simulation ("context.Background()"): no
	// seed can reach it, wherever its code runs.
	Simless string
	// Misused reports a call that misused it (a NaN operand, a bad
	// identity): the seed failed with the reason.
	Misused bool

	Calls, Passes, Fails uint64
	// Seeds counts the seeds that reached it, and SeedsTrue those in which
	// it held: a Sometimes's came true at least once, an Always's held
	// every time it was reached (an Unreachable's, reached, never holds).
	Seeds, SeedsTrue int

	Watermark  *Watermark // numeric forms
	Conditions []string   // SometimesAll
	Frontier   int        // SometimesAll: most conditions true at once
	AtFrontier []string   // SometimesAll: the conditions true at the frontier
	// FrontierSeed is the seed that first reached the frontier.
	FrontierSeed uint64
	Buckets      []Bucket // SometimesEach, ordered by identity

	FirstFail *Hit // the first failure in the Run
	FirstPass *Hit // the first time it held
}

// Watermark is the comparison of a numeric assertion that came closest to
// failing (Always forms) or to holding (Sometimes forms).
type Watermark struct {
	Left, Right float64
	Margin      float64 // how far left was on the holding side of right
	Duration    bool    // the operands are time.Durations
	Op          string  // ">", ">=", "<" or "<="
	Seed        uint64  // the seed that first made it
}

func (w *Watermark) String() string {
	return formatNumber(w.Left, w.Duration) + " " + w.Op + " " + formatNumber(w.Right, w.Duration)
}

// Bucket is one identity a SometimesEach was reached with.
type Bucket struct {
	Identity  []Detail
	Calls     uint64
	Seeds     int
	Qualities []BestQuality
}

// BestQuality is the best value of one quality in a bucket.
type BestQuality struct {
	Name string  `json:"name"`
	Best float64 `json:"best"`
}

// Gap reports an assertion the Run did not exercise as it should: a
// Sometimes never true, or an assertion that had to be reached and was not.
func (r Row) Gap() bool {
	return r.Status == NeverTrue || r.Status == NeverReached
}

// Progress says how far the assertion got, for the report's table.
func (r Row) Progress() string {
	switch {
	case r.Misused:
		return "misused"
	case r.Watermark != nil:
		if r.Kind.IsAlways() {
			return "worst " + r.Watermark.String()
		}
		return "best " + r.Watermark.String()
	case r.Kind == simctx.SometimesAll && r.Conditions != nil:
		return fmt.Sprintf("%d of %d at once", r.Frontier, len(r.Conditions))
	case r.Kind == simctx.SometimesEach:
		if len(r.Buckets) == 1 {
			return "1 bucket"
		}
		return fmt.Sprintf("%d buckets", len(r.Buckets))
	case r.FirstFail != nil:
		return "first in " + r.FirstFail.where()
	case !r.Kind.IsAlways() && r.SeedsTrue > 0:
		return fmt.Sprintf("true in %s", plural.Count(r.SeedsTrue, "seed"))
	}
	return ""
}

// maxRecipeShown is the longest recipe the table gives whole: one or two
// branch points. A deeper one would stretch every row of the table.
const maxRecipeShown = 100

// where names the run the hit was seen in, so that what a reader copies
// from the table replays it: a timeline that branched from its seed's
// run is not the seed's run, and the seed alone passes.
func (h *Hit) where() string {
	switch {
	case h.Recipe == "":
		return fmt.Sprintf("seed %d", h.Seed)
	case len(h.Recipe) <= maxRecipeShown:
		return "timeline " + h.Recipe
	}
	return fmt.Sprintf("a timeline branched from seed %d (its recipe is on the replay line)", h.Seed)
}

// Rows returns the table of the Run's assertions, ordered by site (file,
// line), then message: the order of the code, whatever the order in which
// seeds reached them.
func (b *Book) Rows() []Row {
	rows := make([]Row, 0, len(b.entries)+len(b.static))
	for _, e := range b.entries {
		rows = append(rows, e.row())
	}
	for _, e := range b.static {
		r := e.row()
		r.Static, r.Simless = true, e.simless
		rows = append(rows, r)
	}
	slices.SortFunc(rows, compareRows)
	return rows
}

func compareRows(a, b Row) int {
	if c := compareSites(a.Site, b.Site); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.Msg, b.Msg), cmp.Compare(a.Kind, b.Kind))
}

func compareSites(a, b *Site) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

func (e *Entry) row() Row {
	r := Row{
		Kind: e.kind, Msg: e.msg, Site: e.site,
		Calls: e.calls, Passes: e.passes, Fails: e.fails,
		Seeds: e.seeds, SeedsTrue: e.seedsTrue,
		FirstFail: e.firstFail, FirstPass: e.firstPass,
	}
	if e.kind.IsAlways() {
		// Held in every seed that reached it but those it failed in.
		r.SeedsTrue = e.seeds - e.seedsFailed
	}
	r.Status = e.status()
	r.Misused = e.misused
	if e.mark.set {
		r.Watermark = &Watermark{Left: e.mark.left, Right: e.mark.right, Margin: e.mark.margin, Duration: e.mark.duration, Op: operator(e.kind), Seed: e.mark.seed}
	}
	if e.conds != nil {
		r.Conditions = e.conds
		r.Frontier, r.FrontierSeed = e.frontier, e.atSeed
		for i, ok := range e.atBest {
			if ok {
				r.AtFrontier = append(r.AtFrontier, e.conds[i])
			}
		}
	}
	if e.each != nil {
		list := slices.Clone(e.each.list)
		slices.SortFunc(list, func(a, b *bucket) int { return strings.Compare(a.text, b.text) })
		for _, bk := range list {
			out := Bucket{Identity: bk.identity, Calls: bk.calls, Seeds: bk.seeds}
			for _, q := range bk.quals {
				out.Qualities = append(out.Qualities, BestQuality{Name: q.name, Best: q.best})
			}
			r.Buckets = append(r.Buckets, out)
		}
	}
	return r
}

func (e *Entry) status() Status {
	return status(e.kind, e.misused, e.calls, e.passes, e.fails)
}

func status(k simctx.AssertKind, misused bool, calls, passes, fails uint64) Status {
	switch {
	case misused, fails > 0 && k.IsAlways():
		return Failed
	case calls == 0 && mayGoUnreached(k):
		return OK
	case calls == 0:
		return NeverReached
	case k.IsAlways():
		return OK
	case passes == 0:
		return NeverTrue
	}
	return OK
}
