package simtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moonpool-go/moonpool/internal/fuzzcover"
	"github.com/moonpool-go/moonpool/internal/plural"
	"github.com/moonpool-go/moonpool/internal/rng"
	"github.com/moonpool-go/moonpool/internal/sim"
	"github.com/moonpool-go/moonpool/internal/tally"
)

// MaxFuzzInput is how long a fuzz input can be: the base seed, 65,536
// decisions and the final byte. The rest of a longer input is ignored.
const MaxFuzzInput = 8 + maxDecisions + 1

// maxDecisions is how many draws an input sets.
const maxDecisions = rng.MaxDecisions

// Fuzz is [Run] for go test -fuzz: a fuzz target whose input is a decision
// stream. Call it from a fuzz test, with the body a Run would take:
//
//	func FuzzBank(f *testing.F) {
//		simtest.Fuzz(f, workload)
//	}
//
// Each input runs the body once, in a fresh simulated world. Every decision
// of a run — which task runs next, every number drawn from the Random
// provider, every fault — is a draw from the run's random stream, and the
// input sets those draws: its first eight bytes are a base seed (little
// endian), and each byte after them but the last is one decision, the top
// byte of one draw, in order, whose other 56 bits are the base seed's. (The
// last byte is not read: go test's minimizer needs one byte that does not
// matter.) Past its decisions a run goes on with seed 0's draws, the same
// for every input. So changing one byte of an input changes one decision
// and no other, and cutting an input short puts seed 0's decisions back
// rather than drawing new ones: the fuzzer can keep what got an input far
// and change the rest. The same input gives the same run, every time.
//
// [SeedInput] makes an input from a seed: the seed, and the top byte of
// each of its draws. For a run of up to 65,536 draws it runs the seed's
// execution, to the same trace hash as Run, and [S.Seed] reports the seed.
// A decision sets only the top byte of a draw: enough to choose among up
// to 256 ways, while a rarer event (a fault of probability 1e-5, say)
// needs the base seed's low bits to agree.
//
// Everything else is as in Run: the same [S], providers and devices, the
// same failure report, with the fuzzer's own replay line instead of a seed:
//
//	go test -run '^FuzzBank$/^89ca86ddf2874fad$' ./examples/shardmove
//
// A failing input found by go test -fuzz is written by go test to
// testdata/fuzz/<FuzzName>/<hash>, the name that line shows, and is run by
// every later go test as a regression test. One draw more or less on its
// path, after a change elsewhere, shifts every decision after it, and the
// input then runs another execution: so Fuzz keeps the trace of its
// failing run in testdata/simtest/<FuzzName>/input-<hash>, as a failing
// seed is kept, and a later run of the input that passes on another trace
// says so (under -v; -simstrictkept fails the test). Commit both files.
// An input is not a Run: Fuzz reports no assertion table and no coverage
// gaps, while a failed Always fails the input as it fails a seed.
// Goroutines that the inputs' tasks started with go statements and that
// still run after them fail the fuzz test, as they fail a Run (see
// [AllowWallClock]), but under go test -fuzz, whose worker processes run
// the inputs it fuzzes unseen: there only the runs that built the seed
// corpus are counted.
// docs/fuzzing.md tells the whole story, with the commands.
//
// go test minimizes every input it keeps, for up to a minute each by
// default, and a simulation's input of thousands of decisions takes the
// whole minute: Fuzz turns minimizing off (-fuzzminimizetime=0) when go
// test fuzzes its target and -fuzzminimizetime was not given. A failing
// input replays the same at any size.
//
// # Feedback
//
// The fuzzer keeps an input when it runs code no earlier input ran. A
// simulation that gets further mostly runs the same code with other data,
// so Fuzz turns the simulation's own progress into code coverage: each
// progress signal of the assertions (a Sometimes first true, a watermark
// improved, a SometimesAll frontier advanced, a SometimesEach bucket
// filled) and each new abstract state runs a code branch of its own. An
// abstract state is a pair of consecutive task resumptions, each task named
// by its name without digits ("worker-3" and "worker-12" are one kind):
// which kind of task ran right after which. Each branch is hit at most once
// per input, and there are at most 1,024 progress branches and
// [FuzzStates] (default [DefaultFuzzStates]) state branches, so the corpus
// these signals can grow is bounded. [NoFuzzFeedback] turns both off.
//
// # Seed corpus
//
// Fuzz adds [DefaultFuzzSeeds] inputs to the seed corpus, one for each of
// as many seeds derived from the fuzz test's name, as Run derives its
// seeds: [SeedInput] with a byte for every draw the seed's run makes, so
// that the input runs the seed's execution and the fuzzer has a byte to
// change for each of its decisions. To build them Fuzz runs each seed once
// before fuzzing. [Seeds], [BaseSeed] and [FreshSeeds], and
// the -simseeds, -simfresh and -simshard flags, choose these seeds (a
// shard takes its part of them, as a Run's shard does); [FuzzSeeds] adds
// seeds of your own, such as a seed a Run found failing, so that the fuzzer
// starts from its execution and every go test replays it. With
// -simseed=N the seed corpus is seed N's input alone:
//
//	go test -run '^$' -fuzz '^FuzzBank$' ./examples/shardmove -simseed=N
//
// fuzzes from seed N's execution. Without -fuzz, go test runs the seed
// corpus and testdata/fuzz/<FuzzName>, one subtest per input.
//
// # Bad input
//
// An input with no decisions, nine bytes or fewer, runs seed 0: an empty
// input is ChaCha8 from the fixed seed 0. Only the first [MaxFuzzInput]
// bytes of an input are read: an input sets at most 65,536 decisions, and
// a run that draws more goes on with seed 0's draws. A body that draws
// nothing runs the same for every input; Fuzz says so in the log when it
// builds the seed corpus.
//
// Bad options or flags fail the fuzz test before any input runs. So do
// the options of Run that Fuzz has no use for ([KeepGoing], [Workers],
// [Shard], [AllowGaps], [RunFor], [UntilPlateau], [Explore], and those
// that write a Run's files), with the reason; their flags, given to every
// test of a go test ./..., Fuzz passes over and names in its log.
func Fuzz(f *testing.F, body func(s *S), opts ...Option) {
	f.Helper()
	if body == nil {
		f.Fatalf("simtest.Fuzz: the body is nil; pass a func(s *simtest.S) that drives the simulation")
		return
	}
	ft, err := newFuzzTarget(f.Name(), testing.Short(), commandLine(), body, opts)
	if err != nil {
		f.Fatal(err)
		return
	}
	if note := ft.cfg.offUnderDebugger(tracerPID()); note != "" {
		f.Log(note)
	}
	ft.workers = sim.NewWorkers()
	f.Cleanup(ft.workers.Close)
	f.Cleanup(func() { ft.leftover(f, flag.CommandLine) }) // before the Close: cleanups run last first
	for _, in := range ft.corpus(f) {
		f.Add(in)
	}
	ft.site = fuzzSite(f.Name())
	if turnMinimizingOff(flag.CommandLine, f.Name()) {
		f.Logf("simtest: go test -fuzz minimizes no input of %s (-fuzzminimizetime=0): an input replays the same at any size, and minimizing one takes up to a minute of runs; give -fuzzminimizetime to minimize", f.Name())
	}
	// go test checks the seed corpus (f.Add's inputs, testdata/fuzz) against
	// the target's one []byte before any input runs, and says only
	// "mismatched types in corpus entry": say what the target takes.
	var started atomic.Bool
	returned := false
	defer func() {
		if !returned && !started.Load() && f.Failed() {
			fmt.Fprintln(f.Output(), corpusHint(f.Name()))
		}
	}()
	// go test -fuzz writes the failing input it finds from this process,
	// after its workers have stopped: the files in the corpus directory
	// before fuzzing tell which it wrote.
	var before map[string]bool
	if ft.cfg.keep && fuzzedHere(flag.CommandLine, f.Name()) {
		before, _ = corpusNames(f.Name())
	}
	// Not a helper: testing calls this function through reflect, and the
	// reflect frame would be named instead; an input's lines name site.
	f.Fuzz(func(t *testing.T, data []byte) {
		started.Store(true)
		ft.run(t, data)
	})
	returned = true
	if table := ft.corpusTable(f); table != "" {
		f.Log(table)
	}
	if before != nil && f.Failed() {
		ft.keepFound(f, before)
	}
}

