package orders

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
)

// FakeStore is a Store in memory for simulations. Each call takes a store
// round trip of simulated time (1 to 5 ms), and, when Faults is set, fails
// now and then as a database does: before it acts, or after (the change is
// made but the caller hears ErrUnavailable), each a chaos.Buggify site.
type FakeStore struct {
	P      providers.Providers
	Faults bool

	orders map[string]Order
	stock  map[string]int
}

// NewFakeStore returns an empty FakeStore on p's clock.
func NewFakeStore(p providers.Providers, faults bool) *FakeStore {
	return &FakeStore{P: p, Faults: faults, orders: map[string]Order{}, stock: map[string]int{}}
}

// roundTrip waits for the store, and fails first when buggified.
func (f *FakeStore) roundTrip(ctx context.Context, op string) error {
	if err := f.P.Time.Sleep(ctx, time.Millisecond+time.Duration(f.P.Random.Int64N(int64(4*time.Millisecond)))); err != nil {
		return err
	}
	if f.Faults && chaos.Buggify(ctx) {
		return fmt.Errorf("%s before it ran: %w", op, ErrUnavailable)
	}
	return nil
}

// lostAck fails a call after its change was made, when buggified.
func (f *FakeStore) lostAck(ctx context.Context, op string) error {
	if f.Faults && chaos.Buggify(ctx) {
		return fmt.Errorf("%s after it ran: %w", op, ErrUnavailable)
	}
	return nil
}

func (f *FakeStore) Place(ctx context.Context, o Order) error {
	if err := f.roundTrip(ctx, "place"); err != nil {
		return err
	}
	if _, ok := f.orders[o.ID]; ok {
		return fmt.Errorf("place %s: %w", o.ID, ErrExists)
	}
	if f.stock[o.Item] < o.Qty {
		return fmt.Errorf("place %s: %w", o.ID, ErrOutOfStock)
	}
	f.orders[o.ID] = o
	f.stock[o.Item] -= o.Qty
	return f.lostAck(ctx, "place")
}

func (f *FakeStore) Get(ctx context.Context, id string) (Order, error) {
	if err := f.roundTrip(ctx, "get"); err != nil {
		return Order{}, err
	}
	o, ok := f.orders[id]
	if !ok {
		return Order{}, fmt.Errorf("get %s: %w", id, ErrNotFound)
	}
	return o, nil
}

func (f *FakeStore) Put(ctx context.Context, o Order) error {
	if err := f.roundTrip(ctx, "put"); err != nil {
		return err
	}
	f.orders[o.ID] = o
	return f.lostAck(ctx, "put")
}

func (f *FakeStore) Stock(ctx context.Context, item string) (int, error) {
	if err := f.roundTrip(ctx, "stock"); err != nil {
		return 0, err
	}
	return f.stock[item], nil
}

func (f *FakeStore) SetStock(ctx context.Context, item string, n int) error {
	if err := f.roundTrip(ctx, "set stock"); err != nil {
		return err
	}
	f.stock[item] = n
	return f.lostAck(ctx, "set stock")
}

// Orders returns every order held, by ID, without a round trip: for a
// test's final check.
func (f *FakeStore) Orders() []Order {
	out := make([]Order, 0, len(f.orders))
	for _, o := range f.orders {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// StockNow returns an item's stock without a round trip.
func (f *FakeStore) StockNow(item string) int { return f.stock[item] }
