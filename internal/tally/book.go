package tally

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/internal/simctx"
)

// Book is the accounting of one Run's assertions. It is used by one seed
// at a time.
type Book struct {
	entries map[string]*Entry // by message
	sites   *Sites
	misused map[misuse]bool // misuses reported, so each is reported once
	static  []*Entry        // found in the source only; see Catalogue
	stale   []string        // files Catalogue passed over as changed since the build
	epoch   uint32          // numbers the seeds
	// clashes are the misuses that only a merge sees: seeds that each
	// used an assertion rightly, in ways that do not agree. See Clashes.
	clashes []string
	// entered are the functions Catalogue reads though no seed reached an
	// assertion in them: the Run's body (see Enter).
	entered []enteredFunc
	// packages are the directories ReadPackage names, and unentered the
	// calls Catalogue found in them and beside the files it read (see
	// Unentered).
	packages  []string
	unentered []Unentered
	// named are the identifiers that the functions Catalogue read in
	// _test.go files use (see readUnentered).
	named map[string]bool
}

// New returns an empty book that names call sites through sites, or
// through a Sites of its own if sites is nil.
func New(sites *Sites) *Book {
	if sites == nil {
		sites = NewSites()
	}
	return &Book{
		entries: make(map[string]*Entry),
		sites:   sites,
		misused: make(map[misuse]bool),
	}
}

// Entry is one assertion: its figures across the Run, and its figures in
// the current seed (those valid while epoch is the seed's).
type Entry struct {
	kind simctx.AssertKind
	msg  string
	hash uint64 // of msg, for progress signals
	site *Site
	more []*Site // other places that call it with the same message, from the source
	// simless, for one known from the source only, is its context when
	// the source shows it carries no simulation (call.simless).
	simless string

	calls, passes, fails uint64
	seeds, seedsTrue     int // seeds that reached it, and in which it held
	// seedsFailed counts the seeds in which an Always failed: it held in
	// the others it reached (Row.SeedsTrue).
	seedsFailed          int
	firstFail, firstPass *Hit

	mark     mark     // numeric forms: the run's watermark
	conds    []string // SometimesAll: the conditions' names
	frontier int      // SometimesAll: most conditions true at once
	atSeed   uint64   // SometimesAll: the seed that reached the frontier
	atBest   []bool   // SometimesAll: which held at the frontier
	each     *each    // SometimesEach

	misused bool // a call misused it; see misuse

	epoch     uint32
	sFailed   bool
	sTrue     bool
	sMark     mark
	sFrontier int
}

// A Hit is a moment an assertion was seen: its first failure, or the first
// time it held.
type Hit struct {
	Seed uint64
	// Recipe is the exploration timeline the hit was seen in, written as
	// explore.Recipe.String writes it, when the timeline branched from
	// Seed's own run (see InTimeline); "" for the seed's own run.
	Recipe      string
	At          time.Duration // simulated time in the seed
	Task        string
	Left, Right float64 // numeric forms
	Details     []Detail
}

// Detail is one key/value pair of an assertion's details, formatted.
type Detail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Clock tells the time and the running task of a seed's world.
type Clock interface {
	Now() time.Duration
	CurrentTask() string
}

// Hooks are how a seed hears from its book.
type Hooks struct {
	// Fail hears that the seed failed an assertion, or misused one: the
	// seed must fail. It is called once per assertion per seed, at the
	// moment of the failure, with a sentence that says which assertion,
	// where, and its details, and the details' key/value pairs as the
	// assertion was given them (nil for a misuse), whose values may be
	// errors the failure carries.
	Fail func(msg string, details []any)
	// Signal hears of each new thing the seed reached: a Sometimes first
	// true in the seed, a better watermark, a frontier advanced, a new
	// bucket or a better quality. p.Sig hashes what was reached, and p
	// names it.
	Signal func(p Progress)
}

// Seed is the accounting of one seed: the world's Asserter.
type Seed struct {
	book  *Book
	seed  uint64
	epoch uint32
	clock Clock
	hooks Hooks
	done  atomic.Bool // set by End; a straggler's late assertions are dropped
	// recent holds entries found by message, indexed by the message's
	// length: a call site passes the same string every time, and
	// comparing it with the one kept, pointer first, is cheaper than
	// hashing it for the book's map. The book's entries stay put for
	// the seed's life, so a kept entry never goes stale.
	recent [16]struct {
		msg string
		e   *Entry
	}
}

// Begin starts the accounting of a seed.
func (b *Book) Begin(seed uint64, clock Clock, hooks Hooks) *Seed {
	b.epoch++
	return &Seed{book: b, seed: seed, epoch: b.epoch, clock: clock, hooks: hooks}
}

