package wasmbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Config says what to build.
type Config struct {
	// Dir is the directory go build runs in, inside the module that holds
	// Package; "" is the current directory.
	Dir string
	// Package is the main package to build: an import path or a path
	// relative to Dir that starts with "./".
	Package string
	// Overlay holds extra files for the build, keyed by a path relative to
	// GOROOT ("src/net/fd_wasip1.go"). A path that exists replaces that
	// file; one that does not adds a file to its package.
	Overlay map[string][]byte
	// Tags are extra build tags, besides those GOFLAGS sets with -tags.
	Tags []string
	// MainFiles are files added to the main package, keyed by file name
	// ("zz_export.go"), such as one that exports a function with
	// //go:wasmexport. A main package in the module cache cannot take
	// them: Build fails with ErrMainFiles.
	MainFiles map[string][]byte
	// BuildMode is go build's -buildmode: "" for a command (its entry
	// point is _start), or "c-shared" for a reactor, whose _initialize
	// runs the runtime's start and the package initializers and returns,
	// leaving main to a function of MainFiles.
	BuildMode string
	// Compiling, if set, is called before go build runs (when no module
	// built from the same inputs is kept), with coldStd true when Go's
	// build cache lacks standard packages the program needs, compiled for
	// wasip1, so that this build compiles them too: a minute or two for
	// the whole library. It is false when that is not known.
	Compiling func(coldStd bool)
}

// ErrMainFiles is the reason a main package cannot take Config.MainFiles:
// it lies in the module cache, whose files go build -overlay may not add
// to.
var ErrMainFiles = errors.New("the main package is in the module cache, where no file can be added to it; build it from a directory of your own module, or without Config.MainFiles")

// Build builds the package for GOOS=wasip1 GOARCH=wasm with the scheduler
// overlay and c.Overlay, caches the result, and returns the path of the
// .wasm file. The file is read-only by convention: callers must not change
// or remove it, since later builds of the same inputs return the same path.
func Build(ctx context.Context, c Config) (string, error) {
	return build(ctx, c, true)
}

// build is Build with the scheduler patch optional, so that tests can show
// what it changes.
func build(ctx context.Context, c Config, sched bool) (string, error) {
	if c.Package == "" {
		return "", errors.New("wasmbuild: Config.Package is empty; name the main package to build, as an import path or a ./relative path")
	}
	if strings.Contains(c.Package, "...") {
		return "", fmt.Errorf("wasmbuild: Config.Package %q is a pattern, and a build makes one program; name one main package", c.Package)
	}
	if c.Dir != "" {
		if fi, err := os.Stat(c.Dir); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("wasmbuild: Config.Dir %q is not a directory; give a directory inside the module that holds the program, or \"\" for the current one", c.Dir)
		}
	}
	tc, err := goEnv(ctx, c.Dir)
	if err != nil {
		return "", err
	}
	if err := tc.checkFlags(); err != nil {
		return "", err
	}
	switch c.BuildMode {
	case "", "exe", "c-shared":
	default:
		return "", fmt.Errorf("wasmbuild: Config.BuildMode %q is not one of \"\", \"exe\" and \"c-shared\"; leave it empty for a command", c.BuildMode)
	}
	for name := range c.Overlay {
		if err := checkOverlayPath(name); err != nil {
			return "", err
		}
	}
	for name := range c.MainFiles {
		if name != filepath.Base(name) || !strings.HasSuffix(name, ".go") {
			return "", fmt.Errorf("wasmbuild: Config.MainFiles names %q, which is not a Go file's name; give a name such as \"zz_export.go\", with no directory", name)
		}
	}
	files := c.Overlay
	if sched {
		if files, err = withSchedPatch(tc, c.Overlay); err != nil {
			return "", err
		}
	}
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(cache, "build-")
	if err != nil {
		return "", fmt.Errorf("wasmbuild: making a build directory: %w", err)
	}
	defer os.RemoveAll(work)

	var flags []string
	// A -tags flag replaces the one in GOFLAGS: keep GOFLAGS's too.
	if tags := append(tc.goflagsTags(), c.Tags...); len(tags) > 0 {
		flags = append(flags, "-tags="+strings.Join(tags, ","))
	}
	if c.BuildMode != "" {
		flags = append(flags, "-buildmode="+c.BuildMode)
	}
	goFlags := flags
	if len(files) > 0 {
		ov, err := writeOverlay(work, tc.goroot, files)
		if err != nil {
			return "", err
		}
		goFlags = append([]string{"-overlay=" + ov}, flags...)
	}

	pkgs, err := list(ctx, c.Dir, goFlags, c.Package)
	if err != nil {
		return "", err
	}
	if err := diagnose(c.Package, pkgs); err != nil {
		return "", err
	}
	if len(c.MainFiles) > 0 {
		// The main package's directory is known only now: write the
		// overlay again with its files added, so that the build and the
		// key cover them. The packages are not listed again: a package
		// the files import must be standard or one the program imports
		// already.
		main := pkgs[len(pkgs)-1]
		if main.Module != nil && main.Module.Version != "" && inside(tc.modcache, main.Dir) {
			return "", fmt.Errorf("wasmbuild: %s: %w", c.Package, ErrMainFiles)
		}
		all := make(map[string][]byte, len(files)+len(c.MainFiles))
		for k, v := range files {
			all[k] = v
		}
		for name, b := range c.MainFiles {
			all[filepath.Join(main.Dir, name)] = b
		}
		files = all
		ov, err := writeOverlay(work, tc.goroot, files)
		if err != nil {
			return "", err
		}
		goFlags = append([]string{"-overlay=" + ov}, flags...)
	}
	k, err := key(tc, files, flags, pkgs)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(cache, k+".wasm")
	if used(dst) {
		return dst, nil
	}

	if c.Compiling != nil {
		c.Compiling(coldStd(ctx, c.Dir, goFlags, c.Package))
	}
	out := filepath.Join(work, "out.wasm")
	args := append([]string{"build", "-trimpath", "-o", out}, goFlags...)
	args = append(args, "--", c.Package)
	if _, err := runGo(ctx, c.Dir, args...); err != nil {
		var ge *goError
		if errors.As(err, &ge) && ctx.Err() == nil {
			return "", compileError(c.Package, pkgs, ge.stderr)
		}
		return "", fmt.Errorf("wasmbuild: building %s for wasip1: %w", c.Package, err)
	}
	// The rename is atomic: a build of the same key running at the same
	// time in another test or process sees either no file or a whole one.
	if err := os.Rename(out, dst); err != nil {
		return "", fmt.Errorf("wasmbuild: storing the built module: %w", err)
	}
	trim(cache, time.Now())
	return dst, nil
}

