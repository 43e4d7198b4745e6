// Package gobreaker stands in for github.com/sony/gobreaker (v1) in
// simvet's tests: the names the wallclock rule looks for.
package gobreaker

import "time"

type Settings struct {
	Name    string
	Timeout time.Duration
}

type CircuitBreaker struct{}

func NewCircuitBreaker(st Settings) *CircuitBreaker { return &CircuitBreaker{} }

func (cb *CircuitBreaker) Execute(req func() (interface{}, error)) (interface{}, error) {
	return req()
}

type TwoStepCircuitBreaker struct{}

func NewTwoStepCircuitBreaker(st Settings) *TwoStepCircuitBreaker { return &TwoStepCircuitBreaker{} }