// Book returns the book the seed's figures go to.
func (s *Seed) Book() *Book { return s.book }

// Site returns where the assertion is called from.
func (e *Entry) Site() *Site { return e.site }

// End ends the seed's accounting.
func (s *Seed) End() { s.done.Store(true) }

// Assert records one call of an assertion.
func (s *Seed) Assert(a simctx.Assertion) {
	if s.done.Load() {
		return
	}
	r := &s.recent[len(a.Msg)%len(s.recent)]
	e := r.e
	if e == nil || r.msg != a.Msg {
		e = s.book.entries[a.Msg]
		r.msg, r.e = a.Msg, e
	}
	if e == nil || e.kind != a.Kind {
		if e = s.admit(a); e == nil {
			return
		}
		r.e = e
	}
	s.enter(e)
	switch {
	case a.Kind == simctx.SometimesAll:
		s.all(e, a)
	case a.Kind == simctx.SometimesEach:
		s.each(e, a)
	case a.Kind.Numeric():
		s.compare(e, a)
	default:
		s.record(e, a.OK, Hit{}, a.Args)
	}
}

// admit checks the first call of a message, or a call whose kind differs
// from the message's first, and returns its entry, or nil after reporting
// a misuse.
func (s *Seed) admit(a simctx.Assertion) *Entry {
	b := s.book
	var site *Site
	if a.Where != nil {
		site = b.sites.named(a.Where)
	} else {
		site = b.caller()
	}
	if a.Msg == "" {
		s.misuse(site, a.Kind, "", "the message is empty; give every assertion a message that says what it checks: the message names it in reports")
		return nil
	}
	e, err := b.Declare(a.Kind, a.Msg, site) // fails if another kind has the message
	if err != nil {
		s.misuse(site, a.Kind, a.Msg, err.Error())
		return nil
	}
	return e
}

// Declare adds the assertion with msg, of kind k, called at site. The
// simulation's own assertions (invariants) are declared this way, before
// any seed reaches them.
func (b *Book) Declare(k simctx.AssertKind, msg string, site *Site) (*Entry, error) {
	if msg == "" {
		return nil, fmt.Errorf("the message is empty; give it a message that says what it checks")
	}
	if e := b.entries[msg]; e != nil {
		if e.kind != k {
			return nil, fmt.Errorf("the message is already used by %s at %v; give each assertion its own message", article(e.kind), e.site)
		}
		return e, nil
	}
	e := &Entry{kind: k, msg: msg, hash: hashString(msg), site: site}
	if k == simctx.SometimesEach {
		e.each = newEach()
	}
	b.entries[msg] = e
	return e, nil
}

// enter starts e's figures for this seed, the first time the seed
// reaches it.
func (s *Seed) enter(e *Entry) {
	if e.epoch == s.epoch {
		return
	}
	e.epoch = s.epoch
	e.seeds++
	e.sFailed, e.sTrue, e.sMark, e.sFrontier = false, false, mark{}, 0
}

// Check records that the invariant e held, or did not, with details.
func (s *Seed) Check(e *Entry, ok bool, details ...any) {
	if s.done.Load() {
		return
	}
	s.enter(e)
	s.record(e, ok, Hit{}, details)
}

// record counts an outcome, and keeps h, completed with the details args
// make, if it is the seed's first failure or the Run's first pass. h holds
// what the form adds to a Hit: a numeric form's operands.
func (s *Seed) record(e *Entry, ok bool, h Hit, args []any) {
	e.calls++
	if ok {
		e.passes++
	} else {
		e.fails++
	}
	switch {
	case e.kind.IsAlways():
		switch {
		case !ok && !e.sFailed:
			e.sFailed = true
			e.seedsFailed++
			h.Details = details(args)
			s.failed(e, h, args)
		case ok && e.firstPass == nil:
			// Where it first held: a Sometimes's first pass says where it
			// came true, an Always's where it was first reached and held.
			h.Details = details(args)
			e.firstPass = s.hit(h)
		}
	case ok && !e.sTrue:
		e.sTrue = true
		e.seedsTrue++
		if e.firstPass == nil {
			h.Details = details(args)
			e.firstPass = s.hit(h)
		}
		s.signal(e, progressTrue, 0, Progress{})
	}
}

// failed reports the first failure of e in this seed, whose details
// were args.
func (s *Seed) failed(e *Entry, h Hit, args []any) {
	hp := s.hit(h)
	if e.firstFail == nil {
		e.firstFail = hp
	}
	if s.hooks.Fail != nil {
		s.hooks.Fail(describeFailure(e, hp), args)
	}
}

// hit completes h with the seed, the time and the task.
func (s *Seed) hit(h Hit) *Hit {
	h.Seed = s.seed
	if s.clock != nil {
		h.At, h.Task = s.clock.Now(), s.clock.CurrentTask()
	}
	return &h
}

