package simtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// cutShort is whether a Run ran only some of its seeds, and why, for its
// assertion table's head.
type cutShort uint8

const (
	ranAll       cutShort = iota
	cutAtFailure          // stopped at a failing seed: -simall runs the rest
	cutByStop             // stopped before go test's -timeout, or at an interrupt
	fuzzCorpus            // a fuzz test's corpus: its inputs judge no gaps
)

// cutOf is the cutShort of a Run cut short or not (cut), stopped by
// stoppedBy ("" for none).
func cutOf(cut bool, stoppedBy string) cutShort {
	switch {
	case !cut:
		return ranAll
	case stoppedBy != "":
		return cutByStop
	}
	return cutAtFailure
}

// assertionTable is the report's table of assertions, one line each, in
// the order of the code; note, unless empty, is a line under its heading
// that says how to read its counts. TRUE and FALSE count the calls whose
// condition held and did not: a Sometimes false is a miss, not a failure,
// so the columns are not named for passes and failures (the JSON
// report's passes and failures are the same counts). A Run cut short
// (cut: stopped at a failing seed, before go test's -timeout, or at an
// interrupt) did not run its other seeds, so what the seeds that ran did
// not reach is no gap yet, and the heading says so.
func assertionTable(rows []tally.Row, note string, stale []string, cut cutShort) string {
	if len(rows) == 0 {
		return ""
	}
	failed, gaps := 0, 0
	for _, r := range rows {
		switch {
		case r.Status == tally.Failed:
			failed++
		case r.Gap():
			gaps++
		}
	}
	var b strings.Builder
	switch {
	case cut == fuzzCorpus:
		fmt.Fprintf(&b, "  assertions: %d, %d failed, %d not reached or never true in the inputs that ran (a fuzz test judges no gaps)",
			len(rows), failed, gaps)
	case cut != ranAll && gaps > 0:
		more := "; -simall runs every seed"
		if cut == cutByStop {
			more = "" // -simall goes past failures, not past a stop
		}
		fmt.Fprintf(&b, "  assertions: %d, %d failed, %d not reached or never true in the seeds that ran (the Run stopped before its other seeds, so none is judged a gap%s)",
			len(rows), failed, gaps, more)
	default:
		fmt.Fprintf(&b, "  assertions: %d, %d failed, %s", len(rows), failed, plural.Count(gaps, "gap"))
	}
	if len(stale) > 0 {
		// Their unreached assertions were not read: a count of none
		// there would read as all covered.
		fmt.Fprintf(&b, "; gaps unknown for %s (changed since the test binary was built: rebuild it to count them)", strings.Join(stale, ", "))
	}
	if note != "" {
		b.WriteString("\n    " + note)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "\n    STATUS\tKIND\tTRUE\tFALSE\tSEEDS\tPROGRESS\tMESSAGE\tSITE")
	for _, r := range rows {
		fmt.Fprintf(tw, "\n    %s\t%v\t%d\t%d\t%d\t%s\t%s\t%v", r.Status, r.Kind, r.Passes, r.Fails, r.Seeds, r.Progress(), messageOf(r), r.Site)
	}
	tw.Flush()
	return b.String()
}

// invariantNote is the table's note on its failed invariants (those of
// rows that isInvariant reports), "" where none failed: an invariant is
// checked after every step and goes on being checked once false, so its
// FALSE counts the checks that found it false, not separate violations.
func invariantNote(rows []tally.Row, isInvariant func(tally.Row) bool) string {
	var failed []string
	for _, r := range rows {
		if r.Fails > 0 && isInvariant(r) {
			failed = append(failed, messageOf(r))
		}
	}
	if len(failed) == 0 {
		return ""
	}
	const most = 3
	if len(failed) > most {
		failed = append(failed[:most], fmt.Sprintf("and %d more", len(failed)-most))
	}
	return "(an invariant is checked after every step, false or not: its FALSE counts the checks that found it false, not separate violations; a failed seed's report says from when to when it was false: " +
		strings.Join(failed, ", ") + ")"
}

