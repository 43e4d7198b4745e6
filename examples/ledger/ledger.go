package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
)

// Port is the port a Server listens on.
const Port = 4600

// The messages. A deposit carries an id chosen by its client, unique
// among all deposits, so that the server can tell a deposit it has
// applied from a new one.
type (
	Deposit struct {
		ID      uint64
		Account int
		Amount  int64
	}
	Withdraw struct {
		Account int
		Amount  int64
	}
	Balance struct{ Account int }
	// Ack is every answer: the account's balance after the operation.
	Ack struct{ Balance int64 }
)

// The server's endpoints, an interface at a well-known base token: a
// client needs only the address.
var (
	Base          = rpc.WellKnown(1)
	DepositToken  = Base.Index(0)
	WithdrawToken = Base.Index(1)
	BalanceToken  = Base.Index(2)
)

// Endpoints are the endpoints of the server at addr.
type Endpoints struct {
	Deposit  rpc.Endpoint[Deposit, Ack]
	Withdraw rpc.Endpoint[Withdraw, Ack]
	Balance  rpc.Endpoint[Balance, Ack]
}

// At returns the endpoints of the server at addr, "host:port".
func At(addr string) Endpoints {
	return Endpoints{
		Deposit:  rpc.At[Deposit, Ack](addr, DepositToken),
		Withdraw: rpc.At[Withdraw, Ack](addr, WithdrawToken),
		Balance:  rpc.At[Balance, Ack](addr, BalanceToken),
	}
}

// ErrInsufficientFunds is the message of a withdrawal refused.
var ErrInsufficientFunds = errors.New("insufficient funds")

// Server keeps the balances of accounts in a journal on its disk and
// serves deposits, withdrawals and balance reads over rpc.
type Server struct {
	// ApplyTwice is the planted bug: the server does not look up a
	// deposit's id before applying it, so a deposit that GetReply resends
	// after a reconnect, because its reply was lost, is applied again.
	ApplyTwice bool
}

// ledger is a running server's state.
type ledger struct {
	p       providers.Providers
	cfg     *Server
	log     *slog.Logger
	journal providers.File
	size    int64
	persist *providers.Mutex // one append and sync at a time

	//simvet:allow sync never held across a call that parks, so no task ever waits on it
	mu       sync.Mutex // guards what follows; never held across a block
	balances map[int]int64
	applied  map[uint64]int // deposit id: times applied
}

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, p providers.Providers) error {
	// Boots and deposits applied again go to the process's logger: in a
	// simulation, the seed's timeline.
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &ledger{p: p, cfg: s, log: log, persist: providers.NewMutex(p.Task),
		balances: map[int]int64{}, applied: map[uint64]int{}}
	if err := l.load(); err != nil {
		return err
	}
	defer l.journal.Close()
	log.Info("booted", "deposits", len(l.applied), "bytes", l.size)
	tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: fmt.Sprintf(":%d", Port)})
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := rpc.Serve(tr, DepositToken, l.deposit); err != nil {
		return err
	}
	if _, err := rpc.Serve(tr, WithdrawToken, l.withdraw); err != nil {
		return err
	}
	if _, err := rpc.Serve(tr, BalanceToken, l.balance); err != nil {
		return err
	}
	return providers.Wait(ctx, p.Task)
}

// deposit applies d, once unless the bug is planted. It is at least once
// for its callers (GetReply), so a deposit may arrive any number of times.
func (l *ledger) deposit(ctx context.Context, d Deposit) (Ack, error) {
	if d.Amount <= 0 {
		return Ack{}, fmt.Errorf("a deposit of %d: deposit a positive amount", d.Amount)
	}
	if err := l.persist.Lock(ctx); err != nil {
		// Stopping: break the promise rather than fail the deposit,
		// which was not applied; the client may send it again.
		return Ack{}, fmt.Errorf("ledger: stopping: %w", rpc.ErrBrokenPromise)
	}
	defer l.persist.Unlock()
	l.mu.Lock()
	seen := l.applied[d.ID] > 0
	bal := l.balances[d.Account]
	l.mu.Unlock()
	assertions.Sometimes(ctx, seen, "a deposit arrives again")
	if seen && !l.cfg.ApplyTwice {
		return Ack{bal}, nil // applied already: answer again
	}
	if err := l.append(d.ID, d.Account, d.Amount); err != nil {
		// Maybe on the disk, maybe not: no answer is the true one.
		return Ack{}, fmt.Errorf("%v: %w", err, rpc.ErrBrokenPromise)
	}
	l.mu.Lock()
	l.applied[d.ID]++
	n := l.applied[d.ID]
	l.balances[d.Account] += d.Amount
	bal = l.balances[d.Account]
	l.mu.Unlock()
	if chaos.Buggify(ctx) {
		// A slow answer, after the deposit is applied: a pause, a
		// busy machine. A reply that waits is a reply that a reset or a
		// reboot can lose.
		// The deposit is applied: answer it even if the sleep is cut
		// short by a stop.
		_ = l.p.Time.Sleep(ctx, time.Duration(1+l.p.Random.IntN(3))*time.Second)
	}
	if n > 1 {
		l.log.Warn("a deposit applied again", "id", d.ID, "times", n)
	}
	assertions.AlwaysLessThanOrEqual(ctx, n, 1, "a deposit is applied at most once", "id", d.ID)
	return Ack{bal}, nil
}

