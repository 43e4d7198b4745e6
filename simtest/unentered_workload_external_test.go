package simtest_test

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

// rareCheck is a workload whose Check has a Sometimes in a branch no seed
// of n below a thousand takes: declared in a file of its own, as a
// workload's methods often are, which no seed enters.
type rareCheck struct{ n int }

func (rareCheck) Setup(context.Context, providers.Providers) error { return nil }
func (rareCheck) Run(context.Context, providers.Providers) error   { return nil }
func (w rareCheck) Check(ctx context.Context, _ providers.Providers) error {
	if w.n > 1000 {
		assertions.Sometimes(ctx, true, "a check met a thousand")
	}
	return nil
}