// leftover fails the fuzz test f, as a Run fails its test, when
// goroutines that its inputs' tasks started with go statements still run
// after them (leftoverNote), and logs that they could not be counted when
// they could not. fs is the command line.
//
// A worker process of go test -fuzz, which runs the inputs it fuzzes,
// does not look: go test discards what it writes (its output goes nowhere,
// and its test's to io.Discard), and once it has stopped the worker, at
// the end of fuzzing, it ignores how the worker exited; a look that finds
// goroutines waits up to leftoverSettle for them to end, past the second
// go test gives a worker to exit before it interrupts it. Nor could such
// a failure be an input's: goroutines end on the wall clock, so which
// input left the one counted after another is not known. The process that
// coordinates the fuzzing looks, at the goroutines of the runs that built
// the seed corpus there, and says so.
func (ft *fuzzTarget) leftover(f *testing.F, fs *flag.FlagSet) {
	if inFuzzWorker(fs) {
		return
	}
	text, counted := leftoverNote([]*sim.Workers{ft.workers}, ft.cfg.wallClock, nil, inputsLeft)
	switch {
	case text == "":
		return
	case !counted:
		// Not Log: it would name this line, not the test's.
		fmt.Fprintln(f.Output(), "simtest: "+text)
		return
	}
	if fuzzedHere(fs, f.Name()) {
		text += "; go test -fuzz counts them in the process that coordinates the fuzzing, whose runs are those that built the seed corpus: " +
			"the inputs it fuzzes run in worker processes, whose goroutines it does not count, and go test (without -fuzz) counts those of every input of the seed corpus and testdata/fuzz (docs/fuzzing.md)"
	}
	fmt.Fprintln(f.Output(), leftoverFailure+text)
	f.Fail()
}

