package orders_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/examples/orders"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simhttp"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the service with its race: an order placed in separate store calls")

const (
	server    = "10.0.0.1"
	clients   = 3
	perClient = 4
	initial   = 1000
)

var items = []string{"apple", "pear"}

// TestOrders serves the orders API from 10.0.0.1 over a fake store that
// fails now and then, under the default chaos of the network, to three
// clients that place orders and retry until each is answered. It checks
// that an answered order reads back at once, that no order is lost or
// taken from the stock twice.
func TestOrders(t *testing.T) {
	simtest.Run(t, placeOrders, simtest.KeepFailures(!*planted))
}

func placeOrders(s *simtest.S) {
	sp := s.HostProviders(server)
	store := orders.NewFakeStore(sp, false)
	for _, it := range items {
		require.NoError(s, store.SetStock(s.Context(), it, initial))
	}
	store.Faults = true
	svc := &orders.Service{Store: store, CheckThenAct: *planted}
	srv := &simhttp.Server{Providers: sp, Handler: svc.Handler(), ReadTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	l, err := sp.Network.Listen(s.Context(), ":80")
	require.NoError(s, err)
	sp.Task.Go(s.Context(), "orders server", func(ctx context.Context) error {
		srv.Serve(ctx, l)
		return nil
	})

	p := s.Providers()
	placed := map[string]orders.Order{}
	g, _ := providers.NewGroup(s.Context(), p.Task)
	for c := range clients {
		g.Go(fmt.Sprintf("client %d", c), func(ctx context.Context) error {
			hc := simhttp.NewClient(p)
			for i := range perClient {
				o := orders.Order{ID: fmt.Sprintf("c%d-%d", c, i), Item: items[p.Random.IntN(len(items))], Qty: 1 + p.Random.IntN(5)}
				if err := place(ctx, p, hc, o); err != nil {
					return err
				}
				placed[o.ID] = o
				got, err := read(ctx, p, hc, o.ID)
				if err != nil {
					return err
				}
				assertions.Always(ctx, got == o, "an answered order reads back at once", "order", o.ID)
			}
			return nil
		})
	}
	require.NoError(s, g.Wait(s.Context()))

	held := store.Orders()
	ids := map[string]bool{}
	taken := map[string]int{}
	for _, o := range held {
		ids[o.ID] = true
		taken[o.Item] += o.Qty
	}
	for id := range placed {
		assertions.Always(s.Context(), ids[id], "no answered order is lost", "order", id)
	}
	assertions.Always(s.Context(), len(held) == len(placed), "the store holds exactly the answered orders", "held", len(held), "answered", len(placed))
	for _, it := range items {
		assertions.Always(s.Context(), store.StockNow(it) == initial-taken[it], "each order is taken from the stock once",
			"item", it, "stock", store.StockNow(it), "want", initial-taken[it])
	}
}

// place posts o until the service answers 200 or 201, one second a try.
func place(ctx context.Context, p providers.Providers, hc *http.Client, o orders.Order) error {
	body, _ := json.Marshal(o)
	for {
		code, _, err := call(ctx, p, hc, http.MethodPost, "/orders", body)
		if err == nil && (code == http.StatusCreated || code == http.StatusOK) {
			assertions.Sometimes(ctx, code == http.StatusOK, "a retried order was already placed")
			return nil
		}
		if code == http.StatusConflict || code == http.StatusBadRequest {
			return fmt.Errorf("order %s: status %d", o.ID, code)
		}
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// read gets an order until the service answers.
func read(ctx context.Context, p providers.Providers, hc *http.Client, id string) (orders.Order, error) {
	for {
		code, b, err := call(ctx, p, hc, http.MethodGet, "/orders/"+id, nil)
		if err == nil && code != http.StatusServiceUnavailable {
			var o orders.Order
			if code == http.StatusOK {
				json.Unmarshal(b, &o)
			}
			return o, nil
		}
		if err := p.Time.Sleep(ctx, 100*time.Millisecond); err != nil {
			return orders.Order{}, err
		}
	}
}

func call(ctx context.Context, p providers.Providers, hc *http.Client, method, path string, body []byte) (int, []byte, error) {
	ctx, cancel := p.Time.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+server+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
