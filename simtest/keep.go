package simtest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/sim"
)

// keepDir is where failing seeds are kept, below the test's package
// directory, as go test -fuzz keeps failing inputs under testdata/fuzz.
const keepDir = "testdata/simtest"

// keepBase is the directory keepDir is below, relative to the one the
// test binary started in: "" when that is the package's directory, as
// under go test; the package's directory when a binary built with go
// test -c runs elsewhere in its module (from the module root, say), so
// that go test ./pkg runs the seeds it keeps; "" again when the package
// directory cannot be found (a binary run outside its module).
var keepBase = ofThisBinary(keepBaseOf)

// keepBaseOf is keepBase for a test binary of binPath (such as
// "example.com/m/kv.test") in module, started in start: the package's
// directory, found below the nearest go.mod above start that names
// module, relative to start.
func keepBaseOf(start, binPath, module string) string {
	root, rel := packageInModule(start, binPath, module)
	if root == "" {
		return ""
	}
	pkg := filepath.Join(root, filepath.FromSlash(rel))
	pi, err := os.Stat(pkg)
	if err != nil || !pi.IsDir() {
		return ""
	}
	if si, err := os.Stat(start); err == nil && os.SameFile(si, pi) {
		return ""
	}
	if out, err := filepath.Rel(start, pkg); err == nil {
		return out
	}
	return pkg
}

// keptSeeds returns the seeds kept for the test called name, in numeric
// order: those in its directory (keepPath), and those in the directory an
// earlier version named after the test as it was (oldKeepPath), when that
// is safe. A missing directory is no seeds; a file whose name is not a
// seed does not run (strayKept names those of keepPath).
func keptSeeds(name string) ([]uint64, error) {
	out, err := seedsIn(keepPath(name), "")
	if err != nil {
		return nil, err
	}
	if old, ok := oldKeepPath(name); ok {
		more, err := seedsIn(old, name)
		if err != nil {
			return nil, err
		}
		for _, seed := range more {
			if !slices.Contains(out, seed) {
				out = append(out, seed)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// seedsIn lists the seeds kept in dir. When test is not empty, a seed
// counts only if its file says it failed that test: the directory may be
// another test's, on a file system that ignores case.
func seedsIn(dir, test string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("simtest: the kept seeds in %s cannot be read, so they would not run: %w; "+
			"make the directory readable, or remove it to drop them", dir, err)
	}
	var out []uint64
	for _, e := range entries {
		seed, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || e.IsDir() {
			continue
		}
		if test != "" && !keptFor(filepath.Join(dir, e.Name()), test) {
			continue
		}
		out = append(out, seed)
	}
	return out, nil
}

// keptFor reports whether the kept seed's file at path says it failed
// test.
func keptFor(path, test string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return first == keptHeader(test)
}

// strayKept lists the files in the directory of the test called name
// that are not kept seeds, and so do not run: a name that is not a seed
// in decimal (a typo, a hex seed, "123abc"). Directories (a subtest's),
// kept recipes (passOverRecipes speaks of them), a fuzz test's kept inputs
// and hidden files (.gitkeep) are not listed.
func strayKept(name string) []string {
	entries, err := os.ReadDir(keepPath(name))
	if err != nil {
		return nil // keptSeeds reports a directory it cannot read
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if _, err := strconv.ParseUint(n, 10, 64); err == nil || e.IsDir() ||
			strings.HasPrefix(n, recipePrefix) || strings.HasPrefix(n, inputPrefix) || strings.HasPrefix(n, ".") {
			continue
		}
		out = append(out, n)
	}
	return out
}

// strayKeptWarning is the warning about the files strayKept found in dir.
func strayKeptWarning(dir string, stray []string) string {
	what, each := fmt.Sprintf("the file %s is not a kept seed and does not run", filepath.Join(dir, stray[0])), "it"
	if len(stray) > 1 {
		what, each = fmt.Sprintf("the files %s in %s are not kept seeds and do not run", strings.Join(stray, ", "), dir), "each"
	}
	return fmt.Sprintf("simtest: %s: a kept seed's file is named by its seed, in decimal (such as 6679787058979195393); "+
		"rename %s to the seed it keeps, or move it out of the directory", what, each)
}

// traceLine starts the line of a kept seed's file that holds the trace
// of the run that failed, in hex: a later run of the seed with another
// trace ran another execution (keptRan).
const traceLine = "# trace: "

// workersLine starts the line of a kept seed's file that says on how
// many workers the Run that failed it ran, when more than one: a seed that
// failed beside other seeds may not fail alone.
const workersLine = "# workers: "

// keptWorkers reads the workers line from the kept file at path: 0 when
// it has none (a seed that failed alone).
func keptWorkers(path string) int {
	n, _ := strconv.Atoi(keptField(path, workersLine))
	return n
}

// keptTrace reads the trace from the kept file at path: none in an empty
// file, nor in one an earlier version wrote.
func keptTrace(path string) (uint64, bool) {
	trace, err := strconv.ParseUint(keptField(path, traceLine), 16, 64)
	return trace, err == nil
}

// keptField returns the first word after prefix on the first line of the
// kept file at path that starts with it, or "" when none does.
func keptField(path, prefix string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), prefix); ok {
			word, _, _ := strings.Cut(rest, " ")
			return word
		}
	}
	return ""
}

