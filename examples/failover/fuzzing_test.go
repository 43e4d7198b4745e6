package failover_test

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
	keptRE   = regexp.MustCompile(`Failing input written to testdata/fuzz/FuzzRegister/([0-9a-f]{16})`)
	replayRE = regexp.MustCompile(`replay: go test -run '\^FuzzRegister\$/\^([0-9a-f]{16})\$'`)
)

// TestFuzzingFindsTheStaleRead does what a user does: go test -fuzz on the
// racy register. It checks that the fuzzer finds the stale read, that the
// input go test keeps is the one the failure's replay line names, and that
// the kept input fails again alone. It fuzzes from a directory of its own,
// so that the kept input lands there and not in the package.
//
// Skipped under -short: it builds a test binary instrumented for fuzzing.
func TestFuzzingFindsTheStaleRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an instrumented test binary and fuzzes it")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "failover.test")
	build := exec.Command("go", "test", "-c", "-fuzz=^FuzzRegister$", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	fuzz := exec.Command(bin, "-test.run=^$", "-test.fuzz=^FuzzRegister$", "-test.fuzztime=120s",
		"-test.fuzzcachedir="+filepath.Join(dir, "cache"), "-test.parallel=1", "-planted")
	fuzz.Dir = dir
	out, err = fuzz.CombinedOutput()
	require.Error(t, err, "the fuzzer finds the stale read within its budget:\n%s", out)
	kept := keptRE.FindStringSubmatch(string(out))
	require.NotNil(t, kept, "%s", out)
	replay := replayRE.FindStringSubmatch(string(out))
	require.NotNil(t, replay, "%s", out)
	assert.Equal(t, kept[1], replay[1], "the replay line names the input go test keeps")
	assert.Contains(t, string(out), "stale read")
	_, err = os.Stat(filepath.Join(dir, "testdata", "fuzz", "FuzzRegister", kept[1]))
	require.NoError(t, err)

	again := exec.Command(bin, "-test.run=^FuzzRegister$/^"+kept[1]+"$", "-planted")
	again.Dir = dir
	out, err = again.CombinedOutput()
	require.Error(t, err, "the kept input fails again:\n%s", out)
	assert.Contains(t, string(out), "simtest: input "+kept[1]+" failed")
	assert.Contains(t, string(out), "stale read")

	fixed := exec.Command(bin, "-test.run=^FuzzRegister$/^"+kept[1]+"$")
	fixed.Dir = dir
	out, err = fixed.CombinedOutput()
	require.NoError(t, err, "with the fix, the same input passes:\n%s", out)
}