// inFuzzWorker reports whether this process is a worker of go test -fuzz,
// by fs, the command line.
func inFuzzWorker(fs *flag.FlagSet) bool {
	w := fs.Lookup("test.fuzzworker")
	return w != nil && w.Value.String() == "true"
}

// corpusHint is what Fuzz says when go test refused the seed corpus of the
// fuzz test name before any input ran.
func corpusHint(name string) string {
	return "simtest: the fuzz target of simtest.Fuzz takes one []byte, a decision stream, so every input of its seed corpus is one []byte: " +
		"add inputs with f.Add(simtest.SeedInput(seed, draws)), or seeds with the FuzzSeeds option, and give each file under testdata/fuzz/" +
		name + " one []byte (an f.Add of an int, a string or several values is refused with \"mismatched types\" or \"wrong number of values in corpus entry\")"
}

// fuzzSite is the line that called Fuzz, in the fuzz test named name:
// testing's helper marks are its own, so a helper between the two is
// passed over by the name of the test's function. Without that function
// on the stack (Fuzz called from a function literal elsewhere), it is the
// line that called Fuzz.
func fuzzSite(name string) string {
	var pcs [64]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs[:])])
	site := ""
	for {
		fr, more := frames.Next()
		if fr.File != "" {
			here := fmt.Sprintf("%s:%d", shortFile(fr.File), fr.Line)
			if site == "" {
				site = here
			}
			if strings.HasSuffix(fr.Function, "."+name) {
				return here
			}
		}
		if !more {
			return site
		}
	}
}

// turnMinimizingOff sets go test's -fuzzminimizetime to 0 in fs, the command
// line, when name is the fuzz test that go test -fuzz fuzzes in this
// process and the flag was not given, and reports whether it did. go test
// minimizes every input it keeps, failing or new, for up to a minute
// each by default, and a simulation's input of thousands of decisions
// takes the whole minute: fuzzing a simulation of a few milliseconds a
// run went from 100-250 runs a second to 15 in a minute. The flag is read
// as Fuzz calls f.Fuzz, in the process that coordinates the fuzzing.
func turnMinimizingOff(fs *flag.FlagSet, name string) bool {
	minimize := fs.Lookup("test.fuzzminimizetime")
	if minimize == nil || !fuzzedHere(fs, name) {
		return false
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f == minimize })
	return !given && minimize.Value.Set("0") == nil
}

// The fuzzing defaults and bounds.
const (
	DefaultFuzzSeeds  = 4
	DefaultFuzzStates = 256
	MaxFuzzStates     = fuzzcover.Size - progressBranches
)

// progressBranches is how many branches the assertions' progress signals
// share; the state branches come after them.
const progressBranches = 1024

type fuzzConfig struct {
	progress bool
	states   int
	seeds    []uint64
}

// fuzzOption is an Option that only Fuzz understands.
type fuzzOption struct {
	name string
	set  func(*fuzzConfig) error
}

func (o fuzzOption) apply(*config) error {
	return fmt.Errorf("simtest.%s is an option of Fuzz; Run has no use for it, so remove it from this Run", o.name)
}

// FuzzStates sets how many code branches [Fuzz] gives to abstract states
// (default [DefaultFuzzStates], at most [MaxFuzzStates]); states are
// hashed onto them. More branches tell more states apart, and let the
// corpus grow larger; zero turns the state feedback off and leaves the
// assertions' progress.
func FuzzStates(n int) Option {
	return fuzzOption{"FuzzStates", func(c *fuzzConfig) error {
		if n < 0 || n > MaxFuzzStates {
			return fmt.Errorf("simtest.FuzzStates(%d): the number of state branches must be between 0 (off) and %d", n, MaxFuzzStates)
		}
		c.states = n
		return nil
	}}
}

// NoFuzzFeedback turns off what [Fuzz] tells the fuzzer about the
// simulation: the fuzzer sees only the code coverage of the test binary.
// It is for measuring what the feedback is worth.
func NoFuzzFeedback() Option {
	return fuzzOption{"NoFuzzFeedback", func(c *fuzzConfig) error {
		c.progress, c.states = false, 0
		return nil
	}}
}

// FuzzSeeds adds the decision streams of seeds to the seed corpus of
// [Fuzz], after its default ones. Each input runs its seed's execution (see
// [SeedInput]): a seed that a Run found failing becomes an input that every
// go test replays and from which go test -fuzz explores.
func FuzzSeeds(seeds ...uint64) Option {
	return fuzzOption{"FuzzSeeds", func(c *fuzzConfig) error {
		c.seeds = append(c.seeds, seeds...)
		return nil
	}}
}

