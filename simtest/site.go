package simtest

import (
	"cmp"
	"fmt"
	"go/ast"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/moonpool-go/moonpool/internal/sim"
)

// procSite is where a failure of the process p is reported, as
// "server.go:42": the line of inst's Run (runSite), or, for a Run whose
// code is none of the test's, such as a program's (program.Process's Run
// is this module's), the line of the Boot call that declared it.
func (s *S) procSite(p *proc, inst Process) string {
	if site := runSite(inst); site != "" {
		return site
	}
	return s.callerOf(p.bootAt)
}

// runSite is where a process's code begins, as "server.go:42": the line
// of its Run method, or of the function of a ProcessFunc. An error a
// process returns is reported there, since the line that returned it is
// no longer on any stack. It is "" when the code cannot be found, or is
// this module's own (funcSite).
func runSite(p Process) string {
	if f, ok := p.(ProcessFunc); ok {
		return funcSite(reflect.ValueOf(f).Pointer())
	}
	return methodSite(reflect.ValueOf(p), "Run", 0)
}

// workloadSite is the line of a workload's method name (Setup, Run or
// Check), where an error it returns is reported, as for a process's Run;
// "" when the code cannot be found.
func workloadSite(w Workload, name string) string {
	if n, ok := w.(namedWorkload); ok {
		w = n.Workload
	}
	return methodSite(reflect.ValueOf(w), name, 0)
}

// methodSite is the line of the method name of v's dynamic type, as
// "server.go:42", or "" when it has none with a file.
func methodSite(v reflect.Value, name string, depth int) string {
	if !v.IsValid() || depth > 8 {
		return ""
	}
	// A method of T called through a *T, or one promoted from an embedded
	// field, is a wrapper made by the compiler, with no file of its own:
	// look at T's, then at the embedded fields'.
	t := v.Type()
	for _, t := range []reflect.Type{t, elem(t)} {
		if t == nil {
			continue
		}
		if m, ok := t.MethodByName(name); ok {
			if site := funcSite(m.Func.Pointer()); site != "" {
				return site
			}
		}
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	for i := range v.NumField() {
		if !v.Type().Field(i).Anonymous {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.Interface {
			f = f.Elem() // what it holds: its methods are the ones promoted
		}
		if site := methodSite(f, name, depth+1); site != "" {
			return site
		}
	}
	return ""
}

func elem(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return nil
}

// funcSite is the line where the function at pc begins, as
// "server.go:42", or "" when it has no file or is this module's own code
// (but its examples and tests): a line of the library, such as
// "program.go:220" for every program's exit, names nothing the test's
// author can look at, and a file of that name of theirs would be taken
// for it.
func funcSite(pc uintptr) string {
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return ""
	}
	file, line := fn.FileLine(fn.Entry())
	if file == "" || strings.HasPrefix(file, "<") || isLibrary(fn.Name(), file) {
		return ""
	}
	return fmt.Sprintf("%s:%d", shortFile(file), line)
}

// isLibrary reports whether the function fn, in file, is this module's
// own code: not its examples', which are code under test, nor a test's.
func isLibrary(fn, file string) bool {
	const module = "github.com/moonpool-go/moonpool/"
	return strings.HasPrefix(fn, module) && !strings.HasPrefix(fn, module+"examples/") && !strings.HasSuffix(file, "_test.go")
}

// panicSite is the line that panicked, as "server.go:42", read from a
// panicking task's stack (runtime/debug.Stack's text): the first frame
// below the panic that is not the runtime's, the engine's or that of a
// primitive of package providers (whose panics name a misuse by its
// caller), nor the library's when it called panic itself (a refusal of
// its arguments, chaos.BuggifyWithProb's of a p of -3) rather than
// faulted, nor the standard library's when a frame of other code called
// it: slog.Value.Bool panics on a string, and the line to fix is its
// caller's. A panic raised by a deferred call while an earlier panic (a
// kill's) unwound the task is the deferred call's: its line is found
// among the frames above the earlier panic, or, when they are all a
// primitive's (a deferred m.Unlock()), it is the defer statement (see
// deferredFrame). It is "" when there is none.
func panicSite(stack string) string {
	return panicSiteIn(stack, stdSource())
}

// stdSource is the directory of the standard library's source as this
// binary's frames name it ("/usr/local/go/src/"), or "" when they do not
// (a build with -trimpath names "strings/strings.go").
func stdSource() string {
	file, _ := runtime.FuncForPC(reflect.ValueOf(strings.Cut).Pointer()).FileLine(0)
	dir, ok := strings.CutSuffix(file, "strings/strings.go")
	if !ok || !strings.HasPrefix(dir, "/") && !strings.Contains(dir, ":") {
		return ""
	}
	return dir
}

// panicSiteIn is panicSite for a standard library whose source is under
// std, as stdSource gives it.
func panicSiteIn(stack, std string) string {
	lines := strings.Split(stack, "\n")
	below := false
	stdSite := ""
	// explicit is set from the panic down to the first frame that is not
	// the runtime's: a panic the code called, not a fault the runtime
	// raised (a nil dereference, an index out of range). The library's
	// explicit panics name a misuse by their caller, whose line is the
	// one to fix; libSite is theirs, should no caller be found.
	explicit, libSite := false, ""
	deferred := "" // the outermost frame above the panic: the deferred call, should an earlier panic run it
	for i := 0; i+1 < len(lines); i++ {
		fn := lines[i]
		if strings.HasPrefix(fn, "\t") {
			continue
		}
		if strings.HasPrefix(fn, "panic(") {
			if below {
				// An earlier panic ran the frames above as a deferred
				// call, and none is the code's: the line is the defer
				// statement's.
				if fn, loc := deferredFrame(lines[i+1:], deferred); loc != "" && (stdSite == "" || fn != "") {
					return shortFile(loc)
				}
				if stdSite != "" {
					return stdSite
				}
			}
			below, explicit = true, true
			continue
		}
		if !below {
			continue
		}
		deferred = funcName(fn)
		if strings.HasPrefix(fn, "runtime.") {
			explicit = false
			continue
		}
		if strings.HasPrefix(fn, "iter.") || strings.HasPrefix(fn, "created by ") || strings.Contains(fn, "moonpool/internal/") || strings.Contains(fn, "moonpool/providers.") {
			continue
		}
		loc := frameLoc(lines[i+1])
		if explicit && isLibrary(funcName(fn), loc[:max(strings.LastIndexByte(loc, ':'), 0)]) {
			if libSite == "" {
				libSite = shortFile(loc)
			}
			continue
		}
		if std != "" && strings.HasPrefix(loc, std) {
			if stdSite == "" {
				stdSite = shortFile(loc)
			}
			continue
		}
		return shortFile(loc)
	}
	return cmp.Or(stdSite, libSite)
}

// frameLoc is a stack's line of a frame's place, "\tfile:line +0x1f",
// as "file:line".
func frameLoc(line string) string {
	loc := strings.TrimSpace(line)
	if j := strings.LastIndex(loc, " +0x"); j >= 0 {
		loc = loc[:j]
	}
	return loc
}

// ownFrame reports whether fn, a stack's frame, is the code's own: not the
// runtime's, the coroutine's, the engine's or its devices', simtest's or
// the providers' primitives'.
func ownFrame(fn string) bool {
	return !(strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "runtime/debug.") || fn == "panic" ||
		strings.HasPrefix(fn, "iter.") || strings.HasPrefix(fn, "created by ") ||
		strings.Contains(fn, "moonpool/internal/") || strings.Contains(fn, "moonpool/simtest.") ||
		strings.Contains(fn, "moonpool/providers."))
}

