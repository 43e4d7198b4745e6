package assertions_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/simtest"
)

// Account is production code with its properties stated in it.
type Account struct{ balance int }

// Withdraw takes amount from the account, if the balance allows.
func (a *Account) Withdraw(ctx context.Context, amount int) bool {
	if amount > a.balance {
		assertions.Reachable(ctx, "a withdrawal was refused")
		return false
	}
	a.balance -= amount
	assertions.AlwaysGreaterThanOrEqual(ctx, a.balance, 0, "a balance never goes negative",
		"amount", amount)
	assertions.Sometimes(ctx, a.balance == 0, "an account was emptied")
	return true
}

// Outside a simulation, as in production, the assertions do nothing: the
// code runs as if they were not there.
func ExampleAlways() {
	a := &Account{balance: 10}
	fmt.Println(a.Withdraw(context.Background(), 4), a.Withdraw(context.Background(), 7), a.balance)
	// Output: true false 6
}

// In a simulation, the test's context carries the simulation to the code
// under test; the Run's report gets a table of the assertions, and the
// test fails if one fails or, by default, if one never comes true.
func Example_simulation() {
	var t *testing.T // the test's own, in a real test function

	simtest.Run(t, func(s *simtest.S) {
		a := &Account{balance: 100}
		for range 10 {
			a.Withdraw(s.Context(), s.Providers().Random.IntN(40))
			s.Sleep(time.Second)
		}
	})
}

// SometimesAll tracks how many of its conditions held at once: the
// frontier, which a report shows when they never all did.
func ExampleSometimesAll() {
	ctx := context.Background() // a simulated task's context, in a test
	leader, synced, serving := true, true, false
	assertions.SometimesAll(ctx, "a node led, synced and served at once",
		assertions.Named("leader", leader),
		assertions.Named("synced", synced),
		assertions.Named("serving", serving))
	fmt.Println("the frontier of this call is 2 of 3")
	// Output: the frontier of this call is 2 of 3
}

// SometimesEach keeps one bucket per identity: here, one per (term, node)
// pair in which a leader was elected, with the longest log seen for each.
func ExampleSometimesEach() {
	ctx := context.Background() // a simulated task's context, in a test
	for term := range 3 {
		node, logLength := term%2, 10*term
		assertions.SometimesEach(ctx, "a leader was elected in each term",
			"term", term, "node", node,
			assertions.Quality{Name: "log length", Value: float64(logLength)})
	}
	fmt.Println("three buckets in a simulation; nothing in production")
	// Output: three buckets in a simulation; nothing in production
}
