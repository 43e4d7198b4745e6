package simtest

import (
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
)

// replayer writes replay lines: commands, run from the module root, that
// run a test again. A line repeats the test's own flags that were set,
// since they may shape the run. Make one replayer per report and ask it for
// every line: finding the package directory walks the file system, and the
// flags walk the flag set.
type replayer struct {
	dir   string   // the package directory, relative to the module root
	build []string // the build flags the test binary was built with, as typed
	flags []string // the user's flags, as typed
}

func newReplayer() replayer {
	return replayer{dir: packageDir(), build: buildFlags(), flags: userFlags(flag.CommandLine)}
}

// line is the command that runs the test (or subtest) called name again,
// with simArg, a flag of this package such as simseedArg(seed), unless it
// is empty.
//
// The package comes before simArg: go test ends its package list at the
// first flag it does not know, and -simseed is the test binary's. Every
// word that comes from a name is quoted for the shell: a test's name may
// hold a quote, a directory's a space. The build flags come last, so that
// every line starts as the one of a plain build.
func (rp replayer) line(name, simArg string) string {
	line := "go test -run " + shellQuote(runPattern(name)) + " " + shellQuote(rp.dir)
	if simArg != "" {
		line += " " + simArg
	}
	for _, f := range rp.flags {
		line += " " + f
	}
	for _, f := range rp.build {
		line += " " + f
	}
	return line
}

// packageLine is the command that runs every test of the package again,
// with simArg and the flags a line repeats.
func (rp replayer) packageLine(simArg string) string {
	line := "go test " + shellQuote(rp.dir) + " " + simArg
	for _, f := range append(rp.flags[:len(rp.flags):len(rp.flags)], rp.build...) {
		line += " " + f
	}
	return line
}

// simseedArg is the -simseed flag, as typed, that replays seed.
func simseedArg(seed uint64) string { return fmt.Sprintf("-simseed=%d", seed) }

// userFlags lists the flags set in fs that belong to neither the testing
// package nor this one, as they would be typed, and -short: the test may
// ask testing.Short and run another way under it.
func userFlags(fs *flag.FlagSet) []string {
	var out []string
	visitRepeated(fs, func(f *flag.Flag) {
		if f.Name == "test.short" {
			if f.Value.String() == "true" {
				out = append(out, "-short")
			}
			return
		}
		v := f.Value.String()
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() && v == "true" {
			out = append(out, "-"+f.Name)
			return
		}
		out = append(out, fmt.Sprintf("-%s=%s", f.Name, shellQuote(v)))
	})
	return out
}

// visitRepeated calls fn for each flag set in fs that a replay repeats:
// -test.short, and the flags of neither the testing package nor this one.
func visitRepeated(fs *flag.FlagSet, fn func(*flag.Flag)) {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "test.short" || !strings.HasPrefix(f.Name, "test.") && !isOwnFlag(f.Name) {
			fn(f)
		}
	})
}

// buildFlags lists the build flags of the running binary that change
// what it runs: -tags selects files (a planted bug is often behind one),
// and -race finds failures that a binary without it does not.
func buildFlags() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return buildFlagsOf(bi.Settings)
}

// buildFlagsOf is buildFlags of the given build settings.
func buildFlagsOf(settings []debug.BuildSetting) []string {
	var out []string
	for _, s := range settings {
		switch {
		case s.Key == "-tags" && s.Value != "":
			out = append(out, "-tags="+shellQuote(s.Value))
		case s.Key == "-race" && s.Value == "true":
			out = append(out, "-race")
		}
	}
	return out
}

// shellQuote is s as one shell word: as it is when that is safe, else in
// single quotes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '.' || r == '/' || r == '_' || r == ':' || r == ',' || r == '=' ||
			'0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runPattern matches exactly the test (or subtest) called name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// packageDir is the test's package directory relative to its module root.
// A test binary's build information names the package it tests and its
// module, wherever the binary runs (go test -c builds one to be run
// anywhere). Without it, the directory is the one the binary started in
// (startDir), where go test runs it. It is "." when there is no module
// root.
func packageDir() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if dir, ok := packageDirOf(bi.Path, bi.Main.Path); ok {
			return dir
		}
	}
	root := moduleRoot()
	if root == "" {
		return "."
	}
	rel, err := filepath.Rel(root, startDir)
	if err != nil || rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// importPath is the import path of the test binary's package, as go
// test names it (example.com/m/kv); "" for a binary built from a list of
// files, or when the binary has no build information.
func importPath() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	pkg, ok := strings.CutSuffix(bi.Path, ".test")
	if !ok || pkg == "command-line-arguments" {
		return ""
	}
	return pkg
}

// packageDirOf is the directory of a test binary's package relative to its
// module's root, from the binary's path ("example.com/m/kv.test") and its
// module's ("example.com/m"). It is false for a binary built from a list
// of files (command-line-arguments.test), and for a package of another
// module, which a line run from the module root cannot name by directory.
func packageDirOf(binPath, module string) (string, bool) {
	pkg, ok := strings.CutSuffix(binPath, ".test")
	if !ok || module == "" {
		return "", false
	}
	if pkg == module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(pkg, module+"/")
	if !ok {
		return "", false
	}
	return "./" + rel, true
}
