// Package backoff stands in for github.com/cenkalti/backoff/v4 in simvet's
// tests: the names the wallclock rule looks for, and a few it leaves alone.
package backoff

import "time"

type BackOff interface {
	NextBackOff() time.Duration
	Reset()
}

type Timer interface {
	Start(duration time.Duration)
	Stop()
	C() <-chan time.Time
}

type Clock interface{ Now() time.Time }

type Operation func() error

type OperationWithData[T any] func() (T, error)

type Notify func(error, time.Duration)

type ExponentialBackOff struct{}

func (b *ExponentialBackOff) NextBackOff() time.Duration { return 0 }
func (b *ExponentialBackOff) Reset()                     {}

type ExponentialBackOffOpts func(*ExponentialBackOff)

func NewExponentialBackOff(opts ...ExponentialBackOffOpts) *ExponentialBackOff {
	return &ExponentialBackOff{}
}

func WithClockProvider(clock Clock) ExponentialBackOffOpts { return nil }

func Retry(o Operation, b BackOff) error                                { return nil }
func RetryWithData[T any](o OperationWithData[T], b BackOff) (T, error) { var v T; return v, nil }
func RetryNotify(operation Operation, b BackOff, notify Notify) error   { return nil }
func RetryNotifyWithTimer(operation Operation, b BackOff, notify Notify, t Timer) error {
	return nil
}

func RetryNotifyWithData[T any](operation OperationWithData[T], b BackOff, notify Notify) (T, error) {
	var v T
	return v, nil
}

func RetryNotifyWithTimerAndData[T any](operation OperationWithData[T], b BackOff, notify Notify, t Timer) (T, error) {
	var v T
	return v, nil
}

type Ticker struct{ C <-chan time.Time }

func NewTicker(b BackOff) *Ticker                       { return &Ticker{} }
func NewTickerWithTimer(b BackOff, timer Timer) *Ticker { return &Ticker{} }
func (t *Ticker) Stop()                                 {}
