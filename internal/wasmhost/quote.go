package wasmhost

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/moonpool-go/moonpool/internal/plural"
)

// What an error quotes of a program's standard error: its last
// quoteLines lines, and no more than quoteBytes of them, unless they end
// in a Go panic or a fatal error of the runtime: then the lines that
// announce it and the first goroutine's stack, up to traceKeep lines. The
// whole of it is in the timeline, a line an entry, which the quote says.
const (
	quoteLines = 10
	quoteBytes = 2 << 10
	traceKeep  = 64
	// beforeKeep bounds the lines kept before a panic's line: the
	// runtime's own ("runtime: goroutine stack exceeds ..."), or the
	// program's last line.
	beforeKeep = 4
	// traceHead bounds the lines between a panic's line and its first
	// goroutine's ("runtime stack:" and the runtime's frames come
	// first for some fatal errors): a line that reads like a panic's
	// with no stack soon after is the program's own.
	traceHead = 40
)

// wholeIn says where the lines a quote leaves out are.
const wholeIn = "the timeline has them all: -simtimeline=FILE"

// stderrScan follows a program's standard error line by line, for the
// part of it an error quotes.
type stderrScan struct {
	lines  int      // lines written
	before []string // the last lines, up to beforeKeep, until a trace starts
	// trace is the last panic or fatal error: the lines before it that
	// tell of it, its own line and what follows, up to the end of the
	// first goroutine's stack (traceKeep lines at most). traceFrom is
	// the line it starts at, counted from 0; goroutines counts the
	// goroutines whose stacks follow; traceDone is set once the first
	// stack has ended.
	trace      []string
	traceFrom  int
	goroutines int
	traceDone  bool
	// runtimeStack is set when the runtime's own stack follows: a fatal
	// error in the runtime's start has no goroutine.
	runtimeStack bool
}

// crashLine reports whether line is how the Go runtime announces a panic
// or a fatal error.
func crashLine(line string) bool {
	return strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")
}

// add takes the next line of standard error.
func (s *stderrScan) add(line string) {
	s.lines++
	if s.trace != nil && s.goroutines == 0 && !s.runtimeStack && s.lines-s.traceFrom > traceHead {
		// No stack followed the line that read like a panic's: it was
		// the program's own.
		s.before = append(s.before[:0], s.trace[max(len(s.trace)-beforeKeep, 0):]...)
		s.trace = nil
	}
	switch {
	case crashLine(line) && (s.trace == nil || s.goroutines > 0):
		// A panic: the first, or one after another's stacks.
		s.trace = append(s.tellers(), cutLine(line, quoteBytes))
		s.traceFrom = s.lines - len(s.trace)
		s.goroutines, s.traceDone, s.runtimeStack = 0, false, false
		s.before = s.before[:0]
	case s.trace == nil:
		if len(s.before) == beforeKeep {
			s.before = append(s.before[:0], s.before[1:]...)
		}
		s.before = append(s.before, cutLine(line, quoteBytes))
	default:
		s.runtimeStack = s.runtimeStack || line == "runtime stack:"
		if isGoroutine(line) {
			s.goroutines++
			s.traceDone = s.traceDone || s.goroutines > 1
		}
		if !s.traceDone && len(s.trace) < traceKeep {
			s.trace = append(s.trace, cutLine(line, quoteBytes))
			s.traceDone = line == "" && s.goroutines > 0
		}
	}
}

// tellers are the lines before a panic's that tell of it: the runtime's
// own lines just before it, else the single line before it.
func (s *stderrScan) tellers() []string {
	i := len(s.before)
	for i > 0 && strings.HasPrefix(s.before[i-1], "runtime: ") {
		i--
	}
	if i == len(s.before) && i > 0 {
		i--
	}
	var out []string
	for _, l := range s.before[i:] {
		out = append(out, cutLine(l, quoteBytes/4))
	}
	return out
}

// isGoroutine reports whether line heads a goroutine's stack.
func isGoroutine(line string) bool {
	return strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, ":")
}

// cutLine is line, or its first n bytes and "…" when it is longer.
func cutLine(line string, n int) string {
	if len(line) <= n {
		return line
	}
	for n > 0 && !utf8.RuneStart(line[n]) {
		n--
	}
	return line[:n] + " …"
}

// quote is what an error quotes of standard error, whose end is tail
// (without its last newline).
func (s *stderrScan) quote(tail string) string {
	if tail == "" {
		return ""
	}
	lines := strings.Split(tail, "\n")
	written := max(s.lines, len(lines))
	if written == len(lines) && len(lines) <= quoteLines && len(tail) <= quoteBytes {
		return tail
	}
	var b strings.Builder
	if s.trace != nil && (s.goroutines > 0 || s.runtimeStack) {
		if s.traceFrom > 0 {
			fmt.Fprintf(&b, "… (%s before; %s)\n", plural.Count(s.traceFrom, "line"), wholeIn)
		}
		trace := s.trace
		for len(trace) > 0 && trace[len(trace)-1] == "" {
			trace = trace[:len(trace)-1]
		}
		b.WriteString(strings.Join(trace, "\n"))
		if rest := written - s.traceFrom - len(trace); rest > 0 {
			more := ""
			if s.goroutines > 1 {
				more = fmt.Sprintf(", the stacks of %d more goroutines", s.goroutines-1)
			}
			fmt.Fprintf(&b, "\n… (%s more%s; %s)", plural.Count(rest, "line"), more, wholeIn)
		}
		return b.String()
	}
	n, size := 0, 0
	for n < len(lines) && n < quoteLines {
		l := len(lines[len(lines)-1-n]) + 1
		if size+l > quoteBytes {
			break
		}
		size += l
		n++
	}
	kept := lines[len(lines)-n:]
	if n == 0 {
		// One line longer than the quote: its start says most.
		kept, n = []string{cutLine(lines[len(lines)-1], quoteBytes)}, 1
	}
	if earlier := written - n; earlier > 0 {
		fmt.Fprintf(&b, "… (the last %d of %s; %s)\n", n, plural.Count(written, "line"), wholeIn)
	}
	b.WriteString(strings.Join(kept, "\n"))
	return b.String()
}

// quoteOf is what an error quotes of stderr, the end of a program's
// standard error, when no scan followed it as it was written.
func quoteOf(stderr string) string {
	if stderr == "" {
		return ""
	}
	var s stderrScan
	for _, l := range strings.Split(stderr, "\n") {
		s.add(l)
	}
	return s.quote(stderr)
}

// QuotedStderr is the part of the program's standard error that e's
// message quotes.
func QuotedStderr(e *ExitError) string {
	if e.quoted != "" || e.Stderr == "" {
		return e.quoted
	}
	return quoteOf(e.Stderr)
}