// SeedInput returns the fuzz input that makes the first draws decisions of
// seed's run: the seed, the top byte of each of those draws, and the final
// byte, which is not read (see [Fuzz]). If the run draws no more than
// that, the input runs seed's execution exactly, to the same trace hash.
// draws is capped at 65,536, and is at least 1: an input without a
// decision runs seed 0, not seed.
func SeedInput(seed uint64, draws int) []byte {
	draws = max(1, min(draws, maxDecisions))
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+draws+1), seed)
	st := rng.New(seed)
	for range draws {
		out = append(out, byte(st.Uint64()>>56))
	}
	return append(out, 0)
}

// An input's final byte is not read, for the sake of go test's minimizer.
// The fuzzer shrinks each input it keeps, and judges the result by the
// coverage of the last input it tried, which changes the input's final
// byte. Were that byte a decision, the change would mostly lose what made
// the input worth keeping, and the input would be dropped.

// inputSeed is the base seed of a fuzz input: 0 for an input that sets no
// decision, which runs seed 0.
func inputSeed(data []byte) uint64 {
	if len(inputDecisions(data)) == 0 {
		return 0
	}
	return binary.LittleEndian.Uint64(data)
}

// inputDecisions is the decision bytes of a fuzz input: after the base
// seed, before the final byte, within MaxFuzzInput.
func inputDecisions(data []byte) []byte {
	data = data[:min(len(data), MaxFuzzInput)]
	if len(data) <= 9 {
		return nil
	}
	return data[8 : len(data)-1]
}

// fuzzTarget is what Fuzz keeps between inputs. Fuzz builds it before any
// input runs: newFuzzTarget, then the workers, then corpus, which records
// the corpus's seeds. From then on only execs and first change, atomically,
// as inputs run.
type fuzzTarget struct {
	name string // the fuzz test's name
	cfg  config
	// timelines: go test's -run names inputs, as a replay line does, and
	// those run write the timeline files the flags ask for.
	timelines bool
	fz        fuzzConfig
	body      func(*S)
	// inputs is the seed corpus, in f.Add order: each seed's input
	// (SeedInput), which starts with the seed.
	inputs [][]byte
	// workers carries task goroutines from one input's world to the next;
	// nil makes each world its own.
	workers *sim.Workers
	notes   []string      // what the log tells before the seed corpus: flags passed over, a shard
	sites   *tally.Sites  // the assertions' call sites, named once for all inputs
	execs   atomic.Uint64 // inputs run by this process
	first   atomic.Uint64 // the number of the first of them that failed
	// site is the line that called Fuzz, as "bank_test.go:12", which an
	// input's lines name; "" when unknown.
	site string
	ran  corpusRan
}

// corpusRan is the assertions of the corpus entries this process ran by
// name, as a plain go test runs them (never while fuzzing), for the table
// of what the corpus reached that Fuzz logs after them: an input alone has
// no table, and whether the inputs kept reach a step toward a bug is what
// tells whether to go on fuzzing.
type corpusRan struct {
	mu           sync.Mutex
	book         *tally.Book
	seeds, files int // entries of the seed corpus (seed#i), and of testdata/fuzz
}

// add counts an input's book, of an entry of testdata/fuzz (file) or of
// the seed corpus.
func (c *corpusRan) add(sites *tally.Sites, book *tally.Book, file bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.book == nil {
		c.book = tally.New(sites)
	}
	c.book.Merge(book)
	if file {
		c.files++
	} else {
		c.seeds++
	}
}

// corpusTable is the table of the assertions of the corpus entries that
// ran by name, as a Run's report has it, with a line saying over which;
// "" when none ran so (while fuzzing, or an -run that named none).
func (ft *fuzzTarget) corpusTable(f *testing.F) string {
	f.Helper()
	c := &ft.ran
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.book == nil {
		return ""
	}
	r := &runner{t: f, cfg: ft.cfg, body: ft.body, sites: ft.sites}
	stale := r.catalogue(c.book, moduleRoot())
	table := withUnentered(assertionTable(c.book.Rows(), "(SEEDS and PROGRESS count inputs)", stale, fuzzCorpus), c.book.Unentered(), "go test -fuzz has no other list")
	if table == "" {
		return "" // no assertion: nothing to tell of
	}
	return fmt.Sprintf("simtest: what the corpus of %s reached, over the %s that ran (%d of the seed corpus, %d of %s; the inputs go test -fuzz keeps in its cache run only when copied there, docs/fuzzing.md):\n%s",
		ft.name, plural.Count(c.seeds+c.files, "input"), c.seeds, c.files, filepath.ToSlash(filepath.Join("testdata", "fuzz", ft.name)), table)
}

