// Package assert is a stand-in for testify's, enough for simvet's test
// packages to type-check.
package assert

import "time"

type TestingT interface {
	Errorf(format string, args ...any)
}

type CollectT struct{}

func (c *CollectT) Errorf(format string, args ...any) {}

func Equal(t TestingT, expected, actual any, msgAndArgs ...any) bool { return true }

func NoError(t TestingT, err error, msgAndArgs ...any) bool { return true }

func Eventually(t TestingT, condition func() bool, waitFor, tick time.Duration, msgAndArgs ...any) bool {
	return true
}

func EventuallyWithT(t TestingT, condition func(collect *CollectT), waitFor, tick time.Duration, msgAndArgs ...any) bool {
	return true
}

func Never(t TestingT, condition func() bool, waitFor, tick time.Duration, msgAndArgs ...any) bool {
	return true
}

type Assertions struct{ t TestingT }

func New(t TestingT) *Assertions { return &Assertions{t} }

func (a *Assertions) Equal(expected, actual any, msgAndArgs ...any) bool { return true }

func (a *Assertions) NoError(err error, msgAndArgs ...any) bool { return true }

func (a *Assertions) Eventually(condition func() bool, waitFor, tick time.Duration, msgAndArgs ...any) bool {
	return true
}

func (a *Assertions) Never(condition func() bool, waitFor, tick time.Duration, msgAndArgs ...any) bool {
	return true
}
