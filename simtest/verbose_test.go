package simtest

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loggedSeed is a seed's line as a Run logs it when the seed ends, not as
// the summary lists it.
var loggedSeed = regexp.MustCompile(`simtest: seed=[0-9]+ trace=`)

// TestSeedLinesUnderVerbose: go test -v (and -json, which implies it)
// logs the first maxSeedLines seeds' lines, then says the rest are left
// out and ends the summary with the last few; -simv logs every one, and
// -simv=false none.
func TestSeedLinesUnderVerbose(t *testing.T) {
	if os.Getenv("SIMTEST_VERBOSE_CHILD") != "" {
		Run(t, func(s *S) {})
		return
	}
	if testing.Short() {
		t.Skip("runs over a thousand seeds in a child process")
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := childOutput(t, "", "SIMTEST_VERBOSE_CHILD=1", append([]string{"-test.run=^TestSeedLinesUnderVerbose$"}, args...)...)
		require.NoError(t, err, out)
		return out
	}
	const left = "logs the first 1000 seeds' lines and leaves out the rest; the summary ends with the last 3, -simv logs every one, -simv=false none (MOONPOOL_FLAGS=-simv=false for a whole go test ./...), and -simresults keeps every seed"

	// A Run of a few hundred seeds logs them all, as it always has.
	out := run("-test.v", "-simseeds=300")
	assert.Equal(t, 300, len(loggedSeed.FindAllString(out, -1)))
	assert.NotContains(t, out, left)

	for _, v := range []string{"-test.v", "-test.v=test2json"} {
		out = run(v, "-simseeds=1005")
		assert.Equal(t, 1000, len(loggedSeed.FindAllString(out, -1)), v)
		assert.Equal(t, 1, strings.Count(out, left), v)
		says := map[string]string{"-test.v": "go test -v " + left, "-test.v=test2json": "go test -json, which implies -v, " + left}[v]
		assert.Contains(t, out, says, "the note names the flag given")
		assert.Regexp(t, `\n\s+\.\.\. 2 seeds more after the first 1000 logged; -simv lists every seed\n(\s+seed=[0-9]+ trace=[0-9a-f]+ ok [^\n]+\n){3}`, out, v)
	}

	out = run("-test.v", "-simseeds=1005", "-simv")
	assert.Equal(t, 1005, len(loggedSeed.FindAllString(out, -1)))
	assert.NotContains(t, out, left)
	assert.NotContains(t, out, "more after the first")

	for _, v := range []string{"-test.v", "-test.v=test2json"} {
		out = run(v, "-simseeds=20", "-simv=false")
		assert.Zero(t, len(loggedSeed.FindAllString(out, -1)), v)
		assert.Contains(t, out, "... 14 seeds more; go test -v or -simv lists every seed", v)
		assert.Regexp(t, `(\n\s+seed=[0-9]+ trace=[0-9a-f]+ ok [^\n]+){3}`, out, v)
	}
}

// TestSimvFlag: -simv=false is told from no -simv at all.
func TestSimvFlag(t *testing.T) {
	for _, c := range []struct {
		args           []string
		verbose, quiet bool
	}{
		{nil, false, false},
		{[]string{"-simv"}, true, false},
		{[]string{"-simv=true"}, true, false},
		{[]string{"-simv=false"}, false, true},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		f := registerFlags(fs)
		require.NoError(t, fs.Parse(c.args))
		assert.Equal(t, c.verbose, f.v.v, c.args)
		assert.Equal(t, c.quiet, f.v.set && !f.v.v, c.args)
	}
	// -simv=false wins over the Verbose option, as flags do.
	cfg, err := resolve(false, flags{quiet: true}, []Option{Verbose()})
	require.NoError(t, err)
	assert.False(t, cfg.verbose)
	assert.True(t, cfg.quiet)
}
