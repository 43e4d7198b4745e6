package simvet

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// randFix maps the global functions that have a Random provider method of
// the same signature to that method.
var randFix = map[string]string{
	"math/rand.Intn":       "IntN",
	"math/rand.Int63n":     "Int64N",
	"math/rand.Uint64":     "Uint64",
	"math/rand.Float64":    "Float64",
	"math/rand/v2.IntN":    "IntN",
	"math/rand/v2.Int64N":  "Int64N",
	"math/rand/v2.Uint64":  "Uint64",
	"math/rand/v2.Float64": "Float64",
}

func runGlobalrand(c *checker) {
	checkPointerVerbs(c)
	pkgUses(c, func(u pkgCall) {
		path, name := u.obj.Pkg().Path(), u.obj.Name()
		switch u.obj.(type) {
		case *types.Func:
		case *types.Var:
			if path != "crypto/rand" {
				return
			}
		default:
			return
		}
		if path == "hash/maphash" {
			if name == "MakeSeed" {
				c.report(u.at(), maphashMsg("hash/maphash.MakeSeed"))
			}
			return
		}
		if path != "crypto/rand" && (strings.HasPrefix(name, "New") || u.obj.(*types.Func).Signature().Recv() != nil) {
			// A generator of one's own is fine, unless the clock seeds it.
			if u.call != nil && c.readsClock(u.call.Args) {
				c.report(u.call, path+"."+name+" seeded from the wall clock gives every run another stream, which no seed replays; seed it from the run's stream (p.Random.Uint64()), or use rand.New(p.Random)")
			}
			return
		}
		var msg string
		if path == "crypto/rand" {
			msg = "crypto/rand." + name + " reads the operating system's randomness, which no seed replays; in code under test draw from p.Random (rand.New(p.Random) is a math/rand/v2 generator over it)"
		} else {
			msg = path + "." + name + " draws from the global generator, not the run's stream; use p.Random (IntN, Int64N, Uint64, Float64), or rand.New(p.Random) for the rest of math/rand/v2"
		}
		var fixes []analysis.SuggestedFix
		if m, ok := randFix[path+"."+name]; ok && u.call != nil {
			if p := c.providersAt(u.call.Pos()); p != "" {
				fixes = c.callFix(u, p+".Random."+m+"("+c.args(u.call)+")")
			}
		}
		if u.call != nil {
			c.report(u.call, msg, fixes...)
		} else {
			c.report(u.ref, msg)
		}
	}, "math/rand", "math/rand/v2", "crypto/rand", "hash/maphash")
	// maphash.Hash seeds itself at random when nothing seeds it.
	pkgUses(c, func(u pkgCall) {
		if _, ok := u.obj.(*types.TypeName); ok && u.obj.Pkg().Path() == "hash/maphash" && u.obj.Name() == "Hash" {
			c.report(u.ref, maphashMsg("hash/maphash.Hash"))
		}
	}, "hash/maphash")
	// A generator at package level is one stream for every seed.
	methodUses(c, func(u methodUse) {
		id, ok := ast.Unparen(u.sel.X).(*ast.Ident)
		if !ok {
			return
		}
		v, ok := c.pass.TypesInfo.Uses[id].(*types.Var)
		if !ok || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
			return
		}
		c.report(u.at(), id.Name+"."+u.fn.Name()+" draws from a generator at package level, which every seed and every parallel Run in the test binary share, so one seed's draws change the next's; draw from p.Random, or from a generator the process owns (rand.New(p.Random))")
	}, "math/rand", "math/rand/v2")
}

func maphashMsg(name string) string {
	return name + " seeds itself from the runtime's randomness, which no seed replays, so whatever its hashes decide (an order, a shard) changes from run to run; where a hash decides anything, use one without a random seed (hash/fnv)"
}

// readsClock reports whether one of exprs calls time.Now, outside the
// calls of math/rand's functions in them: rand.New(rand.NewSource(now)) is
// reported once, at the constructor that takes the seed.
func (c *checker) readsClock(exprs []ast.Expr) bool {
	found := false
	for _, e := range exprs {
		ast.Inspect(e, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				switch path, name := pkgFunc(callee(c.pass.TypesInfo, call)); {
				case path == "time" && name == "Now":
					found = true
				case path == "math/rand" || path == "math/rand/v2":
					return false
				}
			}
			return !found
		})
	}
	return found
}
