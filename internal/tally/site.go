package tally

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/moonpool-go/moonpool/internal/simctx"
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

// Sites names call sites, symbolizing each program counter once. The books
// of one Run share one, and so do the books of a fuzz test's inputs, which
// are a book each: symbolizing is the dearest part of a first assertion
// call. It is safe for concurrent use.
type Sites struct {
	mu     sync.Mutex
	frames map[uintptr]*Site // by the frame's PC
	places map[simctx.Where]*Site
	calls  map[uintptr]*Site // by return PC: the first frame there outside the library, or nil
}

// NewSites returns an empty Sites.
func NewSites() *Sites {
	return &Sites{frames: make(map[uintptr]*Site), calls: make(map[uintptr]*Site)}
}

// SiteOf returns the site of the frame pc belongs to, for a caller that
// found its own (an invariant's registration).
func (b *Book) SiteOf(pc uintptr) *Site {
	c := b.sites
	c.mu.Lock()
	defer c.mu.Unlock()
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return c.site(f)
}

// named returns the Site of a place given by name, the same one for every
// call.
func (c *Sites) named(w *simctx.Where) *Site {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.places[*w]; s != nil {
		return s
	}
	if c.places == nil {
		c.places = make(map[simctx.Where]*Site)
	}
	s := &Site{File: w.File, Line: w.Line, Func: w.Func}
	c.places[*w] = s
	return s
}

// site returns the Site of frame f, the same one for every call.
func (c *Sites) site(f runtime.Frame) *Site {
	if s := c.frames[f.PC]; s != nil {
		return s
	}
	s := &Site{File: f.File, Line: f.Line, Func: f.Function}
	c.frames[f.PC] = s
	return s
}

// caller finds the site of the assertion call being recorded: the first
// frame on the stack outside package assertions and the engine. That frame
// is near the top, so caller unwinds a few frames first, and the whole
// stack only if they are all the library's.
func (b *Book) caller() *Site {
	var pcs [64]uintptr
	for _, depth := range []int{8, len(pcs)} {
		n := runtime.Callers(2, pcs[:depth])
		if s := b.sites.first(pcs[:n]); s != nil || n < depth {
			return s
		}
	}
	return nil
}

// first returns the site of the first frame of pcs outside the library.
func (c *Sites) first(pcs []uintptr) *Site {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range pcs {
		s, ok := c.calls[pc]
		if !ok {
			s = c.outside(pc)
			c.calls[pc] = s
		}
		if s != nil {
			return s
		}
	}
	return nil
}

// outside returns the site of the first frame at return PC pc (a call
// and the calls inlined into it) outside the library, or nil.
func (c *Sites) outside(pc uintptr) *Site {
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		if !internalFrame(f.Function) {
			return c.site(f)
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