func keptHeader(test string) string {
	return fmt.Sprintf("# This seed failed %s; simtest runs it first on every run of the test.", test)
}

// keepSeed writes a file for seed under the test's directory, saying why
// it is there: why, the failure in its own words, every line commented,
// and the trace of the run that failed. It returns the file's path, and
// whether it wrote it: an existing file is left alone.
//
// Only the file's name counts for the seed to run: an empty file named by
// a seed works as well. The lines hold, in this order, the header that
// names the test (keptFor), the replay line (replayFlags), the trace
// (keptTrace), the workers of a Run that ran it beside other seeds
// (keptWorkers) and the failure; a file without some of them (an earlier
// version's, a hand-made one) still runs, and says less when it passes.
func keepSeed(name string, seed, trace uint64, workers int, why, replay string) (string, bool, error) {
	dir := keepPath(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("simtest: keeping seed %d: %w", seed, err)
	}
	path := filepath.Join(dir, strconv.FormatUint(seed, 10))
	wrote, err := writeKept(path, keptHeader(name), replay, trace, workers, why)
	if err != nil {
		return "", false, fmt.Errorf("simtest: keeping seed %d: %w", seed, err)
	}
	return path, wrote, nil
}

// writeKept writes the kept file at path, a seed's or a fuzz input's: the
// header, the replay line, the trace, how many workers the Run had when
// it ran beside other seeds (workers above 1), and the failure, every
// line commented. It reports whether it wrote the file: an existing one
// is left alone.
func writeKept(path, header, replay string, trace uint64, workers int, why string) (bool, error) {
	if fileExists(path) {
		return false, nil
	}
	var b strings.Builder
	// The replay line first: a failure that lists every stuck task
	// would bury it.
	fmt.Fprintf(&b, "%s\n# replay: %s\n%s%016x\n", header, replay, traceLine, trace)
	if workers > 1 {
		fmt.Fprintf(&b, "%s%d (it failed beside other seeds that ran at once)\n", workersLine, workers)
	}
	b.WriteString("# It failed with:\n")
	for _, line := range strings.Split(strings.TrimRight(why, "\n"), "\n") {
		fmt.Fprintf(&b, "#   %s\n", line)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// keepPath is the directory of the kept seeds of the test called name:
// below keepDir, one directory for each level of the name, each escaped
// (escapeName) so that whatever the name, the path stays below keepDir and
// two names never share a directory, even on a file system that ignores
// case.
func keepPath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = escapeName(p)
	}
	return filepath.Join(keepBase(), keepDir, filepath.Join(parts...))
}