// withUnentered is table (assertionTable's) with a line under it for the
// assertion calls no seed reached in files of the Run's packages that no
// seed entered (tally.Unentered), the first few of them and a count of the
// rest: not counted as gaps, since such a file may be another test's
// code, yet listed, so that the table does not read as every assertion
// of the code under test. A file whose assertions are all given a context
// without the simulation is not entered either, though its code ran: the
// calls whose source shows that (context.Background()) have a line of
// their own, which says so and how to fix it, and the other line names
// both causes. all says where every one of them is listed.
func withUnentered(table string, calls []tally.Unentered, all string) string {
	if len(calls) == 0 {
		return table
	}
	if table == "" {
		table = "  assertions: 0, 0 failed, 0 gaps"
	}
	var simless, other []tally.Unentered
	for _, c := range calls {
		if c.Simless != "" {
			simless = append(simless, c)
		} else {
			other = append(other, c)
		}
	}
	line := func(head string, calls []tally.Unentered) string {
		if len(calls) == 0 {
			return ""
		}
		list := make([]string, 0, maxListedUnentered)
		for _, c := range calls[:min(len(calls), maxListedUnentered)] {
			s := fmt.Sprintf("%v %v %s", c.Site, c.Kind, messageOf(tally.Row{Msg: c.Msg}))
			if c.Simless != "" {
				s += " (" + c.Simless + ")"
			}
			list = append(list, s)
		}
		s := "\n    " + head + ": " + strings.Join(list, ", ")
		if more := len(calls) - len(list); more > 0 {
			s += fmt.Sprintf("; and %d more (%s)", more, all)
		}
		return s
	}
	return table +
		line(unenteredSimless, simless) +
		line("not reached, in code of the same packages that no seed entered, in a test file's workload methods and helpers, which other tests may call, or that ran only with its assertions given a context without the simulation (they may belong to other tests; not counted as gaps)", other)
}

// unenteredSimless heads the line of the calls given a context that
// carries no simulation.
const unenteredSimless = "never counted, given a context that carries no simulation, whether or not their code ran (pass them the task's ctx, or one made from it; simvet's assertctx finds such calls)"

// maxListedUnentered bounds the unentered calls the report lists.
const maxListedUnentered = 5

