// Package simtest is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

type S struct{ testing.TB }

func (s *S) Providers() providers.Providers { return providers.Providers{} }

func (s *S) Go(name string, fn func(ctx context.Context) error) {}

func Run(t testing.TB, body func(s *S)) {}

type Net struct{}

func (n *Net) Slow(from, to string, extra time.Duration) {}

type Cluster struct{}

func (c *Cluster) Alive(name string) bool { return true }
