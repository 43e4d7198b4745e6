// This file runs natively, outside any simulation.
//
//simvet:outside runs the ledger natively, beside the simulated runs
package assertctx

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
)

func native() {
	assertions.Always(context.Background(), true, "native")
}
