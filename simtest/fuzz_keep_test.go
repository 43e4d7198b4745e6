package simtest

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzKeepsInAChild fails an input whose first decision is 0, in the child
// processes of the tests below. $SIMTEST_EXTRA_DRAW changes the code along
// the input's path by one draw, as an unrelated change would: the check
// then reads the next decision. $SIMTEST_FIXED fixes the bug without
// changing the path; $SIMTEST_FAIL_ALL fails every input.
func FuzzKeepsInAChild(f *testing.F) {
	if os.Getenv("SIMTEST_FUZZ_CHILD") == "" {
		f.Skip("run by TestAFailingInputKeepsItsTrace and TestFuzzingKeepsTheTraceOfTheInputItFound")
	}
	extra, fixed, all := os.Getenv("SIMTEST_EXTRA_DRAW") != "", os.Getenv("SIMTEST_FIXED") != "", os.Getenv("SIMTEST_FAIL_ALL") != ""
	Fuzz(f, func(s *S) {
		r := s.Providers().Random
		v := r.Uint64()
		if extra {
			v = r.Uint64()
		}
		s.Sleep(time.Millisecond) // the trace counts the draws at the next step
		if (v>>56 == 0 || all) && !fixed {
			s.Errorf("planted: a first decision of 0")
		}
	}, Seeds(1))
}

// childRun runs the test binary in dir with args, and with env added to
// its environment.
func childRun(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	bin, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "SIMTEST_FUZZ_CHILD=1"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// commitInput writes data to the corpus directory of the fuzz test name
// below dir, as go test -fuzz writes a failing input, and returns the
// input's name.
func commitInput(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	input := corpusName(data)
	path := filepath.Join(dir, corpusFile(name, input))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644))
	return input
}

// A corpus input that fails keeps its trace beside the kept seeds, once;
// when the code along its path changes by one draw, the input passes on
// another execution, and says so; with the bug fixed on the same path, it
// says that instead; unchanged, it says neither. A process that checks
// another's replay, and -simkeep=false, keep nothing.
func TestAFailingInputKeepsItsTrace(t *testing.T) {
	const name = "FuzzKeepsInAChild"
	dir := t.TempDir()
	input := commitInput(t, dir, name, append(binary.LittleEndian.AppendUint64(nil, 99), 0, 0x42, 0))
	kept := filepath.Join(dir, keptInputPath(name, input))
	run := func(env []string, args ...string) (string, error) {
		t.Helper()
		return childRun(t, dir, env, append([]string{"-test.run=^" + name + "$"}, args...)...)
	}
	traceOf := func(out, status string) uint64 {
		t.Helper()
		m := regexp.MustCompile(`simtest: input ` + input + `: ` + status + `; [^\n]*trace=([0-9a-f]{16})`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		trace, err := strconv.ParseUint(m[1], 16, 64)
		require.NoError(t, err)
		return trace
	}

	out, err := run(nil)
	require.Error(t, err, "the input fails: %s", out)
	failed := traceOf(out, "FAIL")
	assert.Contains(t, out, "simtest: kept the trace of input "+input+" in "+keptInputPath(name, input)+": commit it with "+corpusFile(name, input), out)
	b, err := os.ReadFile(kept)
	require.NoError(t, err, out)
	assert.Regexp(t, `^# The input `+input+` failed `+name+`; go test runs it from testdata/fuzz/`+name+`/`+input+`, `+
		`[^\n]*\n# replay: go test -run '\^`+name+`\$/\^`+input+`\$' \./simtest[^\n]*\n# trace: [0-9a-f]{16}\n# It failed with:\n#   1ms driver: planted: a first decision of 0\n$`, string(b))
	trace, ok := keptTrace(kept)
	require.True(t, ok)
	assert.Equal(t, failed, trace, "the kept trace is the failing run's")
	files, err := os.ReadDir(filepath.Dir(kept))
	require.NoError(t, err)
	assert.Len(t, files, 1, "the seed corpus's entry (seed#0) has no file, and keeps nothing")

	// Unchanged, it fails again on the same execution: no note, and the
	// file is not written again.
	out, err = run(nil, "-test.v")
	require.Error(t, err, out)
	assert.NotContains(t, out, "simtest: kept the trace", out)
	assert.NotContains(t, out, "not on the execution", out)
	again, err := os.ReadFile(kept)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again))

	// One draw more along the path: the input passes, on another
	// execution, and says so under -v.
	extra := []string{"SIMTEST_EXTRA_DRAW=1"}
	out, err = run(extra, "-test.v")
	require.NoError(t, err, "the input passes with its bug still there: %s", out)
	moved := traceOf(out, "ok")
	assert.Contains(t, out, fmt.Sprintf("simtest: input %s passed, but it no longer runs the execution that failed (trace %016x; kept %016x): "+
		"the code along its path changed since (a change elsewhere will do: one draw more or less shifts every decision after it)", input, moved, failed), out)
	assert.Contains(t, out, "once its bug is fixed, delete "+keptInputPath(name, input), out)
	// Without -v, go test shows nothing of a passing test: -simstrictkept
	// makes the note a failure.
	out, err = run(extra)
	require.NoError(t, err, out)
	assert.NotContains(t, out, "no longer runs", out)
	out, err = run(extra, "-simstrictkept")
	require.Error(t, err, out)
	assert.Contains(t, out, fmt.Sprintf("simtest: input %s passed, but it no longer runs the execution that failed (trace %016x; kept %016x)", input, moved, failed), out)
	assert.Contains(t, out, "(the input may stay, as an input like any other)"+strictKeptNote, out)

	// The bug fixed on the same path: the input passes on the execution
	// that failed.
	out, err = run([]string{"SIMTEST_FIXED=1"}, "-test.v")
	require.NoError(t, err, out)
	assert.Equal(t, failed, traceOf(out, "ok"))
	assert.Contains(t, out, fmt.Sprintf("simtest: input %s passed, on the execution that failed (trace %016x): what changed since is outside what the trace hashes", input, failed), out)
	assert.NotContains(t, out, "no longer runs", out)
	_, err = run([]string{"SIMTEST_FIXED=1"}, "-simstrictkept")
	require.NoError(t, err, "-simstrictkept fails only an input that runs another execution")

	// Run under a flag of the test's own, the input passes with the fix
	// and says that it failed under other flags.
	require.NoError(t, os.Remove(kept))
	out, err = run(nil, "-searchtrials=1")
	require.Error(t, err, out)
	out, err = run([]string{"SIMTEST_FIXED=1"}, "-test.v")
	require.NoError(t, err, out)
	assert.Contains(t, out, "simtest: input "+input+" passed, but it failed under other flags (-searchtrials=1", out)
	// Failing on another execution without those flags, it names them as
	// the likeliest cause.
	out, err = run([]string{"SIMTEST_EXTRA_DRAW=1", "SIMTEST_FAIL_ALL=1"}, "-test.v")
	require.Error(t, err, out)
	assert.Regexp(t, "simtest: input "+input+` failed, but not on the execution that failed before \(trace [0-9a-f]{16}; kept [0-9a-f]{16}\): it ran under other flags \(-searchtrials=1[^;]*; this run: [^)]*\), the likeliest cause`, out)

	// A process that checks another's replay keeps nothing, nor does
	// -simkeep=false.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, keepDir)))
	out, err = run([]string{replayCheckEnv + "=1"})
	require.Error(t, err, out)
	assert.NoDirExists(t, filepath.Join(dir, keepDir), out)
	out, err = run(nil, "-simkeep=false")
	require.Error(t, err, out)
	assert.NoDirExists(t, filepath.Join(dir, keepDir), out)

	// The kept file is no stray kept seed.
	assert.Empty(t, strayKeptIn(t, dir, name))
}

