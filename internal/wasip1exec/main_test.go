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

// TestGoTestExec runs packages' tests for wasip1 through go test -exec with
// the command built from cmd/moonpool-wasip1-exec, and runs the test
// binaries that go test built and kept again through the command, with one
// seed and with several: a go command costs more than the runs, so there
// are three.
func TestGoTestExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and test binaries for wasip1; skipped under -short")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	dir := t.TempDir()
	bin := filepath.Join(dir, "moonpool-wasip1-exec")
	build := exec.Command("go", "build", "-o", bin, "./cmd/moonpool-wasip1-exec")
	build.Dir = root
	built, err := build.CombinedOutput()
	require.NoError(t, err, "%s", built)

	// One go test -exec for a package whose tests pass, the order
	// program's, and one whose test fails; -o keeps their binaries.
	out, err := goWasip1(root, "test", "-count=1", "-exec="+bin+" -seed=3", "-o", dir+string(filepath.Separator), "-v",
		"./internal/rng", "./internal/wasip1exec/testdata/order", "./internal/wasip1exec/testdata/failing")
	require.Error(t, err, "a failing test binary's exit code reaches go test:\n%s", out)
	assert.Contains(t, out, "--- PASS")
	assert.Regexp(t, `(?m)^ok\s+github.com/moonpool-go/moonpool/internal/rng\s`, out)
	assert.Regexp(t, `(?m)^ok\s+github.com/moonpool-go/moonpool/internal/wasip1exec/testdata/order\s`, out)
	assert.Regexp(t, `(?m)^FAIL\s+github.com/moonpool-go/moonpool/internal/wasip1exec/testdata/failing\s`, out)
	assert.Contains(t, out, "exit status 1 with -seed=3")
	stock3 := orderLine(out)
	require.NotEmpty(t, stock3, out)

	// One seed, one run: rng's test binary run twice with a seed, in
	// its package's directory, as go test runs it.
	rng := filepath.Join(dir, "rng.test")
	a := runTest(t, bin, filepath.Join(root, "internal", "rng"), "3", rng)
	b := runTest(t, bin, filepath.Join(root, "internal", "rng"), "3", rng)
	assert.Contains(t, a, "--- PASS")
	assert.Equal(t, strip(a), strip(b), "one seed, one run")

	// Without the scheduler patch the order is the same whatever the
	// seed.
	orderDir := filepath.Join(root, "internal", "wasip1exec", "testdata", "order")
	stock := filepath.Join(dir, "order.test")
	for _, seed := range []string{"1", "2"} {
		assert.Equal(t, stock3, orderLine(runTest(t, bin, orderDir, seed, stock)), "without the patch the order is the same whatever the seed (seed %s, seed 3)", seed)
	}

	// With the scheduler patch from -print-overlay, goroutine order
	// follows the seed.
	var ovOut bytes.Buffer
	require.Equal(t, 0, Main([]string{"-print-overlay"}, nil, nil, &ovOut, os.Stderr))
	patched := filepath.Join(dir, "order-patched.test")
	out, err = goWasip1(root, "test", "-c", "-overlay="+strings.TrimSpace(ovOut.String()), "-o", patched, "./internal/wasip1exec/testdata/order")
	require.NoError(t, err, out)
	orders := map[string]bool{}
	for _, seed := range []string{"1", "2", "3", "4"} {
		orders[orderLine(runTest(t, bin, orderDir, seed, patched))] = true
	}
	assert.Greater(t, len(orders), 2, "goroutine order should follow the seed: %v", orders)
}

// goWasip1 runs the go command in dir for wasip1 and returns its output.
func goWasip1(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runTest runs the wasip1 test binary test with -test.v in dir through
// the command bin with seed, as go test -exec runs it, and returns its
// output; the tests must pass.
func runTest(t *testing.T, bin, dir, seed, test string) string {
	t.Helper()
	cmd := exec.Command(bin, "-seed="+seed, test, "-test.v=true", "-test.count=1")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s with -seed=%s:\n%s", test, seed, out)
	return string(out)
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
