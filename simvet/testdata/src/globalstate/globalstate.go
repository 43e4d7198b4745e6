package globalstate

import (
	"net/http"
	"sync/atomic"
)

var (
	counter int
	seen    = map[string]bool{}
	total   atomic.Int64
	hits    int64
	config  struct{ n int }
	table   = []int{1, 2, 3}
)

func init() { counter = 1 } // init runs once, before any simulation

func Count(key string) int {
	counter++                 // want `writes package-level variable counter, which every seed and every parallel Run in the test binary share`
	seen[key] = true          // want `writes package-level variable seen`
	delete(seen, "x")         // want `writes package-level variable seen`
	total.Add(1)              // want `writes package-level variable total`
	atomic.AddInt64(&hits, 1) // want `writes package-level variable hits`
	config.n = 2              // want `writes package-level variable config`
	counter, _ = 3, 4         // want `writes package-level variable counter`
	http.DefaultClient = nil  // want `writes package-level variable http.DefaultClient`
	return counter
}

var bump = func() { counter++ } // want `writes package-level variable counter`

// Reads, and writes to locals, are fine.
func Read() int {
	n := counter + len(seen) + int(total.Load()) + table[0]
	local := map[string]bool{}
	local["x"] = true
	n++
	return n
}

// Routes on the default mux: the second seed's registration panics.
func Routes(h http.Handler) *http.ServeMux {
	http.Handle("/a", h)                                               // want `http.Handle registers on http.DefaultServeMux, which every seed and every parallel Run in the test binary share`
	http.HandleFunc("/b", func(http.ResponseWriter, *http.Request) {}) // want `http.HandleFunc registers on http.DefaultServeMux`
	mux := http.NewServeMux()
	mux.Handle("/a", h) // a mux of one's own: fine
	return mux
}