func newFuzzTarget(name string, short bool, fl flags, body func(*S), opts []Option) (*fuzzTarget, error) {
	fz := fuzzConfig{progress: true, states: DefaultFuzzStates}
	var rest []Option
	for _, o := range opts {
		if fo, ok := o.(fuzzOption); ok {
			if err := fo.set(&fz); err != nil {
				return nil, err
			}
			continue
		}
		rest = append(rest, o)
	}
	c, err := resolve(short, fl, rest)
	if err != nil {
		return nil, err
	}
	// An exploration's options are a Run's: a fuzz input is one seed's
	// run, and its timeline would be the seed's alone. (The -simexplore
	// flag is for every Run, and a Fuzz passes over it.)
	//
	// So are RunFor and UntilPlateau, which leave the count of seeds
	// open: the seed corpus would be collected without end. (Their flags
	// are for every Run, and a Fuzz passes over them.)
	if own, err := resolve(short, flags{}, rest); err == nil {
		switch {
		case own.recipe == nil && own.explore != nil:
			return nil, fmt.Errorf("simtest.Explore is an option of Run; Fuzz has no use for it (go test -fuzz explores by mutating inputs), so remove it from this Fuzz")
		case own.runFor > 0 || own.plateau > 0:
			return nil, fmt.Errorf("simtest.RunFor and simtest.UntilPlateau are options of Run; Fuzz has no use for them (its seed corpus is simtest.DefaultFuzzSeeds seeds, or Seeds(n), and go test -fuzztime bounds fuzzing), so remove them from this Fuzz")
		case own.keepGoing:
			return nil, fmt.Errorf("simtest.KeepGoing is an option of Run; Fuzz has no use for it (go test runs every input of the seed corpus whatever fails, and go test -fuzz stops at the first failing input, which it keeps), so remove it from this Fuzz")
		case own.workers > 1:
			return nil, fmt.Errorf("simtest.Workers is an option of Run; Fuzz runs one input at a time (go test -fuzz runs inputs on its own workers, as many as -parallel says), so remove it from this Fuzz")
		case own.shards > 0:
			return nil, fmt.Errorf("simtest.Shard is an option of Run; Fuzz has no use for it (go test -fuzz chooses its inputs, and a sweep shards the seed corpus with -simshard or $%s), so remove it from this Fuzz", shardEnv)
		case own.verify:
			return nil, fmt.Errorf("simtest.VerifyReplay is an option of Run; Fuzz has no use for it (a failing input is replayed from its corpus file, by its name, -run 'FuzzName/input', which go test prints; a seed's replay line is what it checks), so remove it from this Fuzz")
		case own.asserts.allowGaps || len(own.asserts.allowed) > 0:
			return nil, fmt.Errorf("simtest.AllowGaps is an option of Run; Fuzz checks no coverage gaps (an input is one run, and a Sometimes false in it is no gap), so it has nothing to allow: remove it from this Fuzz")
		}
		if err := noRunFiles(own); err != nil {
			return nil, err
		}
	}
	// The flags for every Run that a Fuzz passes over: an input runs
	// alone, and the seed corpus runs whole, each entry once.
	c.runFor, c.plateau, c.workers, c.keepGoing = 0, 0, 1, false
	if c.recipe != nil {
		return nil, fmt.Errorf("simtest: -simrecipe=%s replays an exploration's timeline, which a Fuzz target cannot run: it would run seed %d alone; run the test that explored it, as its replay line does (go test -run '^TestName$')", c.recipe, c.recipe.Seed)
	}
	if !c.seedsSet && fl.seeds == 0 {
		c.seeds = scaleSeeds(DefaultFuzzSeeds, fl.scale) // -simscale scales the seed corpus's own count too
	}
	ft := &fuzzTarget{name: name, cfg: c, fz: fz, body: body, sites: tally.NewSites(), timelines: fl.selectsSubtests()}
	if over := passedOver(fl); over != "" {
		ft.notes = append(ft.notes, over)
	}
	if c.sharded() {
		ft.notes = append(ft.notes, fmt.Sprintf("simtest: shard %d of %d (%s=%s): the seed corpus is this shard's part of the seeds, those at places %d, %d, %d... of the sequence; FuzzSeeds are shard 0's",
			c.shard, c.shards, fl.shardIn, fl.shard, c.shard, c.shard+c.shards, c.shard+2*c.shards))
	}
	return ft, nil
}

