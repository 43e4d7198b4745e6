package simvet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"slices"

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
	reportTimeLibs(c)
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

// timeLib is calls of a popular library that read or wait on the wall
// clock, or run timers and goroutines of their own, reported where the
// code under test makes them, with what goes wrong in a simulation and
// the way out.
type timeLib struct {
	paths []string // the library's import paths, one per major version
	recv  string   // the receiver's type, for methods; "" for functions
	names []string
	// hook, when nonzero, is the index of an argument that takes the call
	// off the wall clock (a Timer): the call is reported only when that
	// argument is nil.
	hook int
	// timeArgs, when nonzero, is how many of the first arguments are
	// durations that put the call on the wall clock when positive: the
	// call is reported unless each is a constant of at most 0.
	timeArgs int
	does     string // what the call does with time, and what follows in a simulation
	fix      string // the way out
}

// timeLibs are the libraries that the wallclock rule knows at the call
// site. simvet does not depend on them: it knows them by import path and
// name. To add one, add its calls here, a stub of its package under
// testdata/src with a case in testdata/src/wallclock/libs.go, and its
// name to wallclockDoc.
var timeLibs = []timeLib{
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"Wait", "WaitN"}, does: rateWaits,
		fix: "reserve at the simulated instant and sleep on p.Time: now := p.Time.Now(); r := lim.ReserveN(now, n); p.Time.Sleep(ctx, r.DelayFrom(now)), and r.CancelAt(p.Time.Now()) if the sleep fails"},
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"Allow"}, does: rateReads, fix: "use lim.AllowN(p.Time.Now(), 1)"},
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"Reserve"}, does: rateReads, fix: "use lim.ReserveN(p.Time.Now(), 1)"},
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"Tokens"}, does: rateReads, fix: "use lim.TokensAt(p.Time.Now())"},
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"SetLimit"}, does: rateReads, fix: "use lim.SetLimitAt(p.Time.Now(), limit)"},
	{paths: []string{ratePath}, recv: "Limiter", names: []string{"SetBurst"}, does: rateReads, fix: "use lim.SetBurstAt(p.Time.Now(), burst)"},
	{paths: []string{ratePath}, recv: "Reservation", names: []string{"Delay"}, does: reservationReads, fix: "use r.DelayFrom(p.Time.Now())"},
	{paths: []string{ratePath}, recv: "Reservation", names: []string{"Cancel"}, does: reservationReads, fix: "use r.CancelAt(p.Time.Now())"},

	{paths: []string{backoffV4}, names: []string{"Retry", "RetryWithData", "RetryNotify", "RetryNotifyWithData"},
		does: backoffWaits, fix: backoffV4Fix},
	{paths: []string{backoffV4}, names: []string{"RetryNotifyWithTimer", "RetryNotifyWithTimerAndData"}, hook: 3,
		does: "given a nil Timer, " + backoffWaits, fix: backoffV4Fix},
	{paths: []string{backoffV5}, names: []string{"Retry"},
		does: "waits between attempts on a real time.Timer, with no hook for another, which holds the run while simulated time stands still (a wait of 10 s fails the seed as blocked outside the simulation); it also measures WithMaxElapsedTime with time.Since and jitters from math/rand's global source",
		fix:  "retry in a loop of your own that waits p.Time.Sleep(ctx, b.NextBackOff()) between attempts, b an ExponentialBackOff with RandomizationFactor 0, or run the code as a program"},
	{paths: []string{backoffV4}, names: []string{"NewTicker", "NewTickerWithTimer"}, does: backoffTicks, fix: backoffTickFix},
	{paths: []string{backoffV5}, names: []string{"NewTicker"}, does: backoffTicks, fix: backoffTickFix},

	{paths: []string{"github.com/sony/gobreaker", "github.com/sony/gobreaker/v2"},
		names: []string{"NewCircuitBreaker", "NewTwoStepCircuitBreaker", "NewDistributedCircuitBreaker"},
		does:  "times its open state (Timeout, 60 s when zero), its Interval and its BucketPeriod on time.Now: a simulated minute passes in microseconds of wall time, so a breaker that opens stays open, and when it half-opens depends on the machine's speed, which a replay or -simcheck does not repeat",
		fix:   "keep the open state on p.Time (a breaker of your own, or Timeout: time.Nanosecond behind a gate that refuses calls until an instant of p.Time), or run the code as a program"},

	{paths: []string{"github.com/hashicorp/golang-lru/v2/expirable"}, names: []string{"NewLRU"},
		does: "starts a goroutine per cache, on a time.Ticker, that never ends, and expires entries on time.Now: an entry outlives its TTL by simulated minutes, the goroutine outlives the seed, and an onEvict callback that calls into the simulation from it fails the seed as a stray goroutine",
		fix:  "use golang-lru's plain lru.Cache, each entry stamped with p.Time.Now() and checked against the TTL when read"},
	// Its expiration and cleanup interval at NoExpiration (-1) or 0 read
	// no clock and start no janitor.
	{paths: []string{"github.com/patrickmn/go-cache"}, names: []string{"New", "NewFrom"}, timeArgs: 2,
		does: "expires items on time.Now, and given a cleanup interval starts a janitor goroutine on a time.Ticker: an item outlives its expiration by simulated minutes, the janitor outlives the seed, and an OnEvicted callback runs on it, outside the simulation",
		fix:  "keep the items in a map or golang-lru's lru.Cache, each stamped with p.Time.Now() and checked against its expiration when read"},

	{paths: []string{"github.com/jonboulle/clockwork"}, names: []string{"NewRealClock"},
		does: "is the wall clock behind clockwork.Clock: the code given it reads and waits on the wall clock",
		fix:  "give it a clockwork.Clock on p.Time for Now, Since, Until, Sleep and AfterFunc; the channels of its After, NewTimer and NewTicker cannot be waited on in a task, so run code that waits on them as a program"},
	{paths: []string{"github.com/benbjohnson/clock"}, names: []string{"New"},
		does: "is the wall clock behind clock.Clock: the code given it reads and waits on the wall clock",
		fix:  "give it a clock.Clock on p.Time for Now, Since, Until, Sleep, WithTimeout and WithDeadline; the channels of its After, Tick, Timer and Ticker cannot be waited on in a task, and its AfterFunc returns a *clock.Timer that only the wall clock and its Mock can make, so run code that uses them as a program"},
	{paths: []string{"github.com/robfig/cron/v3"}, names: []string{"New"},
		does: "schedules on time.Now and a real time.Timer, from a goroutine of its own that Start starts: jobs fire on the wall clock, never in simulated time, and a job that calls into the simulation fails the seed as a stray goroutine",
		fix:  "run the schedule in a task that sleeps on p.Time until its next instant (sched, err := cron.ParseStandard(spec); now := p.Time.Now(); p.Time.Sleep(ctx, sched.Next(now).Sub(now))), or run the code as a program"},
}