// The JSON report. Its fields are a stable format: add to them, never
// rename or remove.
type (
	jsonReport struct {
		Test       string          `json:"test"`
		Seeds      int             `json:"seeds"`
		Passed     int             `json:"passed"`
		Failed     int             `json:"failed"`
		SimNS      int64           `json:"simulated_ns"`
		Steps      uint64          `json:"steps"`
		Events     uint64          `json:"events"`
		Trace      string          `json:"trace"`
		Gaps       int             `json:"gaps"`
		Failures   int             `json:"assertion_failures"`
		Assertions []jsonAssertion `json:"assertions"`
		// Exploration is what an exploring Run did (explore.go).
		Exploration *jsonExploration `json:"exploration,omitempty"`

		// How the Run chose its seeds, in the results file's summary
		// (results.go); a merge (merge.go) checks that shards agree.
		// Shard is written for shard 0 too, and for a Run of one shard.
		Package string `json:"package,omitempty"`
		// ImportPath is the package's, as go test names it
		// (example.com/m/kv), for a merge's JUnit.
		ImportPath string `json:"import_path,omitempty"`
		BaseSeed   uint64 `json:"base_seed,omitempty"`
		// BaseSeedStr is BaseSeed in decimal (jsonSeed.SeedStr says why).
		BaseSeedStr string `json:"base_seed_str,omitempty"`
		Shard       int    `json:"shard"`
		Shards      int    `json:"shards,omitempty"`
		Kept        int    `json:"kept_seeds,omitempty"`
		WallNS      int64  `json:"wall_ns,omitempty"`
		// Workers is how many seeds the Run ran at once, when more than
		// one (-simworkers, simtest.Workers): WallNS is that of as many
		// cores. Absent, one.
		Workers   int  `json:"workers,omitempty"`
		KeepGoing bool `json:"keep_going,omitempty"`
		AllowGaps bool `json:"allow_gaps,omitempty"`
		// AllowedGaps are the messages of the assertions whose gaps the
		// Run allows (simtest.AllowGaps with messages).
		AllowedGaps []string `json:"allowed_gaps,omitempty"`
		StoppedBy   string   `json:"stopped_by,omitempty"`
		// CutShort tells that the Run stopped at a failing or skipping
		// seed before its other seeds: it reports no coverage gaps, and a
		// merge does as it did.
		CutShort bool `json:"cut_short,omitempty"`
		// SeedsPlanned is how many seeds the Run (its shard, in a sweep)
		// set out to run, when it stopped at its first failing seed or at
		// go test's -timeout before the rest (Seeds ran).
		SeedsPlanned int `json:"seeds_planned,omitempty"`
		// Reboots is, despite its name, the summary's whole faults
		// paragraph as text (rebootsLine): the chaos line, the "faults
		// seen" line and the reboots' and partitions' reach for a Run
		// that booted processes; else the faults line, when its seeds
		// saw any, and the line on lost directory changes. Faults has the figures.
		Reboots string `json:"reboots,omitempty"`
		// Faults are the faults the seeds saw, by kind, which a merge
		// of results files adds up (Reboots is one Run's line).
		Faults *jsonFaults `json:"faults,omitempty"`
		// MisusedCalls are the calls that seeds reached and misused:
		// one with an empty message, or a message of another kind, has
		// no row, and a merge learns from these that it was reached.
		MisusedCalls []jsonCall `json:"misused_calls,omitempty"`
		// Unentered are the assertion calls no seed reached in the files
		// of the Run's packages that no seed entered (tally.Unentered):
		// not gaps, and not in Assertions. A merge drops those that
		// another shard reached or read into its table.
		Unentered []jsonUnentered `json:"unentered_assertions,omitempty"`
		// FormatVersion is the results file's format (resultsFormat in
		// results.go), in its summary: a merge reads only its own.
		FormatVersion int `json:"format_version,omitempty"`
		// What the shards of a sweep must agree on, which a merge checks
		// (results.go): the seeds of the whole Run, before sharding; the
		// flags its replay lines carry; how the test binary was built.
		SweepSeeds int        `json:"sweep_seeds,omitempty"`
		Flags      *[]string  `json:"flags,omitempty"`
		Build      *jsonBuild `json:"build,omitempty"`
		// Determinism is what -simcheck found, for a Run that checked.
		Determinism *jsonDeterminism `json:"determinism,omitempty"`
		// FailingSeeds are the failing seeds, each as the results file's
		// line, in the JSON report (-simjson) alone.
		FailingSeeds []SeedResult `json:"failing_seeds,omitempty"`
		// WallClock are the failures of the test beside its seeds'
		// (code that kept the wall clock: goroutines that outlived the
		// Run, waits in time.Sleep), which fail a merge as they failed
		// the Run.
		WallClock []string `json:"wall_clock_failures,omitempty"`
		// Alone is the run again alone of the Run's first failing seed
		// (SeedResult.Alone), with its seed, in the results file alone:
		// the JSON report has it under that seed in FailingSeeds.
		Alone *jsonAlone `json:"alone,omitempty"`
	}
	jsonFaults struct {
		// Reboots counts the reboots and, as it always has, the
		// pauses, which Pauses counts apart.
		Reboots int `json:"reboots"`
		Pauses  int `json:"pauses,omitempty"`
		Network int `json:"network"`
		Disk    int `json:"disk"`
		// ShortIO counts the partial reads and writes, which Network
		// leaves out: TCP allows them, and a stream sees many.
		ShortIO int `json:"short_io,omitempty"`
		// SeedsWithout counts the seeds that saw no fault, no write
		// refused for lack of space, and no buggify site fire.
		SeedsWithout int `json:"seeds_without"`
		// SeedsFailedWithout counts those of SeedsWithout that failed:
		// they ended before any fault came.
		SeedsFailedWithout int `json:"seeds_failed_without,omitempty"`
		// Kinds counts the faults by kind ("crash", "partition",
		// "write-corruption"...), and the disks' crashes that lost
		// unsynced writes ("unsynced writes lost"). It is always written,
		// {} for none: a file without it was written before faults were
		// counted by kind, and a merge of it tells the totals alone.
		Kinds map[string]int `json:"kinds"`
		// ByTest counts, by kind as Kinds, those of the faults the
		// test made itself (an Injector's, or a call of Cluster or
		// Net). It is always written, {} for none: a file without it was
		// written before they were counted, and a merge of it tells
		// none.
		ByTest map[string]int `json:"by_test"`
		// Reach is how many processes the reboots and the pauses
		// reached, and the partitions cut off, least and most a seed;
		// absent when no seed booted a cluster.
		Reach *jsonReach `json:"reach,omitempty"`
		// Injectors are what each injector did that its script did
		// not say, over the seeds; absent when no injector ran.
		Injectors []jsonInjector `json:"injectors,omitempty"`
		// Connections is the report's connections line, absent when no
		// seed's hosts were noted (ConnsNoted); ConnsSeed is the first
		// seed it tells of, and ConnsHosts that seed's noted hosts. Each
		// seed's results line has its own, which a merge tells again.
		Connections string     `json:"connections,omitempty"`
		ConnsSeed   uint64     `json:"conns_seed,omitempty"`
		ConnsHosts  []jsonHost `json:"conns_hosts,omitempty"`
		// Chaos is the report's line on the chaos configuration, for a
		// Run whose seeds booted processes; InjectsNothing, whether the
		// configuration injects no fault in any seed.
		Chaos          string `json:"chaos,omitempty"`
		InjectsNothing bool   `json:"injects_nothing,omitempty"`
		// ChaosRan tells that a seed reached the run phase of
		// Cluster.Run, where alone attrition reboots: a merge takes the
		// Chaos line of such a file over one whose seeds never did.
		ChaosRan bool `json:"chaos_ran,omitempty"`
		// DirLoss is, for a Run that booted no processes, and so has no
		// Chaos line, whether its disks' crashes lose the directory
		// changes not yet synced (off, on, on for some disks).
		DirLoss string `json:"dir_loss,omitempty"`
		// SeedsUnsyncedDirs counts the seeds in which a disk's crash
		// kept a create, rename or remove whose directory was not
		// synced, which a real disk could have lost; Chaos, the
		// configuration's line, leaves it out, and a merge adds it up.
		SeedsUnsyncedDirs int `json:"seeds_unsynced_dirs,omitempty"`
		// SeedsExitedBeforeChaos and SeedsExitedDuringChaos count the
		// seeds whose processes had all exited of themselves (their Run
		// returned) when the chaos phase began, or by its end: the
		// faults line of seeds that saw none tells why.
		SeedsExitedBeforeChaos int `json:"seeds_exited_before_chaos,omitempty"`
		SeedsExitedDuringChaos int `json:"seeds_exited_during_chaos,omitempty"`
		// SeedsChaosPhase counts the seeds that reached the run phase of
		// Cluster.Run, and SeedsChaosNoTime those of them whose phase
		// lasted no time and met no fault: a merge fails a test whose
		// every such seed did, as one Run of them all fails it.
		SeedsChaosPhase  int `json:"seeds_chaos_phase,omitempty"`
		SeedsChaosNoTime int `json:"seeds_chaos_no_time,omitempty"`
		// Off lists the families of faults the chaos configuration
		// switches off in every seed ("reboots", "network", "disks",
		// "buggify"), which the advice under gaps names; a merge takes
		// those off in every file.
		Off []string `json:"off,omitempty"`
	}
	jsonUnentered struct {
		Kind    string    `json:"kind"`
		Message string    `json:"message"`
		Site    *jsonSite `json:"site"`
		// Context is the call's context argument when its source shows
		// it carries no simulation ("context.Background()").
		Context string `json:"context,omitempty"`
	}
	jsonCall struct {
		Kind string    `json:"kind"`
		Site *jsonSite `json:"site"`
	}
	jsonAssertion struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Gap     bool   `json:"gap"`
		Static  bool   `json:"from_source_only,omitempty"`
		// Context, for one found in the source only, is its context
		// argument when the source shows it carries no simulation
		// ("context.Background()").
		Context   string         `json:"context,omitempty"`
		Site      *jsonSite      `json:"site,omitempty"`
		Calls     uint64         `json:"calls"`
		Passes    uint64         `json:"passes"`
		Failures  uint64         `json:"failures"`
		Seeds     int            `json:"seeds"`
		SeedsTrue int            `json:"seeds_true"`
		Watermark *jsonWatermark `json:"watermark,omitempty"`
		Frontier  *jsonFrontier  `json:"frontier,omitempty"`
		Buckets   []jsonBucket   `json:"buckets,omitempty"`
		FirstFail *jsonHit       `json:"first_failure,omitempty"`
		// FirstPass is where the assertion first held: a Sometimes came
		// true, an Always was reached and held (from format_version 2).
		FirstPass *jsonHit `json:"first_pass,omitempty"`
		Misused   bool     `json:"misused,omitempty"`
		// OtherModule marks an assertion outside the test's module: its
		// gaps do not fail the test.
		OtherModule bool `json:"other_module,omitempty"`
		// Invariant marks an Always that is an invariant (S.Invariant):
		// checked after every step, its failures count the checks that
		// found it false.
		Invariant bool `json:"invariant,omitempty"`
	}
	jsonSite struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Function string `json:"function,omitempty"`
	}
	jsonWatermark struct {
		Left   float64 `json:"left"`
		Op     string  `json:"op"`
		Right  float64 `json:"right"`
		Margin float64 `json:"margin"`
		Text   string  `json:"text"`
		// Duration tells that the operands are time.Durations; Seed and
		// Place are the seed that first made the watermark.
		Duration bool   `json:"duration,omitempty"`
		Seed     uint64 `json:"seed"`
		Place    int64  `json:"place"`
	}
	jsonFrontier struct {
		Best       int      `json:"best"`
		Conditions []string `json:"conditions"`
		AtBest     []string `json:"at_best"`
		Seed       uint64   `json:"seed"`
		Place      int64    `json:"place"`
	}
	jsonBucket struct {
		Identity  []tally.Detail      `json:"identity"`
		Calls     uint64              `json:"calls"`
		Seeds     int                 `json:"seeds"`
		Qualities []tally.BestQuality `json:"qualities,omitempty"`
	}
	jsonHit struct {
		Seed    uint64         `json:"seed"`
		AtNS    int64          `json:"at_ns"`
		Task    string         `json:"task,omitempty"`
		Details []tally.Detail `json:"details,omitempty"`
		Replay  string         `json:"replay"`
		Place   int64          `json:"place"`
	}
)

