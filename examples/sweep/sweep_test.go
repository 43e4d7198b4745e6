package sweep_test

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/sweep"
)

func run(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := sweep.Main(args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestUsageWithoutArguments(t *testing.T) {
	code, out, errs := run()
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.True(t, strings.HasPrefix(errs, "usage: sweep [flags] system"), errs)
	assert.Contains(t, errs, "-seeds n\n")
}

func TestSweepPasses(t *testing.T) {
	code, out, _ := run("-seeds=20", "payments")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "20 seeds, 20 passed, 0 failed")
}

func TestSweepFindsThePlantedRace(t *testing.T) {
	code, out, _ := run("-seeds=100", "-planted", "payments")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "replay: simtest.Replay(")
	assert.Contains(t, out, "was applied 2 times")
}

func TestSweepAllWritesResults(t *testing.T) {
	code, out, _ := run("-seeds=1000", "-base=1", "-all", "-results=-", "rare")
	assert.Equal(t, 1, code)
	assert.Equal(t, 1000, strings.Count(out, "\n"))
	assert.Equal(t, 2, strings.Count(out, `"outcome":"fail"`))
}

func TestCommandTakesNoTestFlags(t *testing.T) {
	code, _, errs := run("-simseeds=3", "payments")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "flag provided but not defined: -simseeds")
}

func TestUnknownSystem(t *testing.T) {
	code, _, errs := run("bank")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `no system is named "bank"`)
}

// TestTheDebuggingChapterQuotesTheSweep keeps docs/debugging.md's quote of
// this command's report true: the failing seed's line names a line of
// sweep.go, which an edit of the file moves.
func TestTheDebuggingChapterQuotesTheSweep(t *testing.T) {
	code, out, _ := run("-seeds=1000", "-all", "rare")
	assert.Equal(t, 1, code, out)
	failing := regexp.MustCompile(`seed \d+: \S+ driver: sweep\.go:\d+: an acknowledged write was lost`).FindString(out)
	require.NotEmpty(t, failing, out)
	doc, err := os.ReadFile("../../docs/debugging.md")
	require.NoError(t, err)
	assert.Contains(t, string(doc), failing, "docs/debugging.md quotes the failing seed's line as the command prints it")
	_, first, _ := strings.Cut(failing, ": ")
	assert.Contains(t, string(doc), `"first_failure":"`+first+`"`, "and its results file's line")
}
