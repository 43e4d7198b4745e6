package tally

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Site is where an assertion is called from.
type Site struct {
	File string // absolute, as the binary records it
	Line int
	Func string // the calling function, package-qualified
	// The extent of the call expression in the source, when the source
	// could be read (see Catalogue); zero otherwise.
	Col, EndLine, EndCol int
}

// String returns the file's base name and the line, as test output does.
func (s *Site) String() string {
	if s == nil {
		return "an unknown place"
	}
	return fmt.Sprintf("%s:%d", filepath.Base(s.File), s.Line)
}

// SiteOf returns the site of the frame pc belongs to, for a caller that
// found its own (an invariant's registration).
func (b *Book) SiteOf(pc uintptr) *Site {
	if s := b.sites[pc]; s != nil {
		return s
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	s := &Site{File: f.File, Line: f.Line, Func: f.Function}
	b.sites[pc] = s
	return s
}

// caller finds the site of the assertion call being recorded: the first
// frame on the stack outside package assertions and the engine. It walks
// the stack, so it is for first calls and mistakes, not the hot path.
func (b *Book) caller() *Site {
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !internalFrame(f.Function) {
			if s := b.sites[f.PC]; s != nil {
				return s
			}
			s := &Site{File: f.File, Line: f.Line, Func: f.Function}
			b.sites[f.PC] = s
			return s
		}
		if !more {
			return nil
		}
	}
}

const module = "github.com/moonpool-go/moonpool/"

func internalFrame(fn string) bool {
	rest, ok := strings.CutPrefix(fn, module)
	if !ok {
		return strings.HasPrefix(fn, "runtime.")
	}
	for _, p := range []string{"assertions.", "internal/sim.", "internal/tally."} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}