// siteOf is the JSON of s, its function named as the source declares it
// (see tally.FuncNames).
func siteOf(s *tally.Site, names *tally.FuncNames) *jsonSite {
	return &jsonSite{File: s.File, Line: s.Line, Function: names.Of(s)}
}

// funcNames names the functions of the test module's sites.
func funcNames() *tally.FuncNames {
	module := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		module = bi.Main.Path
	}
	if startDir == "" {
		return tally.NewFuncNames("", "")
	}
	return tally.NewFuncNames(tally.ModuleRoot(startDir, module))
}

func (r *runner) jsonReport(rows []tally.Row) jsonReport {
	names := funcNames()
	rep := jsonReport{
		Test: r.t.Name(), Seeds: r.rep.seeds, SeedsPlanned: r.rep.planned, Passed: r.rep.passed, Failed: r.rep.failed,
		SimNS: int64(r.rep.simTime), Steps: r.rep.steps, Events: r.rep.events, Workers: r.rep.workers,
		Trace:       fmt.Sprintf("%016x", r.rep.trace),
		Assertions:  make([]jsonAssertion, 0, len(rows)),
		Exploration: r.exp.json(names),
		Faults:      r.rep.faultsRecord(),
		WallClock:   r.rep.wallFailures,
	}
	rp := newReplayer()
	hit := func(h *tally.Hit) *jsonHit {
		if h == nil {
			return nil
		}
		recipe := h.Recipe
		if rec := r.exp.replayRun().recipe(); rec != "" {
			recipe = rec // every hit is the replayed timeline's
		}
		return &jsonHit{Seed: h.Seed, AtNS: int64(h.At), Task: h.Task, Details: h.Details, Replay: r.lineOf(rp, h.Seed, recipe), Place: r.placeOf(h.Seed)}
	}
	if ra := r.asserts; ra != nil {
		for _, c := range ra.book.MisusedCalls() {
			rep.MisusedCalls = append(rep.MisusedCalls, jsonCall{Kind: c.Kind.String(), Site: siteOf(c.Site, names)})
		}
		rep.Unentered = jsonUnenteredOf(ra.book.Unentered())
	}
	mod := moduleRoot()
	for _, row := range rows {
		a := jsonAssertion{
			Kind: row.Kind.String(), Message: row.Msg, Status: string(row.Status), Gap: row.Gap(), Static: row.Static, Context: row.Simless,
			Calls: row.Calls, Passes: row.Passes, Failures: row.Fails, Seeds: row.Seeds, SeedsTrue: row.SeedsTrue,
			FirstFail: hit(row.FirstFail), FirstPass: hit(row.FirstPass),
			Misused: row.Misused, OtherModule: row.Site != nil && !tally.Within(row.Site, mod),
			Invariant: r.asserts != nil && r.asserts.isInvariant(row),
		}
		if s := row.Site; s != nil {
			a.Site = siteOf(s, names)
		}
		if w := row.Watermark; w != nil {
			a.Watermark = &jsonWatermark{Left: finite(w.Left), Op: w.Op, Right: finite(w.Right), Margin: finite(w.Margin), Text: w.String(),
				Duration: w.Duration, Seed: w.Seed, Place: r.placeOf(w.Seed)}
		}
		if row.Conditions != nil {
			a.Frontier = &jsonFrontier{Best: row.Frontier, Conditions: row.Conditions, AtBest: row.AtFrontier, Seed: row.FrontierSeed, Place: r.placeOf(row.FrontierSeed)}
		}
		for _, b := range row.Buckets {
			a.Buckets = append(a.Buckets, jsonBucket{Identity: b.Identity, Calls: b.Calls, Seeds: b.Seeds, Qualities: finiteQualities(b.Qualities)})
		}
		switch {
		case row.Status == tally.Failed:
			rep.Failures++
		case row.Gap():
			rep.Gaps++
		}
		rep.Assertions = append(rep.Assertions, a)
	}
	return rep
}

// jsonUnenteredOf is the JSON report's list of calls.
func jsonUnenteredOf(calls []tally.Unentered) []jsonUnentered {
	var out []jsonUnentered
	for _, c := range calls {
		out = append(out, jsonUnentered{Kind: c.Kind.String(), Message: c.Msg, Site: &jsonSite{File: c.Site.File, Line: c.Site.Line}, Context: c.Simless})
	}
	return out
}

// finite keeps a number JSON can write: an infinity becomes the largest
// float of its sign.
func finite(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return math.MaxFloat64
	case math.IsInf(f, -1):
		return -math.MaxFloat64
	}
	return f
}

// finiteQualities is qs with every infinity made finite (see finite): a
// quality may be infinite, and JSON has no infinities.
func finiteQualities(qs []tally.BestQuality) []tally.BestQuality {
	if qs == nil {
		return nil
	}
	out := make([]tally.BestQuality, len(qs))
	for i, q := range qs {
		out[i] = tally.BestQuality{Name: q.Name, Best: finite(q.Best)}
	}
	return out
}

func writeJSONReport(w io.Writer, rep jsonReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
