package orders

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Service is the orders HTTP API over a Store:
//
//	POST /orders        {"id","item","qty"}: 201 placed, 200 already placed,
//	                    409 out of stock, 503 store unavailable (retry)
//	GET  /orders/{id}   200 the order, 404
//	GET  /stock/{item}  200 {"item","stock"}
type Service struct {
	Store Store
	// CheckThenAct places an order in separate store calls: look for it,
	// read the stock, write the stock back less the order, record the
	// order. Two requests that overlap (two orders for one item, or a
	// client's retry beside its first attempt) both read the stock
	// before either writes it: the planted race.
	CheckThenAct bool
}

// Handler returns the API as an http.Handler.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.place)
	mux.HandleFunc("GET /orders/{id}", s.get)
	mux.HandleFunc("GET /stock/{item}", s.stock)
	return mux
}

func (s *Service) place(w http.ResponseWriter, r *http.Request) {
	var o Order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.ID == "" || o.Item == "" || o.Qty <= 0 {
		http.Error(w, "an order is {\"id\", \"item\", \"qty\"} with qty above zero", http.StatusBadRequest)
		return
	}
	var err error
	if s.CheckThenAct {
		err = s.placeInSteps(r, o)
	} else {
		err = s.Store.Place(r.Context(), o)
	}
	switch {
	case errors.Is(err, ErrExists):
		had, gerr := s.Store.Get(r.Context(), o.ID)
		if gerr != nil {
			writeErr(w, gerr)
			return
		}
		if had != o {
			http.Error(w, "an order with this id is placed with other contents", http.StatusConflict)
			return
		}
		writeJSON(w, http.StatusOK, had)
	case err != nil:
		writeErr(w, err)
	default:
		writeJSON(w, http.StatusCreated, o)
	}
}

func (s *Service) placeInSteps(r *http.Request, o Order) error {
	ctx := r.Context()
	if _, err := s.Store.Get(ctx, o.ID); err == nil {
		return ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	n, err := s.Store.Stock(ctx, o.Item)
	if err != nil {
		return err
	}
	if n < o.Qty {
		return ErrOutOfStock
	}
	if err := s.Store.SetStock(ctx, o.Item, n-o.Qty); err != nil {
		return err
	}
	return s.Store.Put(ctx, o)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	o, err := s.Store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Service) stock(w http.ResponseWriter, r *http.Request) {
	item := r.PathValue("item")
	n, err := s.Store.Stock(r.Context(), item)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": item, "stock": n})
}

func writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, ErrOutOfStock):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
