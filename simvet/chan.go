package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
)

// chanAllow ends the findings on native channels that may never wait (a
// buffer filled before it is read, a select with a default), which may
// stay with an allow directive; a receive from a Done channel always
// waits, and a pipe's ends wait inside.
const chanAllow = "; or, if it never waits in a simulation, //simvet:allow chan <reason>"

func runChan(c *checker) {
	const use = "; use providers.NewChan(p.Task, n) with Send(ctx, v) and Recv(ctx), and providers.Select"
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ChanType:
			c.report(n, "native channel type: its operations block outside the simulation"+use+chanAllow)
			return false
		case *ast.SendStmt:
			c.report(n, "send on a native channel blocks outside the simulation"+use+chanAllow)
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				msg := "receive from a native channel blocks outside the simulation" + use
				if !isDoneCall(n.X) {
					msg += chanAllow
				}
				c.report(n, msg+"; for ctx.Done(), providers.Wait(ctx, p.Task) waits for ctx's end, and any provider call given ctx returns ctx.Err()")
			}
		case *ast.SelectStmt:
			// One report for the select, none for the operations of its
			// cases; the bodies of the cases are looked at as usual.
			// A select of two channel cases or more also chooses among
			// those ready at random, waiting or not.
			cases := 0
			for _, cc := range n.Body.List {
				if cc.(*ast.CommClause).Comm != nil {
					cases++
				}
			}
			if cases < 2 {
				c.reportRange(n.Select, n.Body.Lbrace, "select on native channels blocks outside the simulation; use providers.Select(ctx, providers.OnRecv(...), providers.OnSend(...), ...)"+chanAllow)
			} else {
				c.reportRange(n.Select, n.Body.Lbrace, "select on native channels blocks outside the simulation, and when several of its cases are ready it picks one at random, which no seed decides, even with a default; use providers.Select(ctx, providers.OnRecv(...), providers.OnSend(...), ...), which draws its pick from the run's stream")
			}
			for _, cc := range n.Body.List {
				for _, s := range cc.(*ast.CommClause).Body {
					ast.Inspect(s, visit)
				}
			}
			return false
		case *ast.RangeStmt:
			if _, ok := c.pass.TypesInfo.TypeOf(n.X).Underlying().(*types.Chan); ok {
				c.reportRange(n.For, n.X.End(), "range over a native channel blocks outside the simulation"+use+chanAllow)
			}
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && id.Name == "close" {
				if _, ok := c.pass.TypesInfo.Uses[id].(*types.Builtin); ok {
					c.report(n, "close of a native channel"+use+" and Close"+chanAllow)
				}
			}
		}
		return true
	}
	for _, f := range c.pass.Files {
		ast.Inspect(f, visit)
	}
	// The standard library's in-memory pipes wait on native channels
	// inside, with no channel in the code that uses them.
	pkgUses(c, func(u pkgCall) {
		if _, ok := u.obj.(*types.Func); !ok || u.obj.Name() != "Pipe" {
			return
		}
		at := u.at()
		c.report(at, u.obj.Pkg().Path()+".Pipe's ends block on native channels outside the simulation; use providers.NewChan[[]byte](p.Task, n), or a connection from p.Network.Listen and Dial")
	}, "io", "net")
}

// isDoneCall reports whether x is a call of a method named Done, such as
// ctx.Done(): a receive from it waits until the context ends.
func isDoneCall(x ast.Expr) bool {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Done"
}