// passedOver says which flags of Run a Fuzz target passes over, and why;
// "" when none is given. They are for every Run of a go test ./..., which
// runs fuzz targets too, so they are no error.
func passedOver(fl flags) string {
	files := "Fuzz makes no Run's report or files"
	var over []string
	for _, g := range []struct {
		given []bool
		names []string
		why   string
	}{
		{[]bool{fl.workers != "" || fl.workersSet}, []string{"-simworkers=" + fl.workers}, "go test runs the seed corpus one input at a time, and go test -fuzz runs as many workers as -parallel says"},
		{[]bool{fl.all}, []string{"-simall"}, "go test runs every input of the seed corpus whatever fails, and go test -fuzz stops at the first failing input"},
		{[]bool{fl.runFor != "", fl.plateau > 0}, []string{"-simfor", "-simplateau"}, "the seed corpus is a count of seeds, and go test -fuzztime bounds fuzzing"},
		{[]bool{fl.explore, fl.budget > 0}, []string{"-simexplore", "-simtimelines"}, "go test -fuzz explores by mutating inputs"},
		{[]bool{fl.asserts.allowGaps}, []string{"-simallowgaps"}, "Fuzz checks no coverage gaps"},
		{[]bool{fl.verify}, []string{"-simverify"}, "a failing input is replayed from its corpus file, by its name, -run 'FuzzName/input', not by a seed's replay line, which is what -simverify checks"},
		{[]bool{fl.results != "", fl.asserts.json != "", fl.asserts.cover != "", fl.slowSet},
			[]string{"-simresults", "-simjson", "-simcover", "-simslow"}, files},
		{[]bool{fl.asserts.timeline != "" && !fl.selectsSubtests(), fl.asserts.html != "" && !fl.selectsSubtests()}, []string{"-simtimeline", "-simhtml"},
			"written for an input that a replay line runs by name, -run 'FuzzName/input', not for the seed corpus of a go test or while fuzzing"},
	} {
		var names []string
		for i, given := range g.given {
			if given {
				names = append(names, g.names[i])
			}
		}
		if len(names) > 0 {
			over = append(over, strings.Join(names, ", ")+" ("+g.why+")")
		}
	}
	if len(over) == 0 {
		return ""
	}
	return "simtest: this Fuzz passes over flags that are for Run: " + strings.Join(over, "; ")
}

// noRunFiles refuses the options that write a Run's files: a Fuzz input
// is no Run, and would write none of them, silently. (Their flags are for
// every Run, and a Fuzz passes over them.)
func noRunFiles(c config) error {
	var names []string
	for _, o := range []struct {
		set  bool
		name string
	}{
		{c.resultsPath != "", "ResultsFile"}, {c.asserts.jsonPath != "", "JSONReport"},
		{c.asserts.coverPath != "", "CoverProfile"}, {c.asserts.timelinePath != "", "TimelineFile"},
		{c.asserts.htmlPath != "", "TimelineHTML"}, {c.asserts.docFunc != nil, "TimelineDoc"},
	} {
		if o.set {
			names = append(names, "simtest."+o.name)
		}
	}
	switch len(names) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s writes what a Run reports, and Fuzz reports no Run (go test -fuzz keeps failing inputs under testdata/fuzz), so it would write nothing: remove it from this Fuzz", names[0])
	}
	return fmt.Errorf("%s write what a Run reports, and Fuzz reports no Run (go test -fuzz keeps failing inputs under testdata/fuzz), so they would write nothing: remove them from this Fuzz", strings.Join(names, ", "))
}

// corpus runs each seed of the seed corpus once, to learn how many draws
// its execution makes, and returns their decision streams.
func (ft *fuzzTarget) corpus(t testing.TB) [][]byte {
	t.Helper()
	r := &runner{t: t, cfg: ft.cfg, body: ft.body, workers: ft.workers, sites: ft.sites}
	defer r.late.close()
	for _, note := range ft.notes {
		t.Log(note)
	}
	seeds := slices.Collect(r.seeds())
	// FuzzSeeds are run in shard 0 alone, as a Run's kept seeds are.
	if !ft.cfg.replaySet && ft.cfg.shard == 0 {
		seeds = append(seeds, ft.fz.seeds...)
	}
	var out [][]byte
	for _, seed := range seeds {
		o := r.once(seed)
		if o.res.Goexit {
			t.FailNow() // a task called FailNow on the real test: honour it
		}
		if o.res.Draws == 0 {
			t.Logf("simtest: seed %d drew nothing from its random stream: if the body never draws, every input runs the same and fuzzing explores nothing", seed)
		}
		out = append(out, SeedInput(seed, int(min(o.res.Draws, maxDecisions))))
	}
	ft.inputs = out
	return out
}

