// Package clockwork stands in for github.com/jonboulle/clockwork in
// simvet's tests: the names the wallclock rule looks for.
package clockwork

import "time"

type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Time{} }
func (realClock) Sleep(d time.Duration)                  {}
func (realClock) After(d time.Duration) <-chan time.Time { return nil }

func NewRealClock() Clock { return realClock{} }

type FakeClock struct{ realClock }

func NewFakeClock() *FakeClock { return &FakeClock{} }
