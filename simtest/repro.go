package simtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// replayLine is the command that replays seed of the test called name, run
// from the module root. It repeats the test's own flags that were set, since
// they may shape the run.
//
// The package comes before -simseed: go test ends its package list at the
// first flag it does not know, and -simseed is the test binary's.
func replayLine(name string, seed uint64) string {
	line := fmt.Sprintf("go test -run '%s' %s -simseed=%d", runPattern(name), packageDir(), seed)
	for _, f := range userFlags() {
		line += " " + f
	}
	return line
}

// userFlags lists the flags set on the command line that belong to neither
// the testing package nor this one, as they would be typed.
func userFlags() []string {
	var out []string
	flag.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "test.") || strings.HasPrefix(f.Name, "sim") {
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

// packageDir is the test's package directory relative to its module root:
// go test runs a test binary in its package's directory.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
