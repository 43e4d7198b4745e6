package providers_test

import (
	"fmt"

	"github.com/moonpool-go/moonpool/providers"
)

// A replica that restarts is up before it can serve: it says so while it
// catches up, and a readiness probe (or, in a simulation, attrition) reads
// it.
func ExampleSetNotReady() {
	self := providers.Peer{Name: "kv-1", Host: "10.0.0.2"}
	c := providers.StaticCluster(self, []providers.Peer{self}, providers.AfterCrash)

	providers.SetNotReady(c, "replaying the log")
	ready, why := providers.Ready(c)
	fmt.Println(ready, why)

	providers.SetReady(c)
	ready, _ = providers.Ready(c)
	fmt.Println(ready)
	// Output:
	// false replaying the log
	// true
}
