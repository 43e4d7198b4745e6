// Package rate stands in for golang.org/x/time/rate in simvet's tests:
// the names the wallclock rule looks for, and the forms that take the
// time, which it leaves alone.
package rate

import (
	"context"
	"time"
)

type Limit float64

type Limiter struct{}

func NewLimiter(r Limit, b int) *Limiter { return &Limiter{} }

func (lim *Limiter) Limit() Limit                             { return 0 }
func (lim *Limiter) Burst() int                               { return 0 }
func (lim *Limiter) Tokens() float64                          { return 0 }
func (lim *Limiter) TokensAt(t time.Time) float64             { return 0 }
func (lim *Limiter) Allow() bool                              { return true }
func (lim *Limiter) AllowN(t time.Time, n int) bool           { return true }
func (lim *Limiter) Reserve() *Reservation                    { return &Reservation{} }
func (lim *Limiter) ReserveN(t time.Time, n int) *Reservation { return &Reservation{} }
func (lim *Limiter) Wait(ctx context.Context) error           { return nil }
func (lim *Limiter) WaitN(ctx context.Context, n int) error   { return nil }
func (lim *Limiter) SetLimit(newLimit Limit)                  {}
func (lim *Limiter) SetLimitAt(t time.Time, newLimit Limit)   {}
func (lim *Limiter) SetBurst(newBurst int)                    {}
func (lim *Limiter) SetBurstAt(t time.Time, newBurst int)     {}

type Reservation struct{}

func (r *Reservation) OK() bool                            { return true }
func (r *Reservation) Delay() time.Duration                { return 0 }
func (r *Reservation) DelayFrom(t time.Time) time.Duration { return 0 }
func (r *Reservation) Cancel()                             {}
func (r *Reservation) CancelAt(t time.Time)                {}
