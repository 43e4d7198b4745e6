package orders_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/orders"
	"github.com/moonpool-go/moonpool/simtest"
)

// storeContract is what every Store promises, written once and run
// against the fake (in a simulation, faults off) and SQLite.
func storeContract(t require.TestingT, ctx context.Context, st orders.Store) {
	require.NoError(t, st.SetStock(ctx, "apple", 5))
	n, err := st.Stock(ctx, "apple")
	require.NoError(t, err)
	require.Equal(t, 5, n)
	n, err = st.Stock(ctx, "pear")
	require.NoError(t, err)
	require.Zero(t, n, "an unknown item has no stock")

	o := orders.Order{ID: "o1", Item: "apple", Qty: 2}
	require.NoError(t, st.Place(ctx, o))
	got, err := st.Get(ctx, "o1")
	require.NoError(t, err)
	require.Equal(t, o, got)
	n, _ = st.Stock(ctx, "apple")
	require.Equal(t, 3, n, "placing takes the quantity from the stock")

	require.ErrorIs(t, st.Place(ctx, o), orders.ErrExists)
	n, _ = st.Stock(ctx, "apple")
	require.Equal(t, 3, n, "placing an order again changes nothing")

	require.ErrorIs(t, st.Place(ctx, orders.Order{ID: "o2", Item: "apple", Qty: 4}), orders.ErrOutOfStock)
	_, err = st.Get(ctx, "o2")
	require.ErrorIs(t, err, orders.ErrNotFound, "an order out of stock is not recorded")
	n, _ = st.Stock(ctx, "apple")
	require.Equal(t, 3, n)

	require.NoError(t, st.Put(ctx, orders.Order{ID: "o3", Item: "pear", Qty: 9}))
	got, err = st.Get(ctx, "o3")
	require.NoError(t, err)
	require.Equal(t, 9, got.Qty)
}

func TestFakeStoreContract(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		storeContract(s, s.Context(), orders.NewFakeStore(s.Providers(), false))
	}, simtest.Seeds(5))
}

func TestSQLStoreContract(t *testing.T) {
	st, err := orders.OpenSQLStore(t.TempDir() + "/orders.db")
	require.NoError(t, err)
	defer st.Close()
	storeContract(t, context.Background(), st)
}
