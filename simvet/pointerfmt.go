package simvet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"
)

// A %p verb formats a pointer's address, which the allocator chooses: it
// differs between processes (and often between runs in one), so text
// that holds one, a payload sent, a name, a key, an error, is not the
// same on a replay. A formatting call is reported when its text becomes a
// value (Sprintf, Errorf, Appendf: the result is used) or goes to a
// writer it is given (Fprintf), wherever it goes from there: following it
// to a send would take other functions' bodies. One used as a statement
// with no writer (Printf, log.Printf, t.Logf, a logger's own) writes a
// log line, which no trace hashes.
func checkPointerVerbs(c *checker) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		stmts := map[*ast.CallExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if es, ok := n.(*ast.ExprStmt); ok {
				if call, ok := ast.Unparen(es.X).(*ast.CallExpr); ok {
					stmts[call] = true
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			i := formatIndex(info, call)
			if i < 0 || i >= len(call.Args) || stmts[call] && !writesTo(callee(info, call)) {
				return true
			}
			tv, ok := info.Types[call.Args[i]]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				return true
			}
			if hasPointerVerb(constant.StringVal(tv.Value)) {
				c.report(call.Args[i], "%p formats a pointer's address, which the allocator chooses and no seed replays: it differs between processes, so text that holds it (a payload, a name, a key, an error) differs on a replay; name the value by an id of your own (a counter, p.Cluster.Self(), a key)")
			}
			return true
		})
	}
}

// formatIndex returns the index of the format argument of a printf-like
// call (a function whose name ends in f, taking a string and then ...any),
// or -1.
func formatIndex(info *types.Info, call *ast.CallExpr) int {
	fn := callee(info, call)
	if fn == nil || !strings.HasSuffix(fn.Name(), "f") {
		return -1
	}
	sig := fn.Signature()
	params := sig.Params()
	if !sig.Variadic() || params.Len() < 2 {
		return -1
	}
	last, ok := params.At(params.Len() - 1).Type().(*types.Slice)
	if !ok {
		return -1
	}
	if it, ok := last.Elem().Underlying().(*types.Interface); !ok || !it.Empty() {
		return -1
	}
	if b, ok := params.At(params.Len() - 2).Type().Underlying().(*types.Basic); !ok || b.Kind() != types.String {
		return -1
	}
	return params.Len() - 2
}

// writesTo reports whether fn's first parameter is a writer (Fprintf's).
func writesTo(fn *types.Func) bool {
	params := fn.Signature().Params()
	if params.Len() == 0 {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(params.At(0).Type(), true, fn.Pkg(), "Write")
	_, ok := obj.(*types.Func)
	return ok
}

// hasPointerVerb reports whether format, fmt's, holds a %p verb.
func hasPointerVerb(format string) bool {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		// Flags, an argument index, a width and a precision.
		for i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == 'p' {
			return true
		}
	}
	return false
}
