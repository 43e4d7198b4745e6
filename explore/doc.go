// Package explore branches simulation runs where they discover something,
// so that bugs behind several rare events in one run are found at the cost
// of the sum of their odds, not the product.
//
// Two independent events of 1 in 1,000 each meet in one run of a million
// random seeds. Exploration runs a seed until its assertions report
// progress new to the whole exploration (a Sometimes first true, a numeric
// watermark beaten, a new SometimesEach bucket), and then branches the
// run at that moment into children that keep the prefix which got there and
// draw afresh from it.
//
// A running Go program cannot be forked, so a branch is made by replay: a
// timeline is a root seed plus a [Recipe] of (draw number, new seed) pairs,
// and a child re-runs its parent's prefix, switching the random stream to a
// fresh source at the branch point. A timeline is plain data; a failing one
// prints a replay line holding its recipe, which runs it again exactly.
// Where a Run pins crypto/rand to the seed (Go 1.26 or later, a test that
// is not parallel), its reads branch with the other draws: a read past a
// branch point comes from a stream keyed by that branch's seed.
//
// Exploration is switched on by one option of simtest.Run:
//
//	simtest.Run(t, body, simtest.Explore(explore.Defaults()))
//
// or, for any test, by the -simexplore flag (-simtimelines sets the
// budget). A failing timeline replays with -simrecipe=<recipe>.
//
// [Config] sets the budget of timelines, how many children a discovery
// gets and at what depth branching stops. See docs/explore.md.
package explore
