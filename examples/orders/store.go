package orders

import (
	"context"
	"errors"
)

// An Order takes Qty of an item from its stock, once: ID is the client's,
// and placing the same ID again changes nothing.
type Order struct {
	ID   string `json:"id"`
	Item string `json:"item"`
	Qty  int    `json:"qty"`
}

// Errors a Store returns; wrap them with %w.
var (
	ErrNotFound    = errors.New("orders: no such order")
	ErrExists      = errors.New("orders: an order with this id is already placed")
	ErrOutOfStock  = errors.New("orders: not enough stock for the order")
	ErrUnavailable = errors.New("orders: the store is unavailable; try again")
)

// Store keeps orders and stock. Production uses [SQLStore]; simulations
// use [FakeStore], which injects partial failures.
type Store interface {
	// Place records o and takes o.Qty from its item's stock, both or
	// neither: ErrExists if o.ID is placed, ErrOutOfStock if the stock
	// is short.
	Place(ctx context.Context, o Order) error
	// Get returns the order with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Order, error)
	// Put records o as it is, with no check.
	Put(ctx context.Context, o Order) error
	// Stock returns an item's stock, zero for an unknown item.
	Stock(ctx context.Context, item string) (int, error)
	// SetStock sets an item's stock.
	SetStock(ctx context.Context, item string, n int) error
}