// deferredFrame finds the function that deferred call, the function a
// deferred call ran when it panicked under an earlier panic, whose
// frames, from that earlier panic's down, are below: the first of the
// code's own frames, and the place of its defer statement that calls
// call's function by name (defer m.Unlock() for a panic of
// providers.(*Mutex).Unlock), read from its source. Go shows no frame for
// such a statement: the call runs in a wrapper that tracebacks hide. With
// no such statement (its source cannot be read, or call is a function
// literal, whose own frame names it), loc is the frame's own place, where
// the earlier panic passed through it, and fn is "". Both are "" when no
// frame is the code's.
func deferredFrame(below []string, call string) (fn, loc string) {
	for i := 0; i+1 < len(below); i++ {
		f := below[i]
		if strings.HasPrefix(f, "\t") || strings.HasPrefix(f, "panic(") || !ownFrame(funcName(f)) {
			continue
		}
		loc = frameLoc(below[i+1])
		if j := strings.LastIndexByte(loc, ':'); j > 0 {
			file := loc[:j]
			if line, err := strconv.Atoi(loc[j+1:]); err == nil {
				name := call[strings.LastIndexByte(call, '.')+1:]
				if at := deferStatement(file, line, name); at > 0 {
					return funcName(f), fmt.Sprintf("%s:%d", file, at)
				}
			}
		}
		return "", loc
	}
	return "", ""
}

// deferStatement is the line of the last defer statement before line, in
// the innermost function of file whose body holds line (not in a function
// literal inside it), that calls a function or method named name; 0 if
// there is none or file cannot be read.
func deferStatement(file string, line int, name string) int {
	if name == "" {
		return 0
	}
	_, body, lineOf := sim.FuncBodyAt(file, line)
	if body == nil {
		return 0
	}
	at := 0
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt:
			var called string
			switch fn := n.Call.Fun.(type) {
			case *ast.Ident:
				called = fn.Name
			case *ast.SelectorExpr:
				called = fn.Sel.Name
			}
			if l := lineOf(n.Pos()); called == name && l <= line {
				at = l
			}
			return false
		}
		return true
	})
	return at
}

