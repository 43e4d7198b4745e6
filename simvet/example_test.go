package simvet_test

import (
	"fmt"
	"strings"

	"github.com/moonpool-go/moonpool/simvet"
)

// The rules, each an analyzer that any go/analysis driver can run, with
// the summary line of its text.
func ExampleAnalyzers() {
	for _, a := range simvet.Analyzers {
		summary, _, _ := strings.Cut(a.Doc, "\n")
		fmt.Printf("%-11s %s\n", a.Name, summary)
	}
	// Output:
	// goroutine   a go statement starts a goroutine the simulation does not schedule
	// chan        native channels block a task outside the simulation
	// sync        sync.Mutex, RWMutex, WaitGroup and Cond block outside the simulation
	// wallclock   the wall clock instead of the simulation's
	// globalrand  global randomness outside the run's stream
	// osnet       the real operating system and network
	// maporder    a map's random order reaches the outside
	// globalstate state that outlives a seed: a package-level variable, or one a body captures
	// assertctx   an assertion given context.Background() checks nothing in a simulation
	// testingt    a simulation body uses the test's *testing.T instead of its S
	// scope       what simvet could not analyze, and malformed directives
}