// run runs one input, as a Run runs one seed, and reports it on t.
func (ft *fuzzTarget) run(t testing.TB, data []byte) *fuzzInput {
	t.Helper()
	n := ft.execs.Add(1)
	// While fuzzing, an input has no name; go test names each input it
	// runs from the corpus, as a replay line does.
	_, _, named := strings.Cut(t.Name(), "/")
	file := ft.corpusInput(t.Name())
	in := &fuzzInput{data: data, progress: ft.fz.progress, states: ft.fz.states, timelines: named && ft.timelines}
	r := &runner{t: t, cfg: ft.cfg, body: ft.body, fuzz: in, workers: ft.workers, sites: ft.sites}
	defer r.late.close()
	o := r.runSeed(inputSeed(data))
	in.trace = o.res.Trace
	if named {
		ft.ran.add(ft.sites, r.runAsserts().book, file != "")
	}
	if r.cfg.verbose && o.s != nil && len(o.s.logs) > 0 {
		t.Logf("simtest: input log:\n    %s", strings.Join(o.s.logLines(), "\n    "))
		o.logShown = true
	}
	if o.timeline != nil {
		ra := r.runAsserts()
		ra.timeline, ra.timelineSeed, ra.pic = o.timeline, o.res.Seed, o.pic
		r.t = atSite{t, ft}
		r.writeTimelines(ra, o)
		r.runAfterResults()
		r.t = t
	}
	// While fuzzing, a passing input logs nothing: the formatting code is
	// instrumented too, and what it does depends on the input, so its
	// coverage would be noise to the fuzzer.
	switch {
	case o.skippedOnly():
		ft.log(t, ft.summary(t.Name(), in, o))
		if o.s.skipMsg != "" {
			ft.log(t, o.s.skipMsg)
		}
		t.SkipNow()
	case o.failed():
		ft.first.CompareAndSwap(0, n)
		if named {
			// While fuzzing, go test -fuzz runs a failing input again and
			// again as it minimizes it: the input runs again to show its
			// window elsewhere only when a replay line runs it by name.
			r.windowAt(o)
		}
		ft.log(t, ft.failureReport(o, t.Name(), data, n))
		t.Fail()
		ft.log(t, ft.summary(t.Name(), in, o))
		if file != "" {
			if note, _ := ft.keptInputRan(file, o); note != "" {
				ft.log(t, note)
			}
			if keeps(t, ft.cfg) && ft.keepsInput(o) {
				if note := ft.keepInput(file, o, newReplayer().line(t.Name(), "")); note != "" {
					ft.log(t, note)
				}
			}
		}
		if o.res.Goexit {
			t.FailNow() // a task called FailNow on the real test: honour it
		}
	case named:
		ft.log(t, ft.summary(t.Name(), in, o))
		if file != "" {
			note, moved := ft.keptInputRan(file, o)
			switch {
			case moved && ft.cfg.strictKept:
				ft.log(t, note+strictKeptNote)
				t.Fail()
			case note != "":
				ft.log(t, note)
			}
		}
	}
	return in
}

// corpusInput is the name of the file of go test's corpus directory that
// the input run as the subtest called test is, or "": a seed-corpus entry
// (seed#i) has no file, nor does an input while fuzzing.
func (ft *fuzzTarget) corpusInput(test string) string {
	_, sub, ok := strings.Cut(test, "/")
	if !ok || strings.Contains(sub, "/") || !fileExists(corpusFile(ft.name, sub)) {
		return ""
	}
	return sub
}

// atSite is an input's t whose lines are at the line that called Fuzz, as
// log writes them.
type atSite struct {
	testing.TB
	ft *fuzzTarget
}

func (a atSite) Helper() {}

func (a atSite) Logf(format string, args ...any) { a.ft.log(a.TB, fmt.Sprintf(format, args...)) }

func (a atSite) Errorf(format string, args ...any) {
	a.ft.log(a.TB, fmt.Sprintf(format, args...))
	a.TB.Fail()
}

// log logs msg on an input's t as t.Log does, but at the line that called
// Fuzz, as a Run's lines are at the line that called Run: testing would
// name this package's fuzz function, which it calls through reflect.
func (ft *fuzzTarget) log(t testing.TB, msg string) {
	t.Helper()
	if ft.site == "" {
		t.Log(msg)
		return
	}
	// As t.Log lays out a message of several lines.
	msg = strings.ReplaceAll(strings.TrimSuffix(msg, "\n"), "\n", "\n    ")
	fmt.Fprintf(t.Output(), "%s: %s\n", ft.site, msg)
}

func (ft *fuzzTarget) summary(name string, in *fuzzInput, o *seedOutcome) string {
	status := "ok"
	if o.failed() {
		status = "FAIL"
	}
	res := o.res
	line := fmt.Sprintf("simtest: input %s: %s; %d bytes, %d draws, simulated %v, %d steps, %d events, %d feedback branches; trace=%016x",
		ft.inputName(name, in.data), status, len(in.data), res.Draws, res.SimTime, res.Steps, res.Events, in.hits.Len(), res.Trace)
	if o.again > 0 && o.diverge == "" {
		line += "; determinism checked (-simcheck): ran twice, and took the same path both times"
	}
	return line
}

