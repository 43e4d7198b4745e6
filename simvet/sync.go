package simvet

import (
	"go/ast"
	"go/types"
)

// syncTypes are the sync types that block, with their provider equivalent.
// sync.Once, sync.Map, sync.Pool and sync/atomic do not park a task for
// long and stay allowed.
var syncTypes = map[string]string{
	"Mutex":     "providers.NewMutex(p.Task)",
	"RWMutex":   "providers.NewMutex(p.Task) (the providers have no read lock: one Mutex)",
	"WaitGroup": "providers.NewWaitGroup(p.Task), or a providers.Group",
	"Cond":      "a providers.Chan, or providers.Select over several",
	"NewCond":   "a providers.Chan, or providers.Select over several",
}

func runSync(c *checker) {
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			obj := c.pass.TypesInfo.Uses[sel.Sel]
			if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != "sync" || obj.Parent() != obj.Pkg().Scope() {
				return true
			}
			alt, ok := syncTypes[obj.Name()]
			if !ok {
				return true
			}
			if _, isType := obj.(*types.TypeName); isType || obj.Name() == "NewCond" {
				c.report(sel, "sync."+obj.Name()+" blocks the goroutine outside the simulation, so a task waiting on it stops the whole run; use "+alt)
			}
			return true
		})
	}
}
