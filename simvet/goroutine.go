package simvet

import (
	"go/ast"
	"go/types"
	"strconv"

	"golang.org/x/tools/go/analysis"
)

func runGoroutine(c *checker) {
	for _, f := range c.pass.Files {
		var enclosing string
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				enclosing = n.Name.Name
			case *ast.GoStmt:
				c.report(n, "a go statement starts a goroutine the simulation neither schedules nor kills; start a task with p.Task.Go(ctx, name, fn)", c.goFix(n, enclosing)...)
			}
			return true
		})
	}
	// Functions of the standard library that run a function on a
	// goroutine of their own.
	pkgUses(c, func(u pkgCall) {
		if _, ok := u.obj.(*types.Func); !ok {
			return
		}
		at := u.at()
		switch name := u.obj.Pkg().Path() + "." + u.obj.Name(); name {
		case "context.AfterFunc":
			c.report(at, "context.AfterFunc runs its function on a goroutine of its own once the context is done, which the simulation neither schedules nor kills; start a task with p.Task.Go(ctx, name, fn) that makes a provider call given ctx (it returns once ctx is done) and then does the work")
		case "runtime.NumGoroutine":
			c.report(at, "runtime.NumGoroutine counts every goroutine in the process (the runtime's, the test's, other tests'), which no seed decides: the count differs between runs, processes and GOMAXPROCS settings, and a decision on it does not replay; count the tasks you start yourself")
		case "runtime.NumCPU", "runtime.GOMAXPROCS":
			c.report(at, name+" reads the machine the test runs on (its CPUs, or the processes' limit), which no seed decides: a decision on it (a pool's size, a count of shards) differs between a laptop and a CI runner, so a seed found on one does not replay on the other; size it from a constant or the workload's configuration")
		case "runtime.SetFinalizer", "runtime.AddCleanup":
			c.report(at, name+" runs its function on the runtime's goroutine when a garbage collection finds the value unreachable, at a moment no seed decides; release the resource explicitly (a Close) from the task that owns it")
		}
	}, "context", "runtime")
	// Methods that run a function on a goroutine of their own.
	methodUses(c, func(u methodUse) {
		var name string
		switch {
		case u.recvIs("sync", "WaitGroup") && u.fn.Name() == "Go":
			name = "sync.WaitGroup.Go"
		case u.recvIs("golang.org/x/sync/errgroup", "Group") && (u.fn.Name() == "Go" || u.fn.Name() == "TryGo"):
			name = "errgroup.Group." + u.fn.Name()
		default:
			return
		}
		c.report(u.at(), name+" runs its function on a goroutine of its own, which the simulation neither schedules nor kills; start tasks in a providers.Group (providers.NewGroup(ctx, p.Task), then g.Go(name, fn) and g.Wait(ctx))")
	}, "sync", "golang.org/x/sync/errgroup")
}

// goFix rewrites go func() { body }() into p.Task.Go when a Providers
// value and a context are in scope and the body returns nowhere (a bare
// return would not compile in a function returning error).
func (c *checker) goFix(g *ast.GoStmt, enclosing string) []analysis.SuggestedFix {
	lit, ok := g.Call.Fun.(*ast.FuncLit)
	if !ok || len(g.Call.Args) > 0 || lit.Type.Params.NumFields() > 0 || lit.Type.Results.NumFields() > 0 {
		return nil
	}
	p, ctx := c.providersAt(g.Pos()), c.contextAt(g.Pos())
	if p == "" || ctx == "" || !c.imported(g.Pos(), "context", "context") || returns(lit.Body) {
		return nil
	}
	tf := c.pass.Fset.File(g.Pos())
	src, err := c.pass.ReadFile(tf.Name())
	if err != nil {
		return nil
	}
	body := string(src[tf.Offset(lit.Body.Lbrace)+1 : tf.Offset(lit.Body.Rbrace)])
	// The task's name: the function a one-call body calls, else the
	// function the go statement is in.
	name := enclosing
	if len(lit.Body.List) == 1 {
		if es, ok := lit.Body.List[0].(*ast.ExprStmt); ok {
			if call, ok := es.X.(*ast.CallExpr); ok {
				switch fn := ast.Unparen(call.Fun).(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
			}
		}
	}
	if name == "" {
		name = "task"
	}
	text := p + ".Task.Go(" + ctx + ", " + strconv.Quote(name) + ", func(" + ctx + " context.Context) error {" + body + "\treturn nil\n}"
	return []analysis.SuggestedFix{fix("start a task with "+p+".Task.Go", edit(g.Pos(), lit.End(), text), edit(g.Call.Lparen, g.Call.Rparen+1, ")"))}
}

// returns reports whether body holds a return statement outside the
// function literals in it.
func returns(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.ReturnStmt:
			found = true
		case *ast.FuncLit:
			return false
		}
		return !found
	})
	return found
}
