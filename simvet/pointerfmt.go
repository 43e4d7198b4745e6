package simvet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"
)

// A %p verb formats a pointer's address, which the allocator chooses: it
// differs between processes (and often between runs in one), so text
// that holds one, a payload sent, a name, a key, an error compared or a
// log line diffed, is not the same on a replay. Every formatting call of
// code under test is reported, wherever the text goes: following it to a
// write would take other functions' bodies, and an address is of no use
// to a seed anyway.
func checkPointerVerbs(c *checker) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			i := formatIndex(info, call)
			if i < 0 || i >= len(call.Args) {
				return true
			}
			tv, ok := info.Types[call.Args[i]]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				return true
			}
			if hasPointerVerb(constant.StringVal(tv.Value)) {
				c.report(call.Args[i], "%p formats a pointer's address, which the allocator chooses and no seed replays: it differs between processes, so text that holds it (a payload, a name, a key, an error, a log line) differs on a replay; name the value by an id of your own (a counter, p.Cluster.Self(), a key)")
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
