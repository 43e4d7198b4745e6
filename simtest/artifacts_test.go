package simtest

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArtifactsChild is run by TestArtifactsHoldTheFailingSeedsTimeline
// in a child process given go test -artifacts: a Run whose seed fails,
// and one whose seeds pass.
func TestArtifactsChild(t *testing.T) {
	if os.Getenv("SIMTEST_ARTIFACTS_CHILD") == "" {
		t.Skip("run by TestArtifactsHoldTheFailingSeedsTimeline")
	}
	t.Run("fails", func(t *testing.T) {
		Run(t, func(s *S) {
			s.Sleep(time.Millisecond)
			if s.Providers().Random.IntN(2) == 0 {
				s.Errorf("the failure wanted")
			}
		}, KeepFailures(false))
	})
	t.Run("passes", func(t *testing.T) {
		Run(t, func(s *S) { s.Sleep(time.Millisecond) }, Seeds(3))
	})
}

// TestArtifactsHoldTheFailingSeedsTimeline: under go test -artifacts
// (Go 1.26), a failing seed's timeline and its page go to the failing
// test's artifact directory, a directory apart for each test and subtest
// of each package, and the lines that name them say so; a passing Run
// writes none there, and a flag that names a path keeps its file there.
func TestArtifactsHoldTheFailingSeedsTimeline(t *testing.T) {
	if flag.Lookup("test.artifacts") == nil {
		t.Skip("go test -artifacts came with Go 1.26")
	}
	const note = ", the test's artifact directory (go test -artifacts)"
	run := func(args ...string) (string, string) {
		outdir := t.TempDir()
		out, err := childOutput(t, t.TempDir(), "SIMTEST_ARTIFACTS_CHILD=1",
			append([]string{"-test.run=^TestArtifactsChild$", "-test.v", "-test.artifacts", "-test.outputdir=" + outdir}, args...)...)
		require.Error(t, err, "the subtest fails: %s", out)
		// Where the testing package made the failing test's directory, as
		// it says under -v.
		m := regexp.MustCompile(`=== ARTIFACTS TestArtifactsChild/fails (\S+)`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		assert.NotContains(t, out, "=== ARTIFACTS TestArtifactsChild/passes", "a passing Run asks for no directory")
		dirs, err := filepath.Glob(filepath.Join(outdir, "_artifacts", "*"))
		require.NoError(t, err)
		assert.Len(t, dirs, 1, "the failing test's alone")
		return out, m[1]
	}
	out, art := run()
	m := regexp.MustCompile(`simtest: seed (\d+) failed`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	line := filepath.Join(art, "timeline-"+m[1]+".jsonl")
	page := filepath.Join(art, "timeline-"+m[1]+".html")
	assert.Contains(t, out, "simtest: wrote the timeline to "+line+note+"\n")
	assert.Contains(t, out, "simtest: wrote the HTML timeline to "+page+note+"\n")
	assert.Regexp(t, `artifacts_test\.go:\d+: simtest: wrote the timeline to `, out, "the line names the test's call of Run")
	for _, f := range []string{line, page} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Contains(t, string(b), "the failure wanted", f)
	}

	// On two workers too: the seed runs again alone to keep its timeline.
	out, art = run("-simworkers=2")
	m = regexp.MustCompile(`simtest: seed (\d+) failed`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	b, err := os.ReadFile(filepath.Join(art, "timeline-"+m[1]+".html"))
	require.NoError(t, err, out)
	assert.Contains(t, string(b), "the failure wanted")

	// A page asked for by -simhtml goes where it says; the timeline, which
	// no flag names, to the artifact directory.
	pages := t.TempDir() + "/"
	out, art = run("-simhtml=" + pages)
	pageAt := filepath.Join(pages, "simtest", "TestArtifactsChild_fails.html")
	assert.Contains(t, out, "simtest: wrote the HTML timeline to "+pageAt+"\n")
	assert.FileExists(t, pageAt)
	files, err := os.ReadDir(art)
	require.NoError(t, err)
	require.Len(t, files, 1, out)
	assert.Equal(t, "timeline-"+m[1]+".jsonl", files[0].Name())
}

// TestArtifactsBrokenChild is run by
// TestAnArtifactDirThatCannotBeMadeKeepsTheResultsSummary in a child
// process given go test -artifacts: a file stands where the testing
// package makes the test's artifact directory, and the Run's seed fails.
func TestArtifactsBrokenChild(t *testing.T) {
	outdir := os.Getenv("SIMTEST_ARTIFACTS_BROKEN")
	if outdir == "" {
		t.Skip("run by TestAnArtifactDirThatCannotBeMadeKeepsTheResultsSummary")
	}
	art := filepath.Join(outdir, "_artifacts")
	require.NoError(t, os.RemoveAll(art))
	require.NoError(t, os.WriteFile(art, nil, 0o666))
	Run(t, func(s *S) { s.Errorf("the failure wanted") }, Seeds(2), KeepFailures(false),
		ResultsFile(filepath.Join(outdir, "results.jsonl")))
}

// TestAnArtifactDirThatCannotBeMadeKeepsTheResultsSummary: the testing
// package ends the test when it cannot make the test's artifact
// directory; the Run writes there only once its results file is closed,
// so that the file still ends in its summary line, which a merge needs.
func TestAnArtifactDirThatCannotBeMadeKeepsTheResultsSummary(t *testing.T) {
	if flag.Lookup("test.artifacts") == nil {
		t.Skip("go test -artifacts came with Go 1.26")
	}
	outdir := t.TempDir()
	out, err := childOutput(t, t.TempDir(), "SIMTEST_ARTIFACTS_BROKEN="+outdir,
		"-test.run=^TestArtifactsBrokenChild$", "-test.v", "-test.artifacts", "-test.outputdir="+outdir)
	require.Error(t, err, "the test fails: %s", out)
	assert.Contains(t, out, "simtest: wrote the results to ", out)
	data, err := os.ReadFile(filepath.Join(outdir, "results.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `{"summary":`, "the results file ends in its summary")
}
