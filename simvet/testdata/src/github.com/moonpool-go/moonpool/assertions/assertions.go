// Package assertions is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package assertions

import "context"

type Number interface {
	~int | ~int64 | ~uint64 | ~float64
}

type Condition struct {
	Name  string
	Holds bool
}

func Named(name string, holds bool) Condition { return Condition{name, holds} }

func Always(ctx context.Context, cond bool, msg string, details ...any)              {}
func AlwaysOrUnreachable(ctx context.Context, cond bool, msg string, details ...any) {}
func Sometimes(ctx context.Context, cond bool, msg string, details ...any)           {}
func Reachable(ctx context.Context, msg string, details ...any)                      {}
func Unreachable(ctx context.Context, msg string, details ...any)                    {}
func SometimesAll(ctx context.Context, msg string, conds ...Condition)               {}
func SometimesEach(ctx context.Context, msg string, identity ...any)                 {}

func AlwaysGreaterThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {}
func SometimesLessThan[T Number](ctx context.Context, left, right T, msg string, details ...any) {}
