package simtest

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A fuzz input that failed is committed as go test's file under
// testdata/fuzz, and every later go test runs it. An input is a stream of
// decisions, so one draw more or less anywhere on its path shifts every
// decision after it: after a change elsewhere in the code, the input runs
// another execution and may pass with its bug still there. So the trace of
// its failing run is kept beside the kept seeds, in a file of its own
// named "input-" and the input's name (go test's file is in go test's
// format, and holds the input alone), and a later run of the input that
// passes on another trace says so, as a kept seed's run does.
const inputPrefix = "input-"

// corpusDir is where go test reads a fuzz test's corpus files and writes
// the failing input it finds, relative to the directory the test binary
// runs in (testing's corpusDir).
const corpusDir = "testdata/fuzz"

// keptInputPath is the file that keeps the trace of the input called
// input, a file of the fuzz test fuzzName's corpus.
func keptInputPath(fuzzName, input string) string {
	return filepath.Join(keepPath(fuzzName), inputPrefix+escapeName(input))
}

// corpusFile is go test's file of the input called input.
func corpusFile(fuzzName, input string) string {
	return filepath.Join(corpusDir, fuzzName, input)
}

func keptInputHeader(fuzzName, input string) string {
	return fmt.Sprintf("# The input %s failed %s; go test runs it from %s, and simtest says when it runs another execution than this one.",
		input, fuzzName, filepath.ToSlash(corpusFile(fuzzName, input)))
}

// keepsInput reports whether the failing run o of a corpus input keeps
// its trace: as a failing seed is kept (keep), not for a failure that is
// the test's own (a configuration error, a misuse), nor for a run cut
// short (the watchdog gave it up, go test's -timeout came near), whose
// trace is not the execution's.
func (ft *fuzzTarget) keepsInput(o *seedOutcome) bool {
	return ft.cfg.keep && !o.givenUp && (o.s == nil || o.s.config == nil) && !misused(o) && !overtime(o)
}

// keepInput keeps the trace of o, a failing run of the corpus input called
// input, unless a file keeps it already. It returns what to tell the test.
func (ft *fuzzTarget) keepInput(input string, o *seedOutcome, replay string) string {
	path := keptInputPath(ft.name, input)
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	wrote := false
	if err == nil {
		wrote, err = writeKept(path, keptInputHeader(ft.name, input), replay, o.res.Trace, 0, failureWords(o))
	}
	switch {
	case err != nil:
		return fmt.Sprintf("simtest: the trace of input %s cannot be kept, so a later run of it cannot tell whether it runs the execution that failed: %v", input, err)
	case wrote:
		return fmt.Sprintf("simtest: kept the trace of input %s in %s: commit it with %s, and every later go test that runs the input to another execution says so (-v)",
			input, path, corpusFile(ft.name, input))
	}
	return ""
}

// keptInputRan tells what a run of the corpus input called input says of
// the trace kept for it, if any, as keptRan does of a kept seed. One that
// runs another trace runs another execution than the one that failed: the
// code along its path changed since (one draw more or less will do), or
// the flags or the environment the test reads. Its passing then proves
// little, and its failing may be another bug. One that passed may also
// have failed under flags this run does not set. One that passed on the
// trace that failed changed outside what the trace hashes: the values
// computed or checked (the bug's fix, often).
//
// It returns what to tell the test, and whether the input passed on
// another execution, which -simstrictkept fails the test for.
func (ft *fuzzTarget) keptInputRan(input string, o *seedOutcome) (string, bool) {
	path := keptInputPath(ft.name, input)
	if !fileExists(path) {
		return "", false
	}
	switch k := compareKept(path, shellQuote(newReplayer().dir), o); {
	case o.failed() && k.moved && k.otherFlags:
		return fmt.Sprintf("simtest: input %s failed, but not on the execution that failed before (trace %016x; kept %016x): it ran under other flags (%s; this run: %s), "+
			"the likeliest cause; the failure may be another one than %s records: run its replay line, in %s, for the kept one",
			input, o.res.Trace, k.kept, orNone(k.then), orNone(k.now), path, path), false
	case o.failed() && k.moved:
		return fmt.Sprintf("simtest: input %s failed, but not on the execution that failed before (trace %016x; kept %016x): "+
			"the code along its path changed since, or the flags or the environment variables the test reads (a kept file records the flags, not the environment), or %s; the failure may be another one than %s records",
			input, o.res.Trace, k.kept, notDeterministic, path), false
	case o.failed():
	case k.otherFlags:
		return fmt.Sprintf("simtest: input %s passed, but it failed under other flags (%s; this run: %s): run its replay line, in %s",
			input, orNone(k.then), orNone(k.now), path), false
	case k.moved:
		return fmt.Sprintf("simtest: input %s passed, but it no longer runs the execution that failed (trace %016x; kept %016x): "+
			"the code along its path changed since (a change elsewhere will do: one draw more or less shifts every decision after it), "+
			"or the environment variables the test reads (a kept file records the flags, not the environment), or %s; so its passing proves little, and its bug may still be there: "+
			"fuzz again to find an input that fails (go test -fuzz starts from this one), or keep the bug's test as an assertion or a targeted test; "+
			"once its bug is fixed, delete %s (the input may stay, as an input like any other)",
			input, o.res.Trace, k.kept, notDeterministic, path), true
	case k.traced:
		return fmt.Sprintf("simtest: input %s passed, on the execution that failed (trace %016x): what changed since is outside what the trace hashes "+
			"(when each task runs, how many draws it makes, not the values the code computes or checks): the bug's fix, if it is one, a check changed, "+
			"or state an earlier test left (a package variable); once its bug is fixed, delete %s (the input may stay, as an input like any other)", input, k.kept, path), false
	}
	return "", false
}

