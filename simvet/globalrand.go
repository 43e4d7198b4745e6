package simvet

import (
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
		if path != "crypto/rand" && (strings.HasPrefix(name, "New") || u.obj.(*types.Func).Signature().Recv() != nil) {
			return // a generator of one's own, seeded from p.Random, is fine
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
	}, "math/rand", "math/rand/v2", "crypto/rand")
}
