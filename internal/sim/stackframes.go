package sim

import "strings"

// StackFrame is one frame of a goroutine's stack text: its function and
// its place, as a stack trace prints them, without the arguments and the
// program counter's offset: "net/http.(*Transport).getConn" and
// "/go/src/net/http/transport.go:1552".
type StackFrame struct {
	Func string
	Loc  string
}

// StackFrames parses stack text, lines in pairs of a function and its
// place, innermost first: a debug.Stack's after its goroutine line, or a
// Failure's Stack. A last function without its place is left out.
func StackFrames(stack string) []StackFrame {
	lines := strings.Split(strings.TrimSpace(stack), "\n")
	var frames []StackFrame
	for i := 0; i+1 < len(lines); i += 2 {
		fn := strings.TrimSpace(lines[i])
		if j := strings.LastIndexByte(fn, '('); j > 0 && strings.HasSuffix(fn, ")") {
			fn = fn[:j] // the arguments
		}
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +0x"); j > 0 {
			loc = loc[:j]
		}
		frames = append(frames, StackFrame{Func: fn, Loc: loc})
	}
	return frames
}

// StdlibFunc reports whether fn, a function's name as a stack trace gives
// it, is of the standard library's (or of a main package): its package's
// path begins with no domain.
func StdlibFunc(fn string) bool {
	pkg, _, ok := strings.Cut(fn, "/")
	if !ok {
		pkg, _, _ = strings.Cut(fn, ".")
	}
	return !strings.Contains(pkg, ".")
}
