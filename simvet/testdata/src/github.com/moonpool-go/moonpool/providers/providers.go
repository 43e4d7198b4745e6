// Package providers is a stand-in for the real package's API, enough for
// simvet's test packages to type-check.
package providers

import (
	"context"
	"net"
	"time"
)

type Providers struct {
	Time    Time
	Task    Task
	Random  Random
	Network Network
}

type Time interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
	AfterFunc(d time.Duration, f func()) Timer
	WithDeadline(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc)
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

type Timer interface{ Stop() bool }

type Task interface {
	Go(ctx context.Context, name string, fn func(ctx context.Context) error) Handle
}

type Handle interface {
	Name() string
	Join(ctx context.Context) error
	Cancel()
}

type Random interface {
	Uint64() uint64
	IntN(n int) int
	Int64N(n int64) int64
	Float64() float64
}

type Network interface {
	Listen(ctx context.Context, addr string) (net.Listener, error)
	Dial(ctx context.Context, addr string) (net.Conn, error)
	ListenPacket(ctx context.Context, addr string) (net.PacketConn, error)
	Host() string
}

type Chan[T any] struct{}

func NewChan[T any](t Task, n int) *Chan[T]            { return &Chan[T]{} }
func (c *Chan[T]) Send(ctx context.Context, v T) error { return nil }

type LibraryLogger struct{}

func (g *LibraryLogger) Info(v ...any)  {}
func (g *LibraryLogger) Error(v ...any) {}
func (g *LibraryLogger) V(l int) bool   { return true }
