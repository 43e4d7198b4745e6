package httpretry_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/httpretry"
)

// memJournal is a journal in memory; if gate is set, the first Write
// signals entered and waits for gate to close.
type memJournal struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	entered chan struct{}
	gate    chan struct{}
}

func (j *memJournal) Write(p []byte) (int, error) {
	j.mu.Lock()
	j.writes++
	first := j.writes == 1
	j.mu.Unlock()
	if first && j.gate != nil {
		close(j.entered)
		<-j.gate
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.buf.Write(p)
}

func (j *memJournal) Sync() error { return nil }

func TestDepositIsIdempotent(t *testing.T) {
	srv := httptest.NewServer(&httpretry.Ledger{Journal: &memJournal{}})
	defer srv.Close()
	c := &httpretry.Client{Base: srv.URL}
	ctx := context.Background()
	b, err := c.Deposit(ctx, "k1", "alice", 5)
	require.NoError(t, err)
	assert.Equal(t, 5, b.Balance)
	again, err := c.Deposit(ctx, "k1", "alice", 5)
	require.NoError(t, err)
	assert.Equal(t, b, again, "a repeated key gets the first answer")
	_, err = c.Deposit(ctx, "k2", "alice", 7)
	require.NoError(t, err)
	b, err = c.Balance(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, 12, b.Balance)
	applied, err := c.Applied(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"k1": 1, "k2": 1}, applied)
}

func TestBadDeposit(t *testing.T) {
	srv := httptest.NewServer(&httpretry.Ledger{})
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/deposits", "application/json", strings.NewReader(`{"account":"a","amount":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "no idempotency key")
}

// retryDuringJournal sends a deposit and, while the ledger is journaling
// it, the same deposit again, as a client whose first attempt timed out
// does; it returns how many times the ledger applied it.
func retryDuringJournal(t *testing.T, planted bool) int {
	j := &memJournal{entered: make(chan struct{}), gate: make(chan struct{})}
	srv := httptest.NewServer(&httpretry.Ledger{Journal: j, Planted: planted})
	defer srv.Close()
	post := func() {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/deposits", strings.NewReader(`{"account":"a","amount":3}`))
		require.NoError(t, err)
		req.Header.Set(httpretry.KeyHeader, "k")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); post() }()
	<-j.entered
	go func() { defer wg.Done(); post() }()
	if planted {
		// The retry is applied without waiting; wait for its line.
		require.Eventually(t, func() bool { j.mu.Lock(); defer j.mu.Unlock(); return j.buf.Len() > 0 }, 10*time.Second, time.Millisecond)
	} else {
		// The retry waits for the first attempt, which waits for the gate:
		// give it time to arrive (if it did not wait, it would be applied
		// meanwhile and the check below would see it).
		time.Sleep(50 * time.Millisecond)
	}
	close(j.gate)
	wg.Wait()
	applied, err := (&httpretry.Client{Base: srv.URL}).Applied(context.Background())
	require.NoError(t, err)
	return applied["k"]
}

func TestRetryDuringJournal(t *testing.T) {
	assert.Equal(t, 1, retryDuringJournal(t, false), "fixed: the retry waits for the first attempt's answer")
	assert.Equal(t, 2, retryDuringJournal(t, true), "planted: the retry is applied a second time")
}

func TestClientRetriesWithOneKey(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	ledger := &httpretry.Ledger{Journal: &memJournal{}}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get(httpretry.KeyHeader))
		first := len(keys) == 1
		mu.Unlock()
		if first {
			<-release // outlast the client's timeout; the answer is lost
			return
		}
		ledger.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer close(release)
	c := &httpretry.Client{Base: srv.URL, Timeout: 100 * time.Millisecond}
	b, err := c.Deposit(context.Background(), "k", "alice", 4)
	require.NoError(t, err)
	assert.Equal(t, 4, b.Balance)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"k", "k"}, keys, "a retry carries the deposit's key")
}

func TestRecover(t *testing.T) {
	src := &memJournal{}
	l := &httpretry.Ledger{Journal: src}
	srv := httptest.NewServer(l)
	c := &httpretry.Client{Base: srv.URL}
	for i, key := range []string{"a", "b", "c"} {
		_, err := c.Deposit(context.Background(), key, "alice", i+1)
		require.NoError(t, err)
	}
	srv.Close()
	lines := strings.SplitAfter(src.buf.String(), "\n")
	require.Len(t, lines, 4) // three lines and the empty rest
	corrupt := strings.Replace(lines[1], " 2 ", " 9 ", 1)
	journal := lines[0] + corrupt + lines[0] + lines[2][:len(lines[2])/2]

	r := &httpretry.Ledger{}
	n, err := r.Recover(strings.NewReader(journal))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a corrupt line, a repeated key and a torn line are skipped")
	rs := httptest.NewServer(r)
	defer rs.Close()
	b, err := (&httpretry.Client{Base: rs.URL}).Balance(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, b.Balance)
}