// inputName names an input as go test does: the subtest of a corpus entry,
// or, while fuzzing, the name go test will give the input if it keeps it.
// go test -fuzz runs the seed corpus first, for its baseline coverage,
// under the fuzz test's own name, and names a failing entry seed#i: the
// input tells which.
func (ft *fuzzTarget) inputName(test string, data []byte) string {
	if _, sub, ok := strings.Cut(test, "/"); ok {
		return sub
	}
	if i := slices.IndexFunc(ft.inputs, func(in []byte) bool { return bytes.Equal(in, data) }); i >= 0 {
		return "seed#" + strconv.Itoa(i)
	}
	return corpusName(data)
}

// corpusName is the file name go test -fuzz gives an input it keeps: the
// start of the SHA-256 of the corpus file (internal/fuzz, writeToCorpus).
func corpusName(data []byte) string {
	file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	return fmt.Sprintf("%x", sha256.Sum256([]byte(file)))[:16]
}

// seedOf returns the seed whose input a seed corpus entry is, given the
// input's name (inputName). The input must start with that seed: with
// FreshSeeds, a go test -fuzz worker draws seeds of its own, and its
// seed#i is not the coordinator's.
func (ft *fuzzTarget) seedOf(name string, data []byte) (uint64, bool) {
	i, err := strconv.Atoi(strings.TrimPrefix(name, "seed#"))
	if !strings.HasPrefix(name, "seed#") || err != nil || i < 0 || i >= len(ft.inputs) {
		return 0, false
	}
	seed := inputSeed(ft.inputs[i])
	if len(inputDecisions(data)) > 0 && inputSeed(data) != seed {
		return 0, false
	}
	return seed, true
}

// failureReport is Run's report of a failed seed, told of an input.
func (ft *fuzzTarget) failureReport(o *seedOutcome, test string, data []byte, n uint64) string {
	name := ft.inputName(test, data)
	what := "input " + name
	rp := newReplayer()
	var replay string
	seed, isSeed := ft.seedOf(name, data)
	switch {
	case isSeed:
		what += fmt.Sprintf(" (the input of seed %d)", seed)
		replay = rp.line(ft.name+"/seed#0", simseedArg(seed))
	case strings.Contains(test, "/"):
		replay = rp.line(test, "")
	default:
		// The count says how long fuzzing took; go test -fuzz goes on to
		// minimize a failing input, so the first failure may be earlier.
		what += fmt.Sprintf(" (input %d run by this fuzzing process", n)
		if first := ft.first.Load(); first != n {
			what += fmt.Sprintf("; its first failing input was input %d", first)
		}
		what += ")"
		replay = rp.line(ft.name+"/"+name, "") +
			fmt.Sprintf("\n          (go test -fuzz keeps the input as testdata/fuzz/%s/%s)", ft.name, name)
	}
	if len(data) > MaxFuzzInput {
		what += fmt.Sprintf(", %d bytes of which the first %d are read", len(data), MaxFuzzInput)
	}
	return failureReport(o, what, replay)
}

// fuzzInput is one input of a fuzz test: its decision stream and the
// feedback branches its runs hit. The runner's hooks below are no-ops on a
// nil fuzzInput, as in Run.
type fuzzInput struct {
	data     []byte
	progress bool
	states   int
	hits     fuzzcover.Set
	trace    uint64 // the run's trace hash, for tests
	// timelines is set for an input that a replay line runs by name (not
	// the seed corpus of a plain go test, nor fuzzing): it writes the
	// timeline files the flags ask for, which no other overwrites.
	timelines bool
}

// decisions is what the input decides of the run (see rng.Decided): nil
// when it sets no decision and the run is seed 0's.
func (in *fuzzInput) decisions() []byte {
	if in == nil {
		return nil
	}
	return inputDecisions(in.data)
}

// recording reports whether the run must keep its steps for observe.
func (in *fuzzInput) recording() bool { return in != nil && in.states > 0 }

// hook is S.progress for the run.
func (in *fuzzInput) hook() func(tally.Progress) {
	if in == nil || !in.progress {
		return nil
	}
	return in.signal
}

func (in *fuzzInput) signal(p tally.Progress) {
	in.hits.Hit(uint32(fuzzMix(p.Sig) % progressBranches))
}

// observe hits a state branch for each abstract state of the run: each
// pair of consecutive task resumptions, the tasks named without digits.
func (in *fuzzInput) observe(res *sim.Result) {
	if in == nil || in.states == 0 {
		return
	}
	var prev uint64
	for _, st := range res.Record.Steps {
		if st.Kind != sim.StepRun {
			continue
		}
		kind := fuzzTaskKind(res.Record.Task(st))
		in.hits.Hit(progressBranches + uint32(fuzzMix(prev*0x100000001b3^kind)%uint64(in.states)))
		prev = kind
	}
}

// fuzzTaskKind hashes a task's name without its digits, FNV-1a.
func fuzzTaskKind(name string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < '0' || c > '9' {
			h ^= uint64(c)
			h *= 0x100000001b3
		}
	}
	return h
}

// fuzzMix is splitmix64's finaliser: every bit of x moves every bit out.
func fuzzMix(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
