package httpretry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
)

// KeyHeader is the request header that carries a deposit's idempotency
// key.
const KeyHeader = "Idempotency-Key"

// Deposit is the body of POST /deposits.
type Deposit struct {
	Account string `json:"account"`
	Amount  int    `json:"amount"`
}

// Balance is the reply to a deposit and to GET /balance.
type Balance struct {
	Account string `json:"account"`
	Balance int    `json:"balance"`
}

// Journal is where a ledger makes each deposit durable before it answers:
// an *os.File in production.
type Journal interface {
	io.Writer
	Sync() error
}

// Ledger is an HTTP service that holds account balances. A deposit names
// an idempotency key; a deposit whose key the ledger has seen is answered
// with the first one's result and not applied again, so a client may retry
// a deposit whose answer it did not get.
//
// Ledger serves:
//
//	POST /deposits       {"account":"a","amount":5}, header Idempotency-Key → {"account":"a","balance":12}
//	GET  /balance?account=a → {"account":"a","balance":12}
//	GET  /applied        → {"<key>": times applied, ...}
type Ledger struct {
	// Journal receives a line per deposit, synced before the deposit is
	// applied and answered.
	Journal Journal
	// Planted makes the ledger look a key up when a deposit arrives and
	// record it only once the deposit is journaled, so a retry that
	// arrives while the first attempt is still journaling is applied too.
	// The fix (Planted false) claims the key on arrival: a retry that
	// finds it claimed waits for the first attempt's answer.
	Planted bool
	// Log, if set, receives a line per duplicate deposit.
	Log *slog.Logger

	mu       sync.Mutex
	balances map[string]int
	keys     map[string]*outcome // by idempotency key
	applied  map[string]int      // by idempotency key: times applied
}

// outcome is a deposit's answer, ready once done is closed.
type outcome struct {
	done    chan struct{}
	balance Balance
	err     error
}

func (l *Ledger) init() {
	if l.balances == nil {
		l.balances = map[string]int{}
		l.keys = map[string]*outcome{}
		l.applied = map[string]int{}
	}
}

// ServeHTTP serves the ledger's API.
func (l *Ledger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/deposits":
		l.deposit(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/balance":
		account := r.URL.Query().Get("account")
		l.mu.Lock()
		l.init()
		b := Balance{Account: account, Balance: l.balances[account]}
		l.mu.Unlock()
		writeJSON(w, b)
	case r.Method == http.MethodGet && r.URL.Path == "/applied":
		l.mu.Lock()
		l.init()
		applied := make(map[string]int, len(l.applied))
		for k, n := range l.applied {
			applied[k] = n
		}
		l.mu.Unlock()
		writeJSON(w, applied)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func (l *Ledger) deposit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := r.Header.Get(KeyHeader)
	var d Deposit
	if err := json.NewDecoder(r.Body).Decode(&d); err != nil || key == "" || d.Account == "" || d.Amount <= 0 {
		http.Error(w, "a deposit needs an Idempotency-Key header and a JSON body with an account and a positive amount", http.StatusBadRequest)
		return
	}
	out, first := l.claim(key)
	if !first {
		if l.Log != nil {
			l.Log.Info("duplicate deposit", "key", key)
		}
		select {
		case <-out.done:
		default:
			assertions.Reachable(ctx, "a retry arrives while its first attempt is journaling", "key", key)
		}
		select {
		case <-out.done:
		case <-ctx.Done():
			return
		}
		l.answer(w, out)
		return
	}
	err := l.journal(ctx, key, d)
	l.mu.Lock()
	if err == nil {
		l.balances[d.Account] += d.Amount
		l.applied[key]++
		assertions.Always(ctx, l.applied[key] == 1, "a deposit is applied at most once", "key", key, "times", l.applied[key])
		out.balance = Balance{Account: d.Account, Balance: l.balances[d.Account]}
	} else {
		// Not journaled, not applied: forget the key so that a retry
		// can apply it.
		out.err = err
		delete(l.keys, key)
	}
	if l.Planted && err == nil {
		l.keys[key] = out
	}
	close(out.done)
	l.mu.Unlock()
	l.answer(w, out)
}

// claim returns the outcome of the deposit with key and whether the caller
// is the first to claim it and must apply it.
func (l *Ledger) claim(key string) (*outcome, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	if out, ok := l.keys[key]; ok {
		return out, false
	}
	out := &outcome{done: make(chan struct{})}
	if !l.Planted {
		l.keys[key] = out
	}
	return out, true
}

// journal writes the deposit's line and syncs it. A slow disk is a rare
// but legal thing; buggify makes it common in a simulation.
func (l *Ledger) journal(ctx context.Context, key string, d Deposit) error {
	if l.Journal == nil {
		return nil
	}
	if chaos.Buggify(ctx) {
		time.Sleep(chaos.Knob(ctx, 50*time.Millisecond, time.Second))
	}
	if _, err := l.Journal.Write(journalLine(key, d)); err != nil {
		return fmt.Errorf("journaling deposit %s: %w", key, err)
	}
	if err := l.Journal.Sync(); err != nil {
		return fmt.Errorf("syncing deposit %s: %w", key, err)
	}
	return nil
}

func (l *Ledger) answer(w http.ResponseWriter, out *outcome) {
	if out.err != nil {
		http.Error(w, out.err.Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, out.balance)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// journalLine is "key account amount crc\n", the crc over what precedes it.
func journalLine(key string, d Deposit) []byte {
	body := fmt.Sprintf("%s %s %d", key, d.Account, d.Amount)
	return fmt.Appendf(nil, "%s %08x\n", body, crc32.ChecksumIEEE([]byte(body)))
}

// Recover applies the deposits in a journal that a ledger wrote before it
// stopped, skipping lines that are torn or corrupt (a deposit whose line
// was lost was never answered as applied, or its disk failed) and lines
// whose key was seen. It returns how many deposits it applied.
func (l *Ledger) Recover(journal io.Reader) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.init()
	n := 0
	sc := bufio.NewScanner(journal)
	for sc.Scan() {
		key, d, ok := parseLine(sc.Bytes())
		if !ok {
			continue
		}
		if _, seen := l.keys[key]; seen {
			continue
		}
		out := &outcome{done: make(chan struct{})}
		l.balances[d.Account] += d.Amount
		l.applied[key]++
		out.balance = Balance{Account: d.Account, Balance: l.balances[d.Account]}
		close(out.done)
		l.keys[key] = out
		n++
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return n, fmt.Errorf("reading the journal: %w", err)
	}
	return n, nil
}

func parseLine(line []byte) (string, Deposit, bool) {
	i := bytes.LastIndexByte(line, ' ')
	if i < 0 {
		return "", Deposit{}, false
	}
	sum, err := strconv.ParseUint(string(line[i+1:]), 16, 32)
	if err != nil || uint32(sum) != crc32.ChecksumIEEE(line[:i]) {
		return "", Deposit{}, false
	}
	f := strings.Fields(string(line[:i]))
	if len(f) != 3 {
		return "", Deposit{}, false
	}
	amount, err := strconv.Atoi(f[2])
	if err != nil {
		return "", Deposit{}, false
	}
	return f[0], Deposit{Account: f[1], Amount: amount}, true
}
