// Package backoff stands in for github.com/cenkalti/backoff/v5 in simvet's
// tests: the names the wallclock rule looks for, and a few it leaves alone.
package backoff

import (
	"context"
	"time"
)

type BackOff interface {
	NextBackOff() time.Duration
	Reset()
}

type Operation[T any] func() (T, error)

type RetryOption func(*retryOptions)

type retryOptions struct{}

func WithBackOff(b BackOff) RetryOption              { return nil }
func WithMaxElapsedTime(d time.Duration) RetryOption { return nil }

func Retry[T any](ctx context.Context, operation Operation[T], opts ...RetryOption) (T, error) {
	var v T
	return v, nil
}

type ExponentialBackOff struct{ RandomizationFactor float64 }

func NewExponentialBackOff() *ExponentialBackOff         { return &ExponentialBackOff{} }
func (b *ExponentialBackOff) NextBackOff() time.Duration { return 0 }
func (b *ExponentialBackOff) Reset()                     {}

type Ticker struct{ C <-chan time.Time }

func NewTicker(b BackOff) *Ticker { return &Ticker{} }
func (t *Ticker) Stop()           {}