func describeFailure(e *Entry, h *Hit) string {
	what := "failed"
	if e.kind == simctx.Unreachable {
		what = "was reached"
	}
	msg := fmt.Sprintf("%v %q %s (%v)", e.kind, e.msg, what, e.site)
	if e.kind.Numeric() {
		// The seed's mark is set: compare sets it before it reports.
		msg += ": " + formatComparison(e.kind, h.Left, h.Right, e.sMark.duration)
	}
	if len(h.Details) > 0 {
		msg += ": " + formatDetails(h.Details)
	}
	return msg
}

// A misuse is a mistake in an assertion call, reported once per book (a
// seed's, or the Run's for what a merge finds) for each site, assertion
// and sort of mistake (its why, up to the first semicolon).
type misuse struct {
	site *Site
	kind simctx.AssertKind
	msg  string
	sort string
}

// misuseOf reports a misuse of e, which marks it failed.
func (s *Seed) misuseOf(e *Entry, why string) {
	e.misused = true
	s.misuse(e.site, e.kind, e.msg, why)
}

func (s *Seed) misuse(site *Site, k simctx.AssertKind, msg, why string) {
	if s.book.noteMisuse(site, k, msg, why) && s.hooks.Fail != nil {
		s.hooks.Fail(describeMisuse(site, k, msg, why), nil)
	}
}

// noteMisuse records a misuse in b and reports whether it is the first of
// its sort there (see misuse), the one to tell.
func (b *Book) noteMisuse(site *Site, k simctx.AssertKind, msg, why string) bool {
	sort, _, _ := strings.Cut(why, ";")
	m := misuse{site: site, kind: k, msg: msg, sort: sort}
	if b.misused[m] {
		return false
	}
	b.misused[m] = true
	return true
}

func describeMisuse(site *Site, k simctx.AssertKind, msg, why string) string {
	name := "assertions." + k.String()
	if msg != "" {
		name += fmt.Sprintf(" %q", msg)
	}
	return fmt.Sprintf("%s at %v: %s", name, site, why)
}

func article(k simctx.AssertKind) string {
	switch k {
	case simctx.Always, simctx.AlwaysOrUnreachable, simctx.AlwaysGreaterThan, simctx.AlwaysGreaterThanOrEqual,
		simctx.AlwaysLessThan, simctx.AlwaysLessThanOrEqual, simctx.Unreachable:
		return "an " + k.String()
	}
	return "a " + k.String()
}

// mayGoUnreached reports whether a Run may rightly never reach k.
func mayGoUnreached(k simctx.AssertKind) bool {
	return k == simctx.AlwaysOrUnreachable || k == simctx.Unreachable
}

// InTimeline notes that every first hit in b was seen in the exploration
// timeline recipe: b is the book of that one timeline, which branched from
// its seed's own run, and the seed alone does not replay its hits.
func (b *Book) InTimeline(recipe string) {
	for _, e := range b.entries {
		for _, h := range []*Hit{e.firstFail, e.firstPass} {
			if h != nil {
				h.Recipe = recipe
			}
		}
	}
}

// Merge adds the figures of from, the book of one seed run on its own, to
// b, as if that seed had run on b after the seeds b has already heard.
// Every seed keeps a book of its own, merged in seed order, so that a
// seed's outcome is its own (replaying it alone fails it the same way)
// and the Run's figures (first hits, watermarks, frontiers, buckets in
// the order made) are the same on one worker or many. from must name its
// sites through b's Sites, and no seed may be using it.
//
// What no single seed can see, seeds whose calls disagree (one message
// used by two kinds, a SometimesAll whose conditions changed, a
// SometimesEach past assertions.MaxBuckets in all), marks the assertion
// misused and is told by Clashes.
func (b *Book) Merge(from *Book) {
	for m := range from.misused {
		b.misused[m] = true
	}
	// Entries merge in the order of their messages, so that which of
	// two clashes is told first does not depend on a map's order.
	msgs := make([]string, 0, len(from.entries))
	for msg := range from.entries {
		msgs = append(msgs, msg)
	}
	slices.Sort(msgs)
	for _, msg := range msgs {
		fe := from.entries[msg]
		e := b.entries[msg]
		if e == nil {
			e = &Entry{kind: fe.kind, msg: msg, hash: fe.hash, site: fe.site}
			if fe.kind == simctx.SometimesEach {
				e.each = newEach()
			}
			b.entries[msg] = e
		}
		if e.kind != fe.kind {
			// The message keeps its first kind, as in one seed.
			b.clash(e, fe.site, fe.kind, fmt.Sprintf("the message is already used by %s at %v, in an earlier seed; give each assertion its own message", article(e.kind), e.site))
			continue
		}
		if e.conds != nil && fe.conds != nil && !slices.Equal(e.conds, fe.conds) {
			b.clash(e, fe.site, fe.kind, fmt.Sprintf("the conditions changed; they were %v in an earlier seed and are %v in a later one: name the same conditions, in the same order, at every call", e.conds, fe.conds))
			continue
		}
		if over := e.merge(fe); over {
			b.clash(e, e.site, e.kind, fmt.Sprintf("it made more than %d buckets across the Run's seeds; its identity values must come from a small set (a node, a state, a term), not a counter, a time or a random number", assertions.MaxBuckets))
		}
	}
}