// fuzzedHere reports whether this process coordinates go test -fuzz of
// the fuzz test called name, as read from fs, the command line: -fuzz
// matches it, and the process is not one of go test's fuzz workers.
func fuzzedHere(fs *flag.FlagSet, name string) bool {
	pattern := fs.Lookup("test.fuzz")
	if pattern == nil || pattern.Value.String() == "" || inFuzzWorker(fs) {
		return false
	}
	// go test matches -fuzz as -run, a pattern per level of names: the
	// fuzz test's is the first.
	top, _, _ := strings.Cut(pattern.Value.String(), "/")
	re, err := regexp.Compile(top)
	return err == nil && re.MatchString(name)
}

// corpusNames lists the files of the fuzz test's corpus directory; none
// when it does not exist.
func corpusNames(fuzzName string) (map[string]bool, error) {
	entries, err := os.ReadDir(filepath.Join(corpusDir, fuzzName))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			out[e.Name()] = true
		}
	}
	return out, nil
}

// keepFound keeps the trace of each failing input that go test -fuzz
// wrote to the corpus directory while it fuzzed: the files not in before.
// go test finds the input in a worker process, and writes it from this
// one, the coordinator, after any minimizing: so this process runs the
// file's input once, as a later go test will, for its trace.
func (ft *fuzzTarget) keepFound(f *testing.F, before map[string]bool) {
	f.Helper()
	now, err := corpusNames(ft.name)
	if err != nil {
		ft.log(f, fmt.Sprintf("simtest: the failing input go test wrote cannot be found, so its trace is not kept: %v", err))
		return
	}
	for _, name := range slices.Sorted(maps.Keys(now)) {
		if before[name] {
			continue
		}
		data, err := readCorpusInput(corpusFile(ft.name, name))
		if err != nil {
			ft.log(f, fmt.Sprintf("simtest: the trace of input %s is not kept: %v", name, err))
			continue
		}
		in := &fuzzInput{data: data}
		r := &runner{t: f, cfg: ft.cfg, body: ft.body, fuzz: in, workers: ft.workers, sites: ft.sites}
		o := r.runSeed(inputSeed(data))
		r.late.close()
		switch {
		case o.res.Goexit:
			return // a task called FailNow on the fuzz test: nothing more runs
		case !o.failed():
			ft.log(f, fmt.Sprintf("simtest: input %s failed while fuzzing, but passed when this process ran it again (trace %016x), so its trace is not kept: "+
				"%s; its replay line: %s", name, o.res.Trace, notDeterministic, newReplayer().line(ft.name+"/"+name, "")))
		case ft.keepsInput(o):
			if note := ft.keepInput(name, o, newReplayer().line(ft.name+"/"+name, "")); note != "" {
				ft.log(f, note)
			}
		}
	}
}

// readCorpusInput reads the input of a corpus file that go test -fuzz
// wrote: a []byte, in the format go test writes it (marshalCorpusFile in
// internal/fuzz), as corpusName names it.
func readCorpusInput(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	body, ok := strings.CutPrefix(string(b), "go test fuzz v1\n[]byte(")
	body, ok2 := strings.CutSuffix(body, ")\n")
	var s string
	if ok && ok2 {
		s, err = strconv.Unquote(body)
	}
	if !ok || !ok2 || err != nil || corpusName([]byte(s)) != filepath.Base(path) {
		return nil, fmt.Errorf("%s is not one []byte in the form go test -fuzz writes it", path)
	}
	return []byte(s), nil
}