// oldKeepPath is where an earlier version kept the seeds of the test
// called name, its name as it is, and whether reading it is safe: only a
// path that stays below keepDir and differs from keepPath's.
func oldKeepPath(name string) (string, bool) {
	for _, p := range strings.Split(name, "/") {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\\:") {
			return "", false
		}
	}
	rel := filepath.FromSlash(name)
	if !filepath.IsLocal(rel) {
		return "", false
	}
	old := filepath.Join(keepBase(), keepDir, rel)
	return old, old != keepPath(name)
}

// maxEscaped bounds the length of an escaped name: file systems take up
// to 255 bytes a name. A longer one is cut, and a hash of the whole name
// keeps it apart from others.
const maxEscaped = 160

// escapeName makes one level of a test's name into a file name that is
// the same for that name alone: letters, digits, '_' and '-' stay as they
// are, and every other byte, '.' included, is written as '%' and two hex
// digits. So "." and ".." cannot come out, nor a separator. (Where a file
// system ignores case, two tests whose names differ only in case share a
// directory; each kept file names its test, and a test runs only its own.) An empty name is "%", a name
// that Windows reserves for a device gets its first letter escaped, and a
// name too long for a file system is cut and ends in '~' and a hash of
// the whole.
func escapeName(name string) string {
	if name == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	out := b.String()
	if reservedOnWindows(out) {
		out = fmt.Sprintf("%%%02X", out[0]) + out[1:]
	}
	if len(out) > maxEscaped {
		sum := sha256.Sum256([]byte(name))
		cut := out[:maxEscaped-33]
		// Do not leave a '%' escape half cut.
		if i := strings.LastIndexByte(cut[max(0, len(cut)-2):], '%'); i >= 0 {
			cut = cut[:len(cut)-2+i]
		}
		out = cut + "~" + hex.EncodeToString(sum[:16])
	}
	return out
}