// The import paths and texts that several of timeLibs share.
const (
	ratePath  = "golang.org/x/time/rate"
	backoffV4 = "github.com/cenkalti/backoff/v4"
	backoffV5 = "github.com/cenkalti/backoff/v5"

	rateWaits = "waits on a real timer, and compares the context's deadline with time.Now: under a deadline of p.Time, years before the wall clock, it fails at once, \"would exceed context deadline\", and a wait holds the run while simulated time stands still"
	rateReads = "refills on time.Now: a simulated minute passes in microseconds of wall time, so the limiter hardly refills, and what it admits depends on the machine's speed, which a replay does not repeat"
	// A reservation made at a simulated instant is years before time.Now.
	reservationReads = "measures from time.Now, years after a reservation made at a simulated instant, so Delay is always 0 and Cancel never hands the tokens back"

	backoffWaits   = "waits between attempts on a real time.Timer, which holds the run while simulated time stands still (a wait of 10 s fails the seed as blocked outside the simulation); an ExponentialBackOff also measures MaxElapsedTime on the wall clock and jitters from math/rand's global source"
	backoffV4Fix   = "use RetryNotifyWithTimer (or RetryNotifyWithTimerAndData) with a Timer whose Start sleeps on p.Time, and NewExponentialBackOff(WithClockProvider(p.Time), WithRandomizationFactor(0))"
	backoffTicks   = "ticks from a goroutine of its own, on a real timer: the goroutine outlives the seed, and the ticks come on the wall clock"
	backoffTickFix = "retry in a loop in the task that waits p.Time.Sleep(ctx, b.NextBackOff()) between attempts"

	// keepOwnTime names the docs that give each library's way out whole.
	keepOwnTime = ` (docs/production.md, "Libraries that keep their own time")`
)

// timeLibCall returns the entry of timeLibs for the function or method
// name of package path (recv its receiver's type, or ""), or nil.
func timeLibCall(path, recv, name string) *timeLib {
	for i, l := range timeLibs {
		if l.recv == recv && slices.Contains(l.paths, path) && slices.Contains(l.names, name) {
			return &timeLibs[i]
		}
	}
	return nil
}

// timeLibPaths are the import paths of timeLibs.
func timeLibPaths() []string {
	var paths []string
	for _, l := range timeLibs {
		for _, p := range l.paths {
			if !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// reportTimeLibs reports the calls of timeLibs in the package.
func reportTimeLibs(c *checker) {
	paths := timeLibPaths()
	// A call of an instance written out, f[T](...), is not pkgUses' call
	// of f: find it here, for a hook argument.
	instCalls := map[ast.Expr]*ast.CallExpr{}
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				switch fun := ast.Unparen(call.Fun).(type) {
				case *ast.IndexExpr:
					instCalls[fun.X] = call
				case *ast.IndexListExpr:
					instCalls[fun.X] = call
				}
			}
			return true
		})
	}
	report := func(at ast.Node, call *ast.CallExpr, l *timeLib, name string) {
		if l.hook > 0 && (call == nil || len(call.Args) <= l.hook || !c.pass.TypesInfo.Types[call.Args[l.hook]].IsNil()) {
			return // a hook given, or a function value whose arguments are not seen
		}
		if l.timeArgs > 0 && call != nil && len(call.Args) >= l.timeArgs && !slices.ContainsFunc(call.Args[:l.timeArgs], func(a ast.Expr) bool {
			v := c.pass.TypesInfo.Types[a].Value
			return v == nil || v.Kind() != constant.Int || constant.Sign(v) > 0
		}) {
			return // no expiration, no janitor
		}
		c.report(at, name+" "+l.does+"; "+l.fix+keepOwnTime)
	}
	pkgUses(c, func(u pkgCall) {
		f, ok := u.obj.(*types.Func)
		if !ok {
			return
		}
		if l := timeLibCall(f.Pkg().Path(), "", f.Name()); l != nil {
			call := u.call
			if call == nil {
				call = instCalls[u.ref]
			}
			report(u.at(), call, l, f.Pkg().Name()+"."+f.Name())
		}
	}, paths...)
	methodUses(c, func(u methodUse) {
		recv := typeName(u.fn.Signature().Recv().Type())
		if l := timeLibCall(u.fn.Pkg().Path(), recv, u.fn.Name()); l != nil {
			report(u.at(), u.call, l, u.fn.Pkg().Name()+"."+recv+"."+u.fn.Name())
		}
	}, paths...)
}