// clash records a misuse of e that a merge found, once per Run.
func (b *Book) clash(e *Entry, site *Site, k simctx.AssertKind, why string) {
	e.misused = true
	if b.noteMisuse(site, k, e.msg, why) {
		b.clashes = append(b.clashes, describeMisuse(site, k, e.msg, why))
	}
}

// Clashes returns what merging the seeds' books found wrong with the
// assertion calls (see Merge), a sentence each, in the order found.
func (b *Book) Clashes() []string { return b.clashes }

// merge adds fe's figures to e, and reports whether e's buckets overflowed.
func (e *Entry) merge(fe *Entry) (overflow bool) {
	e.calls += fe.calls
	e.passes += fe.passes
	e.fails += fe.fails
	e.seeds += fe.seeds
	e.seedsTrue += fe.seedsTrue
	e.seedsFailed += fe.seedsFailed
	if e.firstFail == nil {
		e.firstFail = fe.firstFail
	}
	if e.firstPass == nil {
		e.firstPass = fe.firstPass
	}
	if fe.mark.set && e.mark.better(e.kind, fe.mark.margin) {
		e.mark = fe.mark
	}
	if e.conds == nil {
		e.conds = fe.conds
	}
	if fe.atBest != nil && (e.atBest == nil || fe.frontier > e.frontier) {
		e.frontier, e.atBest, e.atSeed = fe.frontier, fe.atBest, fe.atSeed
	}
	e.misused = e.misused || fe.misused
	if fe.each != nil && e.each != nil {
		overflow = e.each.merge(fe.each)
	}
	return overflow
}

// merge adds the buckets of from, in the order they were made, to x, and
// reports whether some did not fit under assertions.MaxBuckets.
func (x *each) merge(from *each) (overflow bool) {
	index := make(map[string]*bucket, len(x.list))
	for _, b := range x.list {
		index[b.text] = b
	}
	for _, fb := range from.list {
		b := index[fb.text]
		if b == nil {
			if len(x.list) >= assertions.MaxBuckets {
				overflow = true
				continue
			}
			b = &bucket{identity: fb.identity, text: fb.text, hash: fb.hash}
			x.list = append(x.list, b)
			index[b.text] = b
		}
		b.calls += fb.calls
		b.seeds += fb.seeds
		for _, fq := range fb.quals {
			q := b.quality(fq.name)
			if fq.set && (!q.set || fq.best > q.best) {
				q.set, q.best = true, fq.best
			}
		}
	}
	// The map by key is for the seeds that record into x; a merged book
	// only reports, so buckets found by their text are enough.
	return overflow
}

// A Call is where an assertion of a kind is called.
type Call struct {
	Kind simctx.AssertKind
	Site *Site
}

// A CallKey is a call by its file, line and kind: the key under which a
// misused call is looked up, in a book and in a merge of tables, without
// the rest of its Site (its function, its extent), which one run may know
// and another not.
type CallKey struct {
	File string
	Line int
	Kind simctx.AssertKind
}

// KeyOf is the CallKey of a call of kind at site, which is not nil.
func KeyOf(site *Site, kind simctx.AssertKind) CallKey {
	return CallKey{File: site.File, Line: site.Line, Kind: kind}
}

// MisusedCalls returns the calls that seeds reached and misused, in the
// order of their files and lines. A misused call may have no entry (an
// empty message, a message of another kind) and so no row: a merge of
// tables learns from these that the call was reached.
func (b *Book) MisusedCalls() []Call {
	seen := make(map[CallKey]bool)
	var out []Call
	for m := range b.misused {
		if m.site == nil || seen[KeyOf(m.site, m.kind)] {
			continue
		}
		seen[KeyOf(m.site, m.kind)] = true
		out = append(out, Call{Kind: m.kind, Site: m.site})
	}
	slices.SortFunc(out, func(x, y Call) int {
		return cmp.Or(strings.Compare(x.Site.File, y.Site.File), cmp.Compare(x.Site.Line, y.Site.Line), cmp.Compare(x.Kind, y.Kind))
	})
	return out
}
