package wasip1exec

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/internal/wasmbuild"
)

// echo builds testdata/echo and returns its path.
func echo(t *testing.T) string {
	t.Helper()
	path, err := wasmbuild.Build(context.Background(), wasmbuild.Config{Package: "./testdata/echo"})
	require.NoError(t, err)
	return path
}

// run runs Main in a new working directory that holds input.txt.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "input.txt"), []byte("from the host"), 0o644))
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = Main(args, []string{"ECHO_VALUE=passed"}, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, Main(nil, nil, nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "usage: moonpool-wasip1-exec")
	assert.Contains(t, errOut.String(), "go test -exec=moonpool-wasip1-exec")
	assert.Contains(t, errOut.String(), "-seed")
}

func TestRunSeesArgsEnvFilesAndVirtualTime(t *testing.T) {
	path := echo(t)
	code, out, stderr := run(t, "-seed=5", path, "0", "two words")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "args [0 two words]\n")
	assert.Contains(t, out, "env passed\n")
	assert.Contains(t, out, `file "from the host" <nil>`)
	assert.Contains(t, out, "slept 1h0m0s 2026\n", "an hour's sleep takes no wall time and the clock starts at Epoch")
	assert.Empty(t, stderr)
}

func TestRunSameSeedSameRun(t *testing.T) {
	path := echo(t)
	_, a, _ := run(t, "-seed=5", path, "0")
	_, b, _ := run(t, "-seed=5", path, "0")
	assert.Equal(t, a, b)
	_, c, _ := run(t, "-seed=6", path, "0")
	assert.NotEqual(t, a, c, "random bytes and map order come from the seed")
}

func TestRunSeedFromEnvironment(t *testing.T) {
	path := echo(t)
	_, a, _ := run(t, "-seed=9", path, "0")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "input.txt"), []byte("from the host"), 0o644))
	t.Chdir(dir)
	var b bytes.Buffer
	Main([]string{path, "0"}, []string{"ECHO_VALUE=passed", SeedEnv + "=9"}, nil, &b, &bytes.Buffer{})
	assert.Equal(t, a, b.String())
}

func TestRunExitCode(t *testing.T) {
	code, _, stderr := run(t, "-seed=5", echo(t), "3")
	assert.Equal(t, 3, code)
	assert.Equal(t, "moonpool-wasip1-exec: exit status 3 with -seed=5\n", stderr)
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-seed=x", "p.wasm"}, `-seed is "x", not a seed; give an unsigned 64-bit integer such as 42`},
		{[]string{"-mount=/tmp", "p.wasm"}, `"/tmp" is not host:guest or host:guest:ro`},
		{[]string{"/no/such.wasm"}, "reading the program"},
		{[]string{"-mount=/no/such/dir:/data", "p.wasm"}, "-mount /no/such/dir:/data: /no/such/dir is not a directory here; name a directory that exists"},
	} {
		var errOut bytes.Buffer
		code := Main(tc.args, nil, nil, &bytes.Buffer{}, &errOut)
		assert.NotZero(t, code, tc.args)
		assert.Contains(t, errOut.String(), tc.want, tc.args)
	}
}

func TestMountFlag(t *testing.T) {
	var m mountFlag
	require.NoError(t, m.Set("/a:/b"))
	require.NoError(t, m.Set("/c:/d:ro"))
	assert.Equal(t, mountFlag{{Host: "/a", Guest: "/b"}, {Host: "/c", Guest: "/d", ReadOnly: true}}, m)
	assert.Error(t, m.Set("/a:b"))
}

// TestGoTestExec runs a package's tests for wasip1 through go test -exec
// with the command built from cmd/moonpool-wasip1-exec, twice with one seed.
func TestGoTestExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and a test binary for wasip1; skipped under -short")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "moonpool-wasip1-exec")
	build := exec.Command("go", "build", "-o", bin, "./cmd/moonpool-wasip1-exec")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	goTest := func(seed string, pkg string, args ...string) (string, error) {
		cmd := exec.Command("go", append([]string{"test", "-count=1", "-exec=" + bin + " -seed=" + seed, pkg}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out1, err := goTest("3", "./internal/rng", "-v")
	require.NoError(t, err, out1)
	assert.Contains(t, out1, "--- PASS")
	out2, err := goTest("3", "./internal/rng", "-v")
	require.NoError(t, err, out2)
	assert.Equal(t, strip(out1), strip(out2), "one seed, one run")

	// With the scheduler patch from -print-overlay, goroutine order
	// follows the seed.
	var ovOut bytes.Buffer
	require.Equal(t, 0, Main([]string{"-print-overlay"}, nil, nil, &ovOut, os.Stderr))
	overlay := "-overlay=" + strings.TrimSpace(ovOut.String())
	orders := map[string]bool{}
	for _, seed := range []string{"1", "2", "3", "4"} {
		out, err := goTest(seed, "./internal/wasip1exec/testdata/order", "-v", overlay)
		require.NoError(t, err, out)
		orders[orderLine(out)] = true
	}
	assert.Greater(t, len(orders), 2, "goroutine order should follow the seed: %v", orders)
	stock1, err := goTest("1", "./internal/wasip1exec/testdata/order", "-v")
	require.NoError(t, err, stock1)
	stock2, err := goTest("2", "./internal/wasip1exec/testdata/order", "-v")
	require.NoError(t, err, stock2)
	assert.Equal(t, orderLine(stock1), orderLine(stock2), "without the patch the order is the same whatever the seed")

	// A failing test binary's exit code reaches go test.
	out3, err := goTest("3", "./internal/wasip1exec/testdata/failing")
	require.Error(t, err)
	assert.Contains(t, out3, "exit status 1 with -seed=3")
}

// strip drops the timing go test prints ("ok  pkg 0.123s", "(0.00s)").
func strip(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if i := strings.LastIndex(l, "("); i >= 0 && strings.HasSuffix(l, "s)") {
			l = l[:i]
		}
		if strings.HasPrefix(l, "ok ") {
			l = "ok"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func orderLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "order [") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