// panicStack is a panicking task's stack (runtime/debug.Stack's text) as a
// report shows it, in the form of the other stacks it shows: the frames of
// the task's own code, as "function\n\tfile:line" lines, without the
// goroutine's header, the arguments and offsets, or the frames of the
// runtime, the coroutine, the engine, simtest and the providers' primitives
// around them. The frames above the panic took the stack (the deferred
// call that recovered it), and those from the function that deferred that
// call down ran the panicking code: the engine's task, or a server that
// recovers its handler's panic (simhttp's): it shows neither. With no
// frame of the task's own, it is raw, whole.
//
// A panic raised by a deferred call while an earlier panic (a kill's)
// unwound the task shows the deferred call's frames, a primitive's too
// (the Unlock that found its Mutex unlocked), and then the one frame of
// the code's that deferred the call (deferredFrame), at its defer
// statement when it can be found: the frames below, where the earlier
// panic came from, are that panic's story, not this one's.
func panicStack(raw string) string {
	lines := strings.Split(strings.TrimSpace(raw), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "goroutine ") {
		lines = lines[1:]
	}
	var out []string
	recoverer := ""
	for i := 0; i+1 < len(lines); i += 2 {
		if strings.HasPrefix(lines[i], "panic(") {
			if i >= 2 {
				recoverer = enclosingFunc(funcName(lines[i-2]))
			}
			lines = lines[i:]
			break
		}
	}
	var deferred []string // the deferred call's frames, a primitive's among them
	for i := 0; i+1 < len(lines); i += 2 {
		fn, loc := funcName(lines[i]), lines[i+1]
		if !strings.HasPrefix(loc, "\t") {
			return raw // not debug.Stack's text
		}
		if i > 0 && strings.HasPrefix(lines[i], "panic(") {
			if len(out) == 0 {
				out = deferred
			}
			if len(out) > 0 {
				name := ""
				if n := len(deferred); n > 0 {
					name = deferred[n-2]
				}
				if f, at := deferredFrame(lines[i+1:], name); at != "" {
					if f == "" {
						f = deferredBy(lines[i+1:])
					}
					out = append(out, f, "\t"+at)
				}
				break
			}
		}
		if recoverer != "" && fn == recoverer {
			break
		}
		if strings.HasPrefix(fn, "runtime.") || fn == "panic" || strings.HasPrefix(fn, "runtime/debug.") {
			continue
		}
		deferred = append(deferred, fn, "\t"+frameLoc(loc))
		if strings.HasPrefix(fn, "iter.") || strings.HasPrefix(fn, "created by ") ||
			strings.Contains(fn, "moonpool/internal/sim.") || strings.Contains(fn, "moonpool/simtest.") ||
			strings.Contains(fn, "moonpool/providers.") {
			continue
		}
		out = append(out, fn, "\t"+frameLoc(loc))
	}
	if len(out) == 0 {
		return raw
	}
	return strings.Join(out, "\n")
}

// deferredBy is the first of the code's own frames in below, a stack's
// lines: the function that deferredFrame found.
func deferredBy(below []string) string {
	for _, f := range below {
		if !strings.HasPrefix(f, "\t") && !strings.HasPrefix(f, "panic(") && ownFrame(funcName(f)) {
			return funcName(f)
		}
	}
	return ""
}

// funcName is a stack's line of a frame without its arguments:
// "pkg.(*T).m" for "pkg.(*T).m(0x1, ...)".
func funcName(line string) string {
	if j := strings.LastIndex(line, "("); j > 0 && strings.HasSuffix(line, ")") {
		return line[:j]
	}
	return line
}

// enclosingFunc is the function a closure is declared in, as a stack
// names both: "pkg.F" for "pkg.F.func1" or "pkg.F.func1.2", fn itself for
// a function that is no closure.
func enclosingFunc(fn string) string {
	for {
		i := strings.LastIndexByte(fn, '.')
		if i < 0 {
			return fn
		}
		last := strings.TrimPrefix(fn[i+1:], "func")
		if last == "" || strings.Trim(last, "0123456789") != "" {
			return fn
		}
		fn = fn[:i]
	}
}

// bodyLine is the line, "file.go:12", of the innermost frame of stack (a
// task's, as a Failure holds it) in body's function or a closure declared
// in it (a task's function), or "" when no frame is: the body's line
// that led to the frames above.
func bodyLine(stack string, body func(*S)) string {
	if body == nil {
		return ""
	}
	fn := runtime.FuncForPC(reflect.ValueOf(body).Pointer())
	if fn == nil {
		return ""
	}
	// A method value runs through a wrapper; the stack names the method.
	name := strings.TrimSuffix(fn.Name(), "-fm")
	return frameLine(stack, func(frame string) bool {
		f := funcName(frame)
		return f == name || strings.HasPrefix(f, name+".")
	})
}

// frameLine is the line, "file.go:12", of the innermost frame of stack
// whose function line (as a stack trace prints it) is, or "" when none is.
func frameLine(stack string, is func(frame string) bool) string {
	lines := strings.Split(stack, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if f := lines[i]; strings.HasPrefix(f, "\t") || !is(f) {
			continue
		}
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +0x"); j > 0 {
			loc = loc[:j]
		}
		return shortFile(loc)
	}
	return ""
}