// withSchedPatch returns overlay with the scheduler patch added.
func withSchedPatch(tc toolchain, overlay map[string][]byte) (map[string][]byte, error) {
	if _, ok := overlay[procPath]; ok {
		return nil, fmt.Errorf("wasmbuild: Config.Overlay replaces %s, which Build patches itself; leave it out of the overlay", procPath)
	}
	src, err := os.ReadFile(filepath.Join(tc.goroot, filepath.FromSlash(procPath)))
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: reading the runtime's scheduler: %w", err)
	}
	patched, err := patchProc(src, tc.version, procHunks())
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(overlay)+3)
	for k, v := range overlay {
		files[k] = v
	}
	files[procPath] = patched
	if _, ok := overlay[memPath]; !ok {
		src, err := os.ReadFile(filepath.Join(tc.goroot, filepath.FromSlash(memPath)))
		if err != nil {
			return nil, fmt.Errorf("wasmbuild: reading the runtime's break: %w", err)
		}
		if files[memPath], err = patchMem(src, tc.version); err != nil {
			return nil, err
		}
	}
	if _, ok := overlay[atomicPath]; !ok {
		src, err := os.ReadFile(filepath.Join(tc.goroot, filepath.FromSlash(atomicPath)))
		if err != nil {
			return nil, fmt.Errorf("wasmbuild: reading the runtime's atomics: %w", err)
		}
		if files[atomicPath], err = inlineAtomics(src, tc.version); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// toolchain is what Build needs to know about the go command in a directory.
type toolchain struct {
	goroot   string
	version  string
	modcache string
	env      []string // settings that change what go build makes: "GOFLAGS=..."
}

// keyEnv names the go environment settings, besides the flags Build
// passes, that change the module go build makes.
var keyEnv = []string{"GOFLAGS", "GOEXPERIMENT", "GOWASM", "GODEBUG"}

func goEnv(ctx context.Context, dir string) (toolchain, error) {
	out, err := runGo(ctx, dir, append([]string{"env", "GOROOT", "GOVERSION", "GOMODCACHE"}, keyEnv...)...)
	if err != nil {
		return toolchain{}, fmt.Errorf("wasmbuild: asking the go command for GOROOT: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 3+len(keyEnv) {
		return toolchain{}, fmt.Errorf("wasmbuild: go env printed %q, want GOROOT, GOVERSION, GOMODCACHE and %s on a line each", out, strings.Join(keyEnv, ", "))
	}
	tc := toolchain{goroot: lines[0], version: lines[1], modcache: lines[2]}
	for i, k := range keyEnv {
		tc.env = append(tc.env, k+"="+lines[3+i])
	}
	return tc, tc.check()
}

// checkFlags reports go settings that cannot make a WebAssembly program.
func (tc toolchain) checkFlags() error {
	for _, e := range tc.env {
		flags, ok := strings.CutPrefix(e, "GOFLAGS=")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(flags) {
			switch strings.TrimPrefix(f, "-") {
			case "-race", "race", "race=true", "-race=true":
				return errors.New("wasmbuild: the race detector is not available under WebAssembly, and GOFLAGS asks for -race; leave -race out of GOFLAGS for the build (a simulation's own checks still run, though none finds a data race inside a program, whose goroutines switch only where they block: run it natively under -race for that)")
			}
		}
	}
	return nil
}

// goflagsTags returns the build tags that GOFLAGS sets with -tags, which
// the -tags flag of a build would otherwise override.
func (tc toolchain) goflagsTags() []string {
	var tags []string
	for _, e := range tc.env {
		flags, ok := strings.CutPrefix(e, "GOFLAGS=")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(flags) {
			v, ok := strings.CutPrefix(strings.TrimPrefix(strings.TrimPrefix(f, "-"), "-"), "tags=")
			if !ok {
				continue
			}
			for _, t := range strings.Split(v, ",") {
				if t != "" {
					tags = append(tags, t)
				}
			}
		}
	}
	return tags
}

// check reports a toolchain that go build -overlay cannot patch: the go
// command refuses to replace files under GOMODCACHE, which is where a
// toolchain that GOTOOLCHAIN downloaded lives.
func (tc toolchain) check() error {
	if tc.modcache == "" {
		return nil
	}
	rel, err := filepath.Rel(tc.modcache, tc.goroot)
	if err != nil || !filepath.IsLocal(rel) {
		return nil
	}
	return fmt.Errorf("wasmbuild: %s is in the module cache (GOTOOLCHAIN downloaded it), where go build -overlay may not replace files; install %s outside GOMODCACHE and put its bin directory first on PATH with GOTOOLCHAIN=local", tc.goroot, tc.version)
}

// runGo runs the go command in dir for GOOS=wasip1 GOARCH=wasm and returns
// its standard output; a failure is a *goError.
func runGo(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &goError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

// goError is a go command that failed, with what it wrote to standard
// error.
type goError struct {
	args   []string
	err    error
	stderr string
}

func (e *goError) Error() string {
	if e.stderr == "" {
		return fmt.Sprintf("go %s: %v", strings.Join(e.args, " "), e.err)
	}
	return fmt.Sprintf("go %s: %v\n%s", strings.Join(e.args, " "), e.err, e.stderr)
}

func (e *goError) Unwrap() error { return e.err }

// checkOverlayPath reports an overlay path that is not relative to GOROOT.
func checkOverlayPath(name string) error {
	if filepath.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("wasmbuild: overlay path %q is not relative to GOROOT; write it as \"src/<package>/<file>.go\"", name)
	}
	return nil
}

// writeOverlay writes each overlay file under work and the overlay JSON
// that maps its place in GOROOT to it, and returns the JSON's path.
func writeOverlay(work, goroot string, files map[string][]byte) (string, error) {
	return writeOverlayAt(work, work, goroot, files)
}

// writeOverlayAt writes the overlay into dir, naming its files as if dir
// were at final, where the caller will move it.
func writeOverlayAt(dir, final, goroot string, files map[string][]byte) (string, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	replace := make(map[string]string, len(files))
	for i, name := range names {
		target := name // a file added to the main package
		if !filepath.IsAbs(name) {
			target = filepath.Join(goroot, filepath.FromSlash(name)) // checked by build
		}
		base := fmt.Sprintf("overlay%d_%s", i, filepath.Base(name))
		if err := os.WriteFile(filepath.Join(dir, base), files[name], 0o644); err != nil {
			return "", fmt.Errorf("wasmbuild: writing overlay file %s: %w", name, err)
		}
		replace[target] = filepath.Join(final, base)
	}
	js, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return "", fmt.Errorf("wasmbuild: encoding the overlay: %w", err)
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, js, 0o644); err != nil {
		return "", fmt.Errorf("wasmbuild: writing the overlay: %w", err)
	}
	return ov, nil
}
