// Package gobreaker stands in for github.com/sony/gobreaker/v2 in simvet's
// tests: the names the wallclock rule looks for.
package gobreaker

import "time"

type Settings struct {
	Name    string
	Timeout time.Duration
}

type CircuitBreaker[T any] struct{}

func NewCircuitBreaker[T any](st Settings) *CircuitBreaker[T] { return &CircuitBreaker[T]{} }

func (cb *CircuitBreaker[T]) Execute(req func() (T, error)) (T, error) { return req() }

type TwoStepCircuitBreaker[T any] struct{}

func NewTwoStepCircuitBreaker[T any](st Settings) *TwoStepCircuitBreaker[T] {
	return &TwoStepCircuitBreaker[T]{}
}

type SharedDataStore interface{}

type DistributedCircuitBreaker[T any] struct{}

func NewDistributedCircuitBreaker[T any](store SharedDataStore, settings Settings) (*DistributedCircuitBreaker[T], error) {
	return &DistributedCircuitBreaker[T]{}, nil
}