// reservedOnWindows reports whether name, escaped, is a device name
// Windows keeps for itself whatever the extension (there is none here).
func reservedOnWindows(name string) bool {
	name = strings.ToLower(name)
	switch name {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(name) == 4 && (strings.HasPrefix(name, "com") || strings.HasPrefix(name, "lpt")) {
		return '0' <= name[3] && name[3] <= '9'
	}
	return false
}

// keeps reports whether failing seeds of a test run on t are kept: only a
// real test's, so that helpers which drive Run with a testing.TB of their
// own write nothing.
func keeps(t testing.TB, c config) bool {
	if !c.keep {
		return false
	}
	_, ok := t.(*testing.T)
	return ok
}

// withKept puts the test's kept seeds before seeds, unless a single seed is
// being replayed. A shard other than the first runs none of them, the
// first runs them all, and every shard passes over them in its part of
// the sequence: the shards run each seed once, as one process does.
func (r *runner) withKept(seeds iter.Seq[uint64]) iter.Seq[uint64] {
	r.t.Helper()
	if r.cfg.replaySet || r.fuzz != nil || r.outside || r.exp.exploring() {
		return seeds
	}
	r.tellGoneKept()
	kept, err := keptSeeds(r.t.Name())
	if err != nil {
		r.t.Error(err) // the Run goes on with its other seeds
	}
	if stray := strayKept(r.t.Name()); len(stray) > 0 {
		r.t.Log(strayKeptWarning(keepPath(r.t.Name()), stray))
	}
	if r.cfg.shard == 0 {
		r.passOverRecipes()
	}
	if len(kept) == 0 {
		return seeds
	}
	rest := func(yield func(uint64) bool) {
		r.t.Helper()
		for seed := range seeds {
			r.t.Helper() // the loop's body is a function of its own
			if !slices.Contains(kept, seed) && !yield(seed) {
				return
			}
		}
	}
	if r.cfg.shard > 0 {
		// The seeds it sets out to run are its part less these.
		n := r.cfg.seedCount()
		for _, seed := range kept {
			if p := placeOf(r.base, seed); p >= 0 && p < int64(n) && int(p)%r.cfg.shards == r.cfg.shard {
				r.keptPassed++
			}
		}
		return rest
	}
	r.kept = kept
	r.t.Logf("simtest: running %s kept from earlier failures first (%s)", plural.Count(len(kept), "seed"), keepPath(r.t.Name()))
	return func(yield func(uint64) bool) {
		r.t.Helper()
		for _, seed := range kept {
			if !yield(seed) {
				return
			}
		}
		rest(yield)
	}
}

// keep keeps a failing seed, when the Run keeps failures; replay is the
// seed's replay line. It returns what to tell the test, if anything, which
// the Run logs after its failure report: a Run keeps its first failing
// seed as soon as that seed's outcome is committed (so that a Run cut off
// later, by a Ctrl-C or an out-of-memory kill, has kept it), and its report
// says so at its end, as it would have.
//
// A replayed seed ([Replay], -simseed) is kept only when -simkeep=true is
// given: running a replay line must not write a file each time, but a seed
// found by a nightly run that keeps none may be kept on purpose. Nor is a
// seed the watchdog gave up (blocked, busy, or waiting on a stray call's
// goroutine): run first by every later run, it would leave one more
// goroutine behind each time. A seed newly kept says so, once, with the
// file to delete when the bug is fixed.
func (r *runner) keep(o *seedOutcome, replay string) string {
	r.t.Helper()
	if r.fuzz != nil || r.cfg.replaySet && !r.cfg.keepReplay || !keeps(r.t, r.cfg) || o.givenUp || o.s != nil && o.s.config != nil || misused(o) || overtime(o) {
		return ""
	}
	why := failureWords(o)
	if r.keepTimeline(o.res.Trace, why, replay) {
		return ""
	}
	path, wrote, err := keepSeed(r.t.Name(), o.res.Seed, o.res.Trace, o.workers, why, replay)
	switch {
	case err != nil:
		return err.Error()
	case wrote:
		return fmt.Sprintf("simtest: kept seed %d in %s: every run of the test runs it first; commit it for others to run, or list **/testdata/simtest/ in .gitignore, and delete it once the bug is fixed (-simkeep=false keeps none)", o.res.Seed, path)
	case r.cfg.replaySet:
		return fmt.Sprintf("simtest: seed %d is kept already, in %s", o.res.Seed, path)
	}
	return ""
}

// keptNothing is what a replay under -simkeep=true says of a seed that
// did not fail, and so was not kept.
func keptNothing(seed uint64) string {
	return fmt.Sprintf("simtest: seed %d did not fail, so -simkeep=true kept nothing; a replay keeps its seed only if it fails", seed)
}

// misused reports whether o's seed failed by a mistake of the test's
// (sim.Failure.Misuse), which every seed would meet: no seed to keep.
func misused(o *seedOutcome) bool {
	var f *sim.Failure
	return errors.As(o.res.Err, &f) && f.Misuse
}

// keptFile is the path of the file that keeps seed for the test.
func (r *runner) keptFile(seed uint64) string {
	path := filepath.Join(keepPath(r.t.Name()), strconv.FormatUint(seed, 10))
	if old, ok := oldKeepPath(r.t.Name()); ok && !fileExists(path) {
		path = filepath.Join(old, strconv.FormatUint(seed, 10))
	}
	return path
}

// keptRan tells the test what a kept seed's run says of it. One whose
// trace is not the one its file records ran another execution than the
// one that failed: the code along its path changed since (an unrelated
// change will do), or the flags or the environment the test reads. Its
// passing then proves little, and its failing may be another bug. One
// that passed may also have failed under flags this run does not set (a
// -planted bug, a -tags build): this run did not run what failed. Else
// its bug is fixed, and its file can go.
func (r *runner) keptRan(o *seedOutcome) {
	r.t.Helper()
	seed := o.res.Seed
	r.tellKept(o, fmt.Sprintf("seed %d", seed), r.keptFile(seed), simseedArg(seed), "a change elsewhere will do", false)
}

// tellKept tells the test what the run o of a kept seed or timeline
// (what, "seed 77") says of it, by the trace its file at path records
// and the flags of its replay line, whose argument naming the run is arg.
// shift says how an unrelated change moves the run; untraced, that a
// file without a trace was written before files kept one, rather than by
// hand.
func (r *runner) tellKept(o *seedOutcome, what, path, arg, shift string, untraced bool) {
	r.t.Helper()
	switch k := compareKept(path, arg, o); {
	case o.failed():
		if k.moved && k.otherFlags {
			r.t.Logf("simtest: kept %s failed, but not on the execution that was kept (trace %016x; kept %016x): it ran under other flags (%s; this run: %s), "+
				"the likeliest cause; the failure may be another one than %s records: run its replay line, in %s, for the kept one",
				what, o.res.Trace, k.kept, orNone(k.then), orNone(k.now), path, path)
		} else if k.moved {
			r.t.Logf("simtest: kept %s failed, but not on the execution that was kept (trace %016x; kept %016x): "+
				"the code along its path changed since, or the flags or the environment variables the test reads (a kept file records the flags, not the environment), or %s%s; the failure may be another one than %s records",
				what, o.res.Trace, k.kept, notDeterministic, r.besideWords(k.workers, o.workers), path)
		}
	case k.otherFlags:
		r.t.Logf("simtest: kept %s passed, but it failed under other flags (%s; this run: %s): "+
			"run its replay line, in %s", what, orNone(k.then), orNone(k.now), path)
	case k.moved:
		note := fmt.Sprintf("simtest: kept %s passed, but it no longer runs the execution that was kept (trace %016x; kept %016x): "+
			"the code along its path changed since (%s), or the environment variables the test reads (a kept file records the flags, not the environment), or %s%s; so its passing proves little; "+
			"once its bug is fixed, delete %s and keep the bug's test as an assertion or a targeted test",
			what, o.res.Trace, k.kept, shift, notDeterministic, r.besideWords(k.workers, o.workers), path)
		if r.cfg.strictKept {
			r.t.Error(note + strictKeptNote)
			return
		}
		r.t.Log(note)
	case untraced && !k.traced:
		r.t.Logf("simtest: kept %s passed; its file predates kept traces, so whether it still runs the execution that failed is unknown: "+
			"once its bug is fixed, delete %s", what, path)
	default:
		r.t.Logf("simtest: kept %s passed: once its bug is fixed, delete %s and keep the bug's test as an assertion or a targeted test", what, path)
	}
}

// A keptComparison is what a run of a kept seed or fuzz input says of the
// run its file at path keeps.
type keptComparison struct {
	kept   uint64 // the trace the file keeps
	traced bool   // the file keeps a trace
	moved  bool   // the run's trace is another than the file's
	// For a run that passed: the flags that followed the seed's argument
	// in the file's replay line, this run's, and whether they differ.
	then, now  string
	otherFlags bool
	// workers is how many workers the Run that kept it had, when it ran
	// beside other seeds (keptWorkers).
	workers int
}

// compareKept compares o, a run of the seed or input the file at path
// keeps, with the file; arg is what precedes the flags in its replay
// line (replayFlags).
func compareKept(path, arg string, o *seedOutcome) keptComparison {
	kept, traced := keptTrace(path)
	k := keptComparison{kept: kept, traced: traced, moved: traced && kept != o.res.Trace, workers: keptWorkers(path)}
	then, ok := replayFlags(path, arg)
	rp := newReplayer()
	k.then, k.now = then, strings.Join(append(rp.flags, rp.build...), " ")
	k.otherFlags = ok && then != k.now
	return k
}

// besideWords is what a kept seed's note adds when the seed ran beside
// other seeds: when it failed (then, the workers its file records) or in
// this run (now, the seed's workers); "" when it ran alone both times.
// Seeds that share state, such as a package variable, run otherwise
// beside one another than alone.
func (r *runner) besideWords(then, now int) string {
	const shared = "seeds that share state (a package variable; simvet's globalstate rule finds it before running) run otherwise beside one another than alone"
	switch {
	case then > 1 && now > 1:
		return fmt.Sprintf("; it failed beside other seeds on %d workers, and ran beside others on %d in this run, and %s: "+
			"on one worker (%s) the seeds run apart", then, now, shared, r.workersLine(1))
	case then > 1:
		return fmt.Sprintf("; it failed beside other seeds on %d workers, and ran alone in this run, and %s: "+
			"the test's seeds on %d workers (%s) run it beside others again", then, shared, then, r.workersLine(then))
	case now > 1:
		return fmt.Sprintf("; it ran beside other seeds on %d workers in this run, and %s: "+
			"on one worker (%s) the seeds run apart", now, shared, r.workersLine(1))
	}
	return ""
}

// strictKeptNote ends what a kept seed or input that passed on another
// execution says when -simstrictkept makes it fail the test.
const strictKeptNote = " (-simstrictkept fails the test for it)"

// notDeterministic is the third reason a kept seed's trace moves.
const notDeterministic = "the test is not deterministic (state an earlier seed or test left, such as a package variable, " +
	"a map's order, a raw goroutine: -simcheck runs each seed twice and names where the two runs part)"

// replayedKept tells a replay (-simseed, Replay) of a seed that the test
// keeps how its run compares with the one kept: another trace is another
// execution, and the kept execution passing means that what failed it is
// not in what the trace hashes.
func (r *runner) replayedKept(o *seedOutcome) {
	r.t.Helper()
	seed := o.res.Seed
	path := r.keptFile(seed)
	kept, traced := keptTrace(path)
	switch {
	case !traced:
	case kept != o.res.Trace:
		r.t.Logf("simtest: seed %d ran another execution than the one kept in %s (trace %016x; kept %016x): "+
			"the code along its path changed since, or the flags or the environment variables the test reads (a kept file records the flags, not the environment), or %s",
			seed, path, o.res.Trace, kept, notDeterministic)
	case !o.failed():
		r.t.Logf("simtest: seed %d ran the execution kept in %s (trace %016x), which failed, and passed: "+
			"what failed it is outside what the trace hashes, such as state an earlier seed or test left (a package variable) "+
			"or the bytes written; -simcheck compares those too", seed, path, kept)
	}
}

// replayFlags returns the flags that followed arg (the seed's -simseed,
// a recipe's -simrecipe) in the replay line of a kept seed's or recipe's
// file, as typed, and whether the file has such a line.
func replayFlags(path, arg string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	for line := range strings.Lines(string(b)) {
		replay, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "# replay: ")
		if !ok {
			continue
		}
		_, flags, ok := strings.Cut(replay, " "+arg)
		return strings.TrimSpace(flags), ok
	}
	return "", false
}

