package sim

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"runtime"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/internal/callsite"
)

// A killed task unwinds by the kill signal, a panic that only the task's
// wrapper (body) may recover. A task that recovers it and goes on is a
// programming error: it would keep running in a process that is dead, and a
// loop that recovers everything can never be stopped by a panic. It is
// caught at once: at the task's next call into the simulation, or when it
// returns, whichever comes first.

// unwind throws the kill signal in t, which is killed. The first throw
// records where it came from; a later one from code that is not unwinding
// under a panic means that the first was recovered.
func (t *task) unwind() {
	if !t.unwinding {
		t.unwinding = true
		// Read from the frame pointers: every task of a process that
		// crashes, and every task alive when a run ends, unwinds here.
		var pcs [128]uintptr
		t.killPCs = t.w.keepPCs(pcs[:callsite.Callers(pcs[:])])
	} else if !panicking() {
		t.swallowed(false)
	}
	panic(killSignal{})
}

// keepPCs copies pcs, a killed task's stack, into the world's store of
// them, and returns the copy. Every task alive at a run's end is killed:
// a slice of one array each, not an allocation each. The copies are not
// written again while the run lasts; once it is over, and every task gone,
// Workers hands the array to the next run (worldStore), which writes over
// them. A task lets go of its copy as it ends (finish), so that a seed
// of many reboots keeps the arrays of the tasks still unwinding alone.
func (w *World) keepPCs(pcs []uintptr) []uintptr {
	if cap(w.killPCs)-len(w.killPCs) < len(pcs) {
		w.killPCs = make([]uintptr, 0, max(1024, len(pcs)))
	}
	i := len(w.killPCs)
	w.killPCs = append(w.killPCs, pcs...)
	return w.killPCs[i:len(w.killPCs):len(w.killPCs)]
}

// panicking reports whether the calling goroutine runs deferred calls: a
// panic or a runtime.Goexit is under way below it.
func panicking() bool {
	pcs := make([]uintptr, 1024)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" || f.Function == "runtime.Goexit" {
			return true
		}
		if !more {
			return false
		}
	}
}

// swallowed fails the run: t recovered its kill. It then ends t's goroutine
// with runtime.Goexit, the one way out that a deferred recover cannot stop,
// unless t is returning anyway. The Goexit goes on through the coroutine
// that resumed t up to the goroutine running the world; RunGuarded ends
// there and reports the failure.
func (t *task) swallowed(returning bool) {
	w := t.w
	went := "went on to call the simulation again"
	if returning {
		went = "returned"
	}
	site := recoverSite(t.killPCs)
	if site == "" {
		site = "a deferred recover in one of:\n\t" + strings.ReplaceAll(userFrames(framesOf(t.killPCs)), "\n", "\n\t") + "\n"
	} else {
		site += " "
	}
	// With none of the task's own code on the stack, the function the
	// task was started with has returned, and what calls the simulation
	// is the engine's or simtest's wrapper around it (a process's Run
	// returned): its stack would show only their frames.
	stack := ownFrames(callerStack(3))
	if stack == "" {
		went = "returned"
	}
	w.fail(&Failure{Kind: SwallowedKill, Task: t.name, Msg: fmt.Sprintf(
		"the task was killed at %v and the kill was recovered by %s"+
			"and the task %s. A killed task must unwind: a deferred recover() must panic again with what it does not handle "+
			"(if r := recover(); r != nil { ...; panic(r) }), so that the task stops with its process",
		time.Duration(t.killedAt), site, went),
		Stack: stack})
	if returning {
		return
	}
	w.exiting = true
	runtime.Goexit()
}

// callerStack is the stack of the calling goroutine, skip frames up, as
// "function\n\tfile:line" lines.
func callerStack(skip int) string {
	pcs := make([]uintptr, 128)
	return framesOf(pcs[:runtime.Callers(skip, pcs)])
}

func framesOf(pcs []uintptr) string {
	var lines []string
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		lines = append(lines, f.Function, fmt.Sprintf("\t%s:%d", f.File, f.Line))
		if !more {
			return strings.Join(lines, "\n")
		}
	}
}

// recoverSite finds the recover() call that stopped a kill thrown from pcs:
// in the innermost function of the task's own code on that stack that
// deferred a call to recover before the line it was at. It reads the
// source files, and returns "" when they cannot be read or hold no such
// call.
func recoverSite(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if !isEngineFrame(f.Function, fmt.Sprintf("%s:%d", f.File, f.Line)) {
			if d, r := deferredRecover(f.File, f.Line); r > 0 {
				return fmt.Sprintf("the recover() at %s:%d, deferred at line %d in %s,", f.File, r, d, f.Function)
			}
		}
		if !more {
			return ""
		}
	}
}

// FuncBodyAt parses file and returns it, the body of the innermost
// function (declared or literal) that holds line, and the line of a
// position in it; a nil body when file cannot be read or no function
// holds line. A failure's report reads the source so: the frames of a
// stack do not show a defer statement.
func FuncBodyAt(file string, line int) (f *ast.File, body *ast.BlockStmt, lineOf func(token.Pos) int) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, nil
	}
	lineOf = func(p token.Pos) int { return fset.Position(p).Line }
	ast.Inspect(f, func(n ast.Node) bool {
		var b *ast.BlockStmt
		switch n := n.(type) {
		case *ast.FuncDecl:
			b = n.Body
		case *ast.FuncLit:
			b = n.Body
		}
		if b != nil && lineOf(b.Lbrace) <= line && line <= lineOf(b.Rbrace) {
			body = b
		}
		return true
	})
	return f, body, lineOf
}

// deferredRecover returns the line of the defer statement, before line, of
// the innermost function whose body holds line, that defers a call to
// recover, and the line of that call; zeros if there is none.
func deferredRecover(file string, line int) (deferAt, recoverAt int) {
	f, body, lineOf := FuncBodyAt(file, line)
	if body == nil {
		return 0, 0
	}
	funcs := map[string]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			funcs[fd.Name.Name] = fd
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // another function's defers
		case *ast.DeferStmt:
			if lineOf(n.Pos()) > line {
				return false
			}
			var deferred ast.Node
			switch fn := n.Call.Fun.(type) {
			case *ast.FuncLit:
				deferred = fn.Body
			case *ast.Ident:
				if fd := funcs[fn.Name]; fd != nil {
					deferred = fd.Body
				}
			}
			if deferred != nil {
				if at := recoverCall(deferred); at.IsValid() {
					// The last such defer before line runs first.
					deferAt, recoverAt = lineOf(n.Pos()), lineOf(at)
				}
			}
			return false
		}
		return true
	})
	return deferAt, recoverAt
}

// recoverCall returns the position of the first call to the builtin
// recover directly in n, or token.NoPos.
func recoverCall(n ast.Node) token.Pos {
	at := token.NoPos
	ast.Inspect(n, func(n ast.Node) bool {
		if at.IsValid() {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if c, ok := n.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "recover" && len(c.Args) == 0 {
				at = c.Pos()
			}
		}
		return true
	})
	return at
}
