package simtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// replayLine is the command that replays seed of the test called name, run
// from the module root.
func replayLine(name string, seed uint64) string {
	return fmt.Sprintf("go test -run '%s' -simseed=%d %s", runPattern(name), seed, packageDir())
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
