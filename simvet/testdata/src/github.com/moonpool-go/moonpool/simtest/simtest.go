// Package simtest is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package simtest

import (
	"context"
	"testing"

	"github.com/moonpool-go/moonpool/providers"
)

type S struct{ testing.TB }

func (s *S) Providers() providers.Providers { return providers.Providers{} }

func (s *S) Go(name string, fn func(ctx context.Context) error) {}

func Run(t testing.TB, body func(s *S)) {}
