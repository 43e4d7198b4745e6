package simvet

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// wallclockAlt gives the Time provider's equivalent of each function.
var wallclockAlt = map[string]string{
	"time.Now":             "p.Time.Now()",
	"time.Since":           "p.Time.Now().Sub(t)",
	"time.Until":           "t.Sub(p.Time.Now())",
	"time.Sleep":           "p.Time.Sleep(ctx, d)",
	"time.After":           "p.Time.Sleep(ctx, d), or p.Time.AfterFunc(d, f) sending on a providers.Chan",
	"time.AfterFunc":       "p.Time.AfterFunc(d, f)",
	"time.NewTimer":        "p.Time.AfterFunc(d, f), or p.Time.Sleep(ctx, d) in a task",
	"time.NewTicker":       ticker,
	"time.Tick":            ticker,
	"context.WithTimeout":  "p.Time.WithTimeout(ctx, d)",
	"context.WithDeadline": "p.Time.WithDeadline(ctx, t)",
	// The Cause variants time out on the same wall clock; the provider's
	// contexts end with context.DeadlineExceeded as their cause.
	"context.WithTimeoutCause":  "p.Time.WithTimeout(ctx, d)",
	"context.WithDeadlineCause": "p.Time.WithDeadline(ctx, t)",
}

// ticker is the Time provider's equivalent of a wall-clock ticker, as
// docs/production.md's table gives it.
const ticker = "tk := providers.NewTicker(p.Time, d), then tk.Wait(ctx) each round (the same cadence, missed ticks dropped); " +
	"for a select on a ticker and a channel, a task that loops on tk.Wait and sends on a providers.Chan"

// testifyPaths are testify's assert and require, whose Eventually,
// EventuallyWithT and Never wait on the wall clock.
var testifyPaths = []string{"github.com/stretchr/testify/assert", "github.com/stretchr/testify/require"}

var testifyWaits = map[string]bool{
	"Eventually": true, "Eventuallyf": true, "EventuallyWithT": true, "EventuallyWithTf": true,
	"Never": true, "Neverf": true,
}

func runWallclock(c *checker) {
	pkgUses(c, func(u pkgCall) {
		name := u.obj.Pkg().Path() + "." + u.obj.Name()
		alt, ok := wallclockAlt[name]
		if !ok {
			return
		}
		verb := " waits on" // a sleep, a timer or a deadline
		switch name {
		case "time.Now", "time.Since", "time.Until":
			verb = " reads"
		}
		msg := name + verb + " the wall clock, not the simulation's; use " + alt
		at := u.at()
		c.report(at, msg, c.wallclockFix(name, u)...)
	}, "time", "context")
	// testify's Eventually and Never poll on a wall-clock ticker, from a
	// goroutine of their own.
	testify := func(at ast.Node, pkg, name string) {
		if !testifyWaits[name] {
			return
		}
		alt := "s.Eventually(name, within, check)"
		if name == "Never" || name == "Neverf" {
			alt = "s.Invariant(name, check)"
		}
		c.report(at, pkg+"."+name+" polls on the wall clock, from a goroutine of its own, while simulated time stands still; "+
			"in a simulation body use "+alt+", which the simulation checks in simulated time")
	}
	pkgUses(c, func(u pkgCall) { testify(u.at(), u.obj.Pkg().Name(), u.obj.Name()) }, testifyPaths...)
	methodUses(c, func(u methodUse) {
		if u.recvIs(u.fn.Pkg().Path(), "Assertions") {
			testify(u.at(), u.fn.Pkg().Name(), u.fn.Name())
		}
	}, testifyPaths...)
	// An http.Client's Timeout runs on a wall-clock timer.
	const clientTimeout = "http.Client's Timeout runs on the wall clock, not the simulation's; bound each request with a context from p.Time.WithTimeout(ctx, d) (http.NewRequestWithContext)"
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isNamed(info.TypeOf(n), "net/http", "Client") {
					return true
				}
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Timeout" {
							c.report(kv, clientTimeout)
						}
					}
				}
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					if sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr); ok && sel.Sel.Name == "Timeout" {
						if s := info.Selections[sel]; s != nil && isClientTimeout(s.Obj()) {
							c.report(n, clientTimeout)
						}
					}
				}
			}
			return true
		})
	}
}

func (c *checker) wallclockFix(name string, u pkgCall) []analysis.SuggestedFix {
	if u.call == nil {
		return nil
	}
	p := c.providersAt(u.call.Pos())
	if p == "" {
		return nil
	}
	var text string
	args := u.call.Args
	switch name {
	case "time.Now":
		text = p + ".Time.Now()"
	case "time.Since":
		text = p + ".Time.Now().Sub(" + c.args(u.call) + ")"
	case "time.Until":
		text = c.operand(args[0]) + ".Sub(" + p + ".Time.Now())"
	case "context.WithTimeout":
		text = p + ".Time.WithTimeout(" + c.args(u.call) + ")"
	case "context.WithDeadline":
		text = p + ".Time.WithDeadline(" + c.args(u.call) + ")"
	case "time.Sleep":
		ctx := c.contextAt(u.call.Pos())
		if !u.stmt || ctx == "" {
			return nil
		}
		text = p + ".Time.Sleep(" + ctx + ", " + c.args(u.call) + ")"
	case "time.AfterFunc":
		// The provider's Timer is an interface, not a *time.Timer: only a
		// call whose result is dropped is sure to compile.
		if !u.stmt {
			return nil
		}
		text = p + ".Time.AfterFunc(" + c.args(u.call) + ")"
	default:
		return nil
	}
	return c.callFix(u, text)
}

// isClientTimeout reports whether obj is the field Timeout of
// net/http.Client, reached directly or through an embedding struct.
func isClientTimeout(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	if !ok || !v.IsField() || v.Pkg() == nil || v.Pkg().Path() != "net/http" || v.Name() != "Timeout" {
		return false
	}
	client, ok := v.Pkg().Scope().Lookup("Client").(*types.TypeName)
	if !ok {
		return false
	}
	f, _, _ := types.LookupFieldOrMethod(client.Type(), false, v.Pkg(), "Timeout")
	return f == v
}