// strayKeptIn is strayKept of the test called name, below dir.
func strayKeptIn(t *testing.T, dir, name string) []string {
	t.Helper()
	t.Chdir(dir)
	_, err := keepInputFor(name, "0123456789abcdef")
	require.NoError(t, err)
	return strayKept(name)
}

// keepInputFor keeps a trace for the input called input of the fuzz test
// name, in the current directory.
func keepInputFor(name, input string) (string, error) {
	path := keptInputPath(name, input)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	_, err := writeKept(path, keptInputHeader(name, input), "go test ...", 1, 0, "it failed")
	return path, err
}

// go test -fuzz finds the failing input in a worker process and writes it
// from the coordinator: the coordinator keeps its trace, once, and the
// input's later runs compare with it.
func TestFuzzingKeepsTheTraceOfTheInputItFound(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes in a child process, a few seconds")
	}
	const name = "FuzzKeepsInAChild"
	dir := t.TempDir()
	out, err := childRun(t, dir, nil, "-test.run=^$", "-test.fuzz=^"+name+"$", "-test.fuzztime=100000x",
		"-test.fuzzcachedir="+filepath.Join(dir, "cache"), "-test.parallel=1")
	require.Error(t, err, "the fuzzer finds the failing input: %s", out)
	m := regexp.MustCompile(`Failing input written to testdata/fuzz/` + name + `/([0-9a-f]{16})`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	input := m[1]
	found := regexp.MustCompile(`simtest: input ` + input + `: FAIL; [^\n]*trace=([0-9a-f]{16})`).FindStringSubmatch(out)
	require.NotNil(t, found, "the worker's report of the input: %s", out)
	assert.Contains(t, out, "simtest: kept the trace of input "+input+" in "+keptInputPath(name, input), out)
	assert.Equal(t, 1, strings.Count(out, "simtest: kept the trace"), out)
	files, err := os.ReadDir(filepath.Join(dir, keepPath(name)))
	require.NoError(t, err)
	require.Len(t, files, 1, "one input found, one file kept")
	trace, ok := keptTrace(filepath.Join(dir, keptInputPath(name, input)))
	require.True(t, ok)
	assert.Equal(t, found[1], fmt.Sprintf("%016x", trace), "the coordinator's run of the input is the worker's")

	out, err = childRun(t, dir, nil, "-test.run=^"+name+"$/^"+input+"$", "-test.v")
	require.Error(t, err, "the input fails again: %s", out)
	assert.Contains(t, out, fmt.Sprintf("simtest: input %s: FAIL;", input), out)
	assert.NotContains(t, out, "not on the execution", out)
	assert.NotContains(t, out, "simtest: kept the trace", "kept already: %s", out)
}

func TestReadCorpusInput(t *testing.T) {
	dir := t.TempDir()
	data := []byte("\x00\x01seed\xffq\"'")
	input := commitInput(t, dir, "FuzzX", data)
	got, err := readCorpusInput(filepath.Join(dir, corpusFile("FuzzX", input)))
	require.NoError(t, err)
	assert.Equal(t, data, got)

	// A file of another form, or one whose name is not its input's,
	// is refused.
	for name, text := range map[string]string{
		"0000000000000000":    "go test fuzz v1\n[]byte(\"a\")\n",
		corpusName([]byte{1}): "go test fuzz v1\nstring(\"\\x01\")\n",
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		_, err := readCorpusInput(path)
		assert.EqualError(t, err, path+" is not one []byte in the form go test -fuzz writes it")
	}
}
