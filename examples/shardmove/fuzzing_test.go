package shardmove_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	keptRE   = regexp.MustCompile(`Failing input written to testdata/fuzz/FuzzBank/([0-9a-f]{16})`)
	replayRE = regexp.MustCompile(`replay: go test -run '\^FuzzBank\$/\^([0-9a-f]{16})\$'`)
)

// TestFuzzingFindsTheLostDeposit does what a user does: go test -fuzz on
// the bank that loses deposits. It checks that the fuzzer finds the loss,
// that the input go test keeps is the one the failure's replay line names,
// and that the kept input fails again alone, and passes with the fix. It
// fuzzes from a directory of its own, so that the kept input lands there
// and not in the package.
//
// It runs only when MOONPOOL_FUZZ_DEMO is set (.ci/run sets it), and never
// under -short: it builds a test binary instrumented for fuzzing, which
// takes about a minute with a cold build cache, and fuzzes it, for some
// seconds usually. The budget is five minutes of fuzzing.
func TestFuzzingFindsTheLostDeposit(t *testing.T) {
	if testing.Short() || os.Getenv("MOONPOOL_FUZZ_DEMO") == "" {
		t.Skip("builds an instrumented test binary and fuzzes it, a minute or more; set MOONPOOL_FUZZ_DEMO=1 to run it (TestFuzzFeedbackFindsTheLostDepositSooner in simtest shows the feedback at work in every go test)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "shardmove.test")
	build := exec.Command("go", "test", "-c", "-fuzz=^FuzzBank$", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	fuzz := exec.Command(bin, "-test.run=^$", "-test.fuzz=^FuzzBank$", "-test.fuzztime=300s",
		"-test.fuzzcachedir="+filepath.Join(dir, "cache"), "-planted")
	fuzz.Dir = dir
	out, err = fuzz.CombinedOutput()
	require.Error(t, err, "the fuzzer finds the lost deposit within its budget:\n%s", out)
	kept := keptRE.FindStringSubmatch(string(out))
	require.NotNil(t, kept, "%s", out)
	replay := replayRE.FindStringSubmatch(string(out))
	require.NotNil(t, replay, "%s", out)
	assert.Equal(t, kept[1], replay[1], "the replay line names the input go test keeps")
	assert.Contains(t, string(out), "a deposit was lost")
	_, err = os.Stat(filepath.Join(dir, "testdata", "fuzz", "FuzzBank", kept[1]))
	require.NoError(t, err)

	again := exec.Command(bin, "-test.run=^FuzzBank$/^"+kept[1]+"$", "-planted")
	again.Dir = dir
	out, err = again.CombinedOutput()
	require.Error(t, err, "the kept input fails again:\n%s", out)
	assert.Contains(t, string(out), "simtest: input "+kept[1]+" failed")
	assert.Contains(t, string(out), "a deposit was lost")

	fixed := exec.Command(bin, "-test.run=^FuzzBank$/^"+kept[1]+"$")
	fixed.Dir = dir
	out, err = fixed.CombinedOutput()
	require.NoError(t, err, "with the fix, the same input passes:\n%s", out)
}
