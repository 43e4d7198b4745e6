// Package clock stands in for github.com/benbjohnson/clock in simvet's
// tests: the names the wallclock rule looks for.
package clock

import "time"

type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
	After(d time.Duration) <-chan time.Time
}

type clock struct{}

func (clock) Now() time.Time                         { return time.Time{} }
func (clock) Sleep(d time.Duration)                  {}
func (clock) After(d time.Duration) <-chan time.Time { return nil }

func New() Clock { return clock{} }

type Mock struct{ clock }

func NewMock() *Mock { return &Mock{} }
