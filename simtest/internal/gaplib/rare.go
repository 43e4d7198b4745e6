package gaplib

import (
	"context"

	"github.com/moonpool-go/moonpool/assertions"
)

// Rare reaches its assertion only for an n over 1000.
func Rare(ctx context.Context, n int) {
	if n > 1000 {
		assertions.Reachable(ctx, "the rare branch was taken")
	}
}
