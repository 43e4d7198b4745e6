package assertctx

import (
	stdctx "context"

	"github.com/moonpool-go/moonpool/assertions"
	. "github.com/moonpool-go/moonpool/chaos"
)

type key struct{}

type Ledger struct{ total int }

// No context at hand: reported, with no fix.
func (l *Ledger) Add(n int) {
	l.total += n
	assertions.Always(stdctx.Background(), l.total >= 0, "total never negative") // want `assertions.Always finds its simulation through its context, so given context.Background\(\) it does nothing`
	if Buggify(stdctx.TODO()) {                                                  // want `chaos.Buggify finds .* given context.TODO\(\) it never fires`
		return
	}

	// Local variables made only from one.
	bg := stdctx.Background()
	assertions.Always(bg, true, "bg") // want `assertions.Always finds its simulation through its context, so given bg, made from context.Background\(\), it does nothing in a simulation`
	_ = BuggifyWithProb(bg, 0.5)      // want `chaos.BuggifyWithProb finds .* given bg, made from context.Background\(\), it never fires`
	ctx, cancel := stdctx.WithCancel(stdctx.TODO())
	defer cancel()
	assertions.Reachable(ctx, "cancel") // want `given ctx, made from context.TODO\(\), it does nothing`
	vctx := stdctx.WithValue(ctx, key{}, 1)
	var wctx = stdctx.WithoutCancel(vctx)
	assertions.Reachable(wctx, "derived")                                           // want `given wctx, made from context.TODO\(\), it does nothing`
	assertions.Reachable(stdctx.WithValue(stdctx.Background(), key{}, 2), "inline") // want `given stdctx.WithValue\(stdctx.Background\(\), key\{\}, 2\), made from context.Background\(\), it does nothing`
	var late stdctx.Context
	late = bg
	assertions.SometimesEach(late, "late", "n", n) // want `given late, made from context.Background\(\)`
	captured := stdctx.Background()
	func() {
		assertions.Reachable(captured, "captured") // want `given captured, made from`
	}()

	// Calls through a local variable holding the function.
	check := assertions.Always
	check(stdctx.Background(), true, "a function value") // want `check \(assertions.Always\) finds its simulation through its context, so given context.Background\(\) it does nothing`
	gt := assertions.AlwaysGreaterThan[int]
	gt(bg, n, 0, "an instantiated function value")                          // want `gt \(assertions.AlwaysGreaterThan\) finds`
	(assertions.AlwaysOrUnreachable)(stdctx.TODO(), true, "in parentheses") // want `assertions.AlwaysOrUnreachable finds`

	// Allowed, with a reason.
	assertions.Reachable(stdctx.Background(), "allowed") //simvet:allow assertctx production's own check, documented here; no simulation runs it
}

// A context that may carry a simulation is not reported.
func (l *Ledger) Fine(ctx stdctx.Context, other func() stdctx.Context, args []any) {
	c := stdctx.Background()
	if l.total > 0 {
		c = ctx
	}
	assertions.Always(c, true, "assigned ctx too")
	p := stdctx.Background()
	keep(&p)
	assertions.Always(p, true, "its address taken")
	assertions.Always(other(), true, "another function's")
	for _, r := range []stdctx.Context{stdctx.Background()} {
		assertions.Always(r, true, "ranged over")
	}
	var unset stdctx.Context
	assertions.Always(unset, true, "declared without a value")
	assertions.Always(ctx, true, "spread", args...)
	maybe := assertions.Always
	if l.total > 0 {
		maybe = func(stdctx.Context, bool, string, ...any) {}
	}
	maybe(stdctx.Background(), true, "maybe not an assertion")
	keep(stdctx.Background()) // not an assertion
	cycle := ctx
	loop := cycle
	cycle = loop
	assertions.Always(loop, true, "a cycle of variables")
}

func keep(any) {}
