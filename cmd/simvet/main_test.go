package main_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What simvet cannot analyze is never passed silently: a package that does
// not type-check fails the run with its errors, and a file that build
// constraints leave out is reported.
func TestBadInputIsReported(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "simvet")
	build := exec.Command("go", "build", "-o", bin, ".")
	built, err := build.CombinedOutput()
	require.NoError(t, err, "%s", built)

	run := func(files map[string]string) (string, int) {
		dir := t.TempDir()
		files["go.mod"] = "module example.com/m\n\ngo 1.25\n"
		for name, src := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
		}
		cmd := exec.Command(bin, "./...")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		require.NoError(t, err, "%s", out)
		return string(out), 0
	}

	out, code := run(map[string]string{"m.go": "package m\n\nfunc F() int { return undefined }\n"})
	assert.Equal(t, 1, code, "a package that does not type-check fails the run")
	assert.Contains(t, out, "undefined: undefined")

	out, code = run(map[string]string{
		"m.go":        "package m\n",
		"m_wasip1.go": "//go:build wasip1\n\npackage m\n\nimport \"time\"\n\nfunc F() { time.Sleep(1) }\n",
	})
	assert.Equal(t, 3, code, "a left-out file is a finding")
	assert.Contains(t, out, "scope: m_wasip1.go is left out by build constraints (//go:build wasip1) and was not analyzed")

	out, code = run(map[string]string{"m.go": "package m\n\nfunc F() int { return 1 }\n"})
	assert.Equal(t, 0, code, "%s", out)
}
