// Package chaos is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package chaos

import "context"

type Number interface {
	~int | ~int64 | ~float64
}

type Config struct{ Buggify bool }

func Defaults() Config { return Config{Buggify: true} }

func Buggify(ctx context.Context) bool                            { return false }
func BuggifyWithProb(ctx context.Context, p float64) bool         { return false }
func Knob[T any](ctx context.Context, normal, spiked T) T         { return normal }
func KnobRange[T Number](ctx context.Context, normal, lo, hi T) T { return normal }