func orNone(flags string) string {
	if flags == "" {
		return "none"
	}
	return flags
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// maxKeptErrors bounds how many of a seed's errors its kept file repeats.
const maxKeptErrors = 10

// failureWords is why a seed failed, in the failure's own words: the
// engine's failure, the errors reported, what the determinism check found.
func failureWords(o *seedOutcome) string {
	var parts []string
	var f *sim.Failure
	switch {
	case errors.As(o.res.Err, &f):
		if f.Kind != sim.Stopped || o.s == nil || len(o.s.errs) == 0 {
			parts = append(parts, f.Error())
		}
	case o.res.Err != nil:
		parts = append(parts, o.res.Err.Error())
	}
	if o.diverge != "" {
		parts = append(parts, divergedHead(o)+": "+o.diverge)
	}
	if o.s != nil {
		errs := o.s.errs
		if len(errs) > maxKeptErrors {
			errs = append(errs[:maxKeptErrors:maxKeptErrors], fmt.Sprintf("(and %d more errors)", len(o.s.errs)-maxKeptErrors))
		}
		parts = append(parts, errs...)
	}
	if o.viaT {
		parts = append(parts, viaTWords(raceDetector))
	}
	if len(parts) == 0 {
		return "it failed"
	}
	return strings.Join(parts, "\n")
}
