package wasip1exec

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/wasmbuild"
)

// SeedEnv is the environment variable that gives the seed when -seed is
// not set.
const SeedEnv = "MOONPOOL_SEED"

const usage = `usage: moonpool-wasip1-exec [-seed N] [-mount host:guest[:ro]]... program.wasm [args...]
       moonpool-wasip1-exec -print-overlay

moonpool-wasip1-exec runs a program built for GOOS=wasip1 GOARCH=wasm
deterministically: its random bytes come from the seed and its clocks are
virtual, so one seed gives one run. It is made for go test's -exec flag:

	GOOS=wasip1 GOARCH=wasm go test -exec=moonpool-wasip1-exec ./pkg
	GOOS=wasip1 GOARCH=wasm go test -exec="moonpool-wasip1-exec -seed=7" ./pkg

The program gets its arguments, this command's environment with PWD set to
the working directory, and the host's file system at / unless -mount is
given. The command exits with the program's exit code.

Goroutines that are runnable at once run in an order that depends on the
seed only if the runtime was built with the scheduler patch:

	GOOS=wasip1 GOARCH=wasm go test -overlay=$(moonpool-wasip1-exec -print-overlay) \
		-exec=moonpool-wasip1-exec ./pkg

flags:
`

// Main runs the command with args (those after the command's name) and
// returns its exit code.
func Main(args, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("moonpool-wasip1-exec", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, usage)
		fl.PrintDefaults()
	}
	seed := fl.String("seed", "", "the seed (default $"+SeedEnv+", or 1)")
	var mounts mountFlag
	fl.Var(&mounts, "mount", "a host directory and where the program sees it, host:guest or host:guest:ro; repeatable (default /:/)")
	printOverlay := fl.Bool("print-overlay", false, "print the path of an overlay file for go test -overlay that makes goroutine order depend on the seed, and exit")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *printOverlay {
		path, err := wasmbuild.SchedOverlay(context.Background(), "")
		if err != nil {
			fmt.Fprintf(stderr, "moonpool-wasip1-exec: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, path)
		return 0
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return 2
	}
	s, err := parseSeed(*seed, environ)
	if err != nil {
		fmt.Fprintf(stderr, "moonpool-wasip1-exec: %v\n", err)
		return 2
	}
	if len(mounts) == 0 {
		mounts = mountFlag{{Host: "/", Guest: "/"}}
	}
	for _, m := range mounts {
		// wazero would mount nothing there, and the program would find
		// its files missing with no word of why.
		if fi, err := os.Stat(m.Host); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "moonpool-wasip1-exec: -mount %s:%s: %s is not a directory here; name a directory that exists\n", m.Host, m.Guest, m.Host)
			return 2
		}
	}
	env := environ
	if wd, err := os.Getwd(); err == nil {
		env = append(withoutKey(environ, "PWD"), "PWD="+wd)
	}
	cacheDir := ""
	if base, err := os.UserCacheDir(); err == nil {
		cacheDir = filepath.Join(base, "moonpool", "wazero")
		wasmbuild.TrimCompiled(cacheDir, wasmbuild.CompiledLimit, time.Now())
	}
	code, err := Run(context.Background(), Config{
		Path:     fl.Arg(0),
		Args:     fl.Args()[1:],
		Env:      env,
		Mounts:   mounts,
		Seed:     s,
		Stdin:    stdin,
		Stdout:   stdout,
		Stderr:   stderr,
		CacheDir: cacheDir,
	})
	if err != nil {
		fmt.Fprintf(stderr, "moonpool-wasip1-exec: %v (seed %d)\n", err, s)
		return 1
	}
	if code != 0 {
		fmt.Fprintf(stderr, "moonpool-wasip1-exec: exit status %d with -seed=%d\n", code, s)
	}
	return code
}

func parseSeed(flagValue string, environ []string) (uint64, error) {
	v, from := flagValue, "-seed"
	if v == "" {
		for _, kv := range environ {
			if e, ok := strings.CutPrefix(kv, SeedEnv+"="); ok {
				v, from = e, "$"+SeedEnv
			}
		}
	}
	if v == "" {
		return 1, nil
	}
	s, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is %q, not a seed; give an unsigned 64-bit integer such as 42", from, v)
	}
	return s, nil
}

func withoutKey(environ []string, key string) []string {
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// mountFlag is the -mount flag's list.
type mountFlag []Mount

func (m *mountFlag) String() string {
	var parts []string
	for _, x := range *m {
		parts = append(parts, x.Host+":"+x.Guest)
	}
	return strings.Join(parts, ",")
}

func (m *mountFlag) Set(v string) error {
	parts := strings.Split(v, ":")
	ro := false
	if len(parts) == 3 && parts[2] == "ro" {
		ro, parts = true, parts[:2]
	}
	if len(parts) != 2 || parts[0] == "" || !strings.HasPrefix(parts[1], "/") {
		return fmt.Errorf("%q is not host:guest or host:guest:ro with an absolute guest path, such as /tmp/data:/data", v)
	}
	*m = append(*m, Mount{Host: parts[0], Guest: parts[1], ReadOnly: ro})
	return nil
}