// withdraw applies w if the account holds enough. Its callers use
// TryGetReply: a withdrawal is delivered at most once, so it needs no id.
func (l *ledger) withdraw(ctx context.Context, w Withdraw) (Ack, error) {
	if w.Amount <= 0 {
		return Ack{}, fmt.Errorf("a withdrawal of %d: withdraw a positive amount", w.Amount)
	}
	if err := l.persist.Lock(ctx); err != nil {
		return Ack{}, fmt.Errorf("ledger: stopping: %w", rpc.ErrBrokenPromise)
	}
	defer l.persist.Unlock()
	l.mu.Lock()
	bal := l.balances[w.Account]
	l.mu.Unlock()
	if bal < w.Amount {
		return Ack{bal}, ErrInsufficientFunds
	}
	if err := l.append(0, w.Account, -w.Amount); err != nil {
		return Ack{}, fmt.Errorf("%v: %w", err, rpc.ErrBrokenPromise)
	}
	l.mu.Lock()
	l.balances[w.Account] -= w.Amount
	bal = l.balances[w.Account]
	l.mu.Unlock()
	return Ack{bal}, nil
}

func (l *ledger) balance(_ context.Context, b Balance) (Ack, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Ack{l.balances[b.Account]}, nil
}

// The journal is a file of fixed-size records: a deposit's id (zero for a
// withdrawal), the account, the signed amount, and a CRC-32C of the three.
const (
	journalName = "ledger.journal"
	recordSize  = 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// load reads the journal, applying every whole record, and cuts off a torn
// tail: a record written but not synced before a crash.
func (l *ledger) load() error {
	st := l.p.Storage
	f, err := st.OpenFile(journalName, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("ledger: open the journal: %w", err)
	}
	l.journal = f
	var rec [recordSize]byte
	for {
		if _, err := f.ReadAt(rec[:], l.size); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("ledger: read the journal: %w", err)
		}
		if crc32.Checksum(rec[:20], castagnoli) != binary.LittleEndian.Uint32(rec[20:]) {
			break // a torn write at the tail
		}
		id := binary.LittleEndian.Uint64(rec[0:])
		account := int(binary.LittleEndian.Uint32(rec[8:]))
		amount := int64(binary.LittleEndian.Uint64(rec[12:]))
		l.balances[account] += amount
		if id != 0 {
			l.applied[id]++
		}
		l.size += recordSize
	}
	if err := f.Truncate(l.size); err != nil {
		return fmt.Errorf("ledger: cut the journal's torn tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("ledger: sync the journal: %w", err)
	}
	if dir, err := st.Open("."); err == nil {
		defer dir.Close()
		if err := dir.Sync(); err != nil {
			return fmt.Errorf("ledger: sync the directory: %w", err)
		}
	}
	return nil
}

// append writes a record and syncs it: once append returns nil, a crash
// keeps the operation.
func (l *ledger) append(id uint64, account int, amount int64) error {
	var rec [recordSize]byte
	binary.LittleEndian.PutUint64(rec[0:], id)
	binary.LittleEndian.PutUint32(rec[8:], uint32(account))
	binary.LittleEndian.PutUint64(rec[12:], uint64(amount))
	binary.LittleEndian.PutUint32(rec[20:], crc32.Checksum(rec[:20], castagnoli))
	if _, err := l.journal.WriteAt(rec[:], l.size); err != nil {
		return fmt.Errorf("ledger: write the journal: %w", err)
	}
	if err := l.journal.Sync(); err != nil {
		return fmt.Errorf("ledger: sync the journal: %w", err)
	}
	l.size += recordSize
	return nil
}
