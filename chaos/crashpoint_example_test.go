package chaos_test

import (
	"context"
	"fmt"

	"github.com/moonpool-go/moonpool/chaos"
)

// A coordinator sends its decision before it syncs it: a crash between the
// two loses a decision the participants heard. CrashPoint crashes the
// process there now and then in a simulation; outside one it does nothing.
func ExampleCrashPoint() {
	var log []string
	decide := func(ctx context.Context, decision string) {
		log = append(log, decision) // written, not yet synced
		fmt.Println("sent", decision)
		chaos.CrashPoint(ctx)
		fmt.Println("synced", decision)
	}
	decide(context.Background(), "commit 7")
	// Output:
	// sent commit 7
	// synced commit 7
}
