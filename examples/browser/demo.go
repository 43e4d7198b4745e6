package browser

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// Mode is how rough a seed's world is.
type Mode string

// The modes; see the package comment.
const (
	Calm   Mode = "calm"
	Stormy Mode = "stormy"
	Buggy  Mode = "buggy"
)

// Preset is a seed the page offers.
type Preset struct {
	Name string `json:"name"`
	Mode Mode   `json:"mode"`
	Seed uint64 `json:"seed,string"`
}

// Presets returns the page's ready-made seeds: one calm, one stormy that
// passes, and one buggy that fails.
func Presets() []Preset {
	return []Preset{
		{"calm", Calm, 1},
		{"stormy", Stormy, 7},
		{"failing", Buggy, 3},
	}
}

// Outcome is what one seed did.
// Its JSON form is what the page reads; the seed is a string there, since
// JavaScript would round it.
type Outcome struct {
	Mode Mode   `json:"mode"`
	Seed uint64 `json:"seed,string"`
	// History is one line per request, in the order the requests ended,
	// stamped with simulated time, and the check's verdict last.
	History []string `json:"history"`
	OK      bool     `json:"ok"`
	// Report is the failure report, when the seed failed.
	Report string `json:"report,omitempty"`
	// Doc is the seed's timeline, as the page draws it.
	Doc *timelinehtml.Doc `json:"doc"`
}

// Run runs one seed of mode.
func Run(mode Mode, seed uint64) (Outcome, error) {
	c, err := config(mode)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Mode: mode, Seed: seed}
	res := simtest.Simulate(func(s *simtest.S) { out.History = runSeed(s, mode) },
		simtest.Replay(seed), simtest.Chaos(c),
		simtest.TimelineDoc(func(d *timelinehtml.Doc) { out.Doc = d }))
	out.OK = res.OK()
	if !out.OK {
		out.Report = res.Report
	}
	if out.Doc != nil {
		out.Doc.Title = fmt.Sprintf("%s seed %d", mode, seed)
		out.Doc.Replay = fmt.Sprintf("go run ./examples/browser/serve -run %s/%d", mode, seed)
	}
	return out, nil
}

// config is the chaos of a mode: storage faults are off in every mode,
// since the server's log has no checksums; reboots are crashes and power
// losses of the server, so that unsynced writes are lost.
func config(mode Mode) (chaos.Config, error) {
	switch mode {
	case Calm:
		return chaos.Off(), nil
	case Stormy, Buggy:
		c := chaos.Defaults()
		c.Storage = chaos.NoStorageFaults()
		c.Buggify = chaos.BuggifyConfig{}
		c.Attrition.Graceful, c.Attrition.Crash, c.Attrition.PowerLoss = 1, 2, 1
		c.Attrition.Interval = chaos.Range{Min: 2 * time.Second, Max: 6 * time.Second}
		c.Attrition.DownFor = chaos.Range{Min: 500 * time.Millisecond, Max: 3 * time.Second}
		return c, nil
	}
	return chaos.Config{}, fmt.Errorf("browser: no mode %q; use calm, stormy or buggy", mode)
}

// ParseRun reads a mode and a seed written "mode/seed", as the page's
// replay line and the serve command's -run flag write them.
func ParseRun(s string) (Mode, uint64, error) {
	m, n, ok := strings.Cut(s, "/")
	var seed uint64
	if _, err := fmt.Sscan(n, &seed); !ok || err != nil {
		return "", 0, fmt.Errorf("browser: %q is not mode/seed; write it as stormy/7", s)
	}
	if _, err := config(Mode(m)); err != nil {
		return "", 0, err
	}
	return Mode(m), seed, nil
}

const (
	port      = 7070
	clients   = 3
	perClient = 8
)

// runSeed is a seed's body: it boots the server, runs the clients under
// chaos, checks, and returns the history.
func runSeed(s *simtest.S, mode Mode) []string {
	c := s.Boot(simtest.Processes{Name: "server", Count: 1, New: func() simtest.Process {
		return &server{lazy: mode == Buggy}
	}})
	w := &workload{log: s.Logger()}
	c.Run(simtest.Phases{Chaos: 20 * time.Second, Settle: time.Second}, w)
	return w.history
}

// Requests and answers. An id is a client's number and its request's.
type (
	addReq struct{ ID uint64 }
	addAck struct{ Dup bool }
	hasReq struct{ IDs []uint64 }
	hasAns struct{ Missing []uint64 }
)

// The server's endpoints, at well-known tokens.
func addEP(addr string) rpc.Endpoint[addReq, addAck] {
	return rpc.At[addReq, addAck](addr, rpc.WellKnown(1))
}
func hasEP(addr string) rpc.Endpoint[hasReq, hasAns] {
	return rpc.At[hasReq, hasAns](addr, rpc.WellKnown(2))
}

// server applies requests, each id once, keeping the ids in a log of
// 8-byte records on its disk. lazy is the planted bug: it answers before
// the record is synced.
type server struct {
	lazy bool
}

func (sv *server) Run(ctx context.Context, p providers.Providers) error {
	applied := map[uint64]bool{}
	f, err := p.Storage.OpenFile("ids", os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	for len(data) >= 8 { // a torn last record is dropped
		applied[binary.LittleEndian.Uint64(data)] = true
		data = data[8:]
	}
	end := int64(len(applied) * 8)
	p.Logger.Info("server up", "ids", len(applied))
	mu := providers.NewMutex(p.Task)
	tr, err := rpc.NewTransport(ctx, p, rpc.Config{Listen: fmt.Sprintf(":%d", port)})
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := rpc.Serve(tr, rpc.WellKnown(1), func(ctx context.Context, r addReq) (addAck, error) {
		if err := mu.Lock(ctx); err != nil {
			return addAck{}, err
		}
		defer mu.Unlock()
		if applied[r.ID] {
			return addAck{Dup: true}, nil
		}
		var rec [8]byte
		binary.LittleEndian.PutUint64(rec[:], r.ID)
		if _, err := f.WriteAt(rec[:], end); err != nil {
			return addAck{}, err
		}
		if !sv.lazy {
			if err := f.Sync(); err != nil {
				return addAck{}, err
			}
		}
		end += 8
		applied[r.ID] = true
		return addAck{}, nil
	}); err != nil {
		return err
	}
	if _, err := rpc.Serve(tr, rpc.WellKnown(2), func(ctx context.Context, r hasReq) (hasAns, error) {
		var a hasAns
		for _, id := range r.IDs {
			if !applied[id] {
				a.Missing = append(a.Missing, id)
			}
		}
		return a, nil
	}); err != nil {
		return err
	}
	return providers.Wait(ctx, p.Task)
}

// workload is the clients and the check.
type workload struct {
	log     *slog.Logger
	addr    string
	start   time.Time // history lines are stamped with the time since
	acked   []uint64
	history []string
}

func (w *workload) Name() string { return "requests" }

func (w *workload) Setup(ctx context.Context, p providers.Providers) error {
	w.addr = fmt.Sprintf("%s:%d", p.Cluster.Peers()[0].Host, port)
	w.start = p.Time.Now()
	return nil
}

func (w *workload) Run(ctx context.Context, p providers.Providers) error {
	wg := providers.NewWaitGroup(p.Task)
	for c := range clients {
		wg.Go(ctx, fmt.Sprintf("client %d", c), func(ctx context.Context) error {
			tr, err := rpc.NewTransport(ctx, p, rpc.Config{})
			if err != nil {
				return err
			}
			defer tr.Close()
			for n := range perClient {
				if err := p.Time.Sleep(ctx, time.Duration(p.Random.Int64N(int64(2*time.Second)))); err != nil {
					return err
				}
				id := uint64(c*100 + n)
				rctx, cancel := p.Time.WithTimeout(ctx, 3*time.Second)
				ack, err := addEP(w.addr).GetReply(rctx, tr, addReq{ID: id})
				cancel()
				outcome := "ok"
				switch {
				case err == nil && ack.Dup:
					outcome = "ok (applied before)"
				case err == nil:
				case errors.Is(err, context.DeadlineExceeded), errors.Is(err, rpc.ErrMaybeDelivered):
					outcome = "unknown: timed out"
				default:
					outcome = "failed: " + err.Error()
				}
				if err == nil {
					w.acked = append(w.acked, id)
				}
				w.note(p, err == nil, fmt.Sprintf("client %d  request #%d -> %s", c, id, outcome))
			}
			return nil
		})
	}
	return wg.Wait(ctx)
}

// note adds a line to the history, and to the timeline: at level WARN
// when it is not good news, so that the page draws it so.
func (w *workload) note(p providers.Providers, good bool, line string) {
	w.history = append(w.history, fmt.Sprintf("%14v  %s", p.Time.Now().Sub(w.start), line))
	level := slog.LevelInfo
	if !good {
		level = slog.LevelWarn
	}
	w.log.Log(context.Background(), level, line)
}

// Check asks the server, once it has settled, for every acknowledged id.
func (w *workload) Check(ctx context.Context, p providers.Providers) error {
	tr, err := rpc.NewTransport(ctx, p, rpc.Config{})
	if err != nil {
		return err
	}
	defer tr.Close()
	ids := slices.Sorted(slices.Values(w.acked))
	var ans hasAns
	for try := 0; ; try++ {
		rctx, cancel := p.Time.WithTimeout(ctx, 5*time.Second)
		ans, err = hasEP(w.addr).GetReply(rctx, tr, hasReq{IDs: ids})
		cancel()
		if err == nil {
			break
		}
		if try == 5 {
			return fmt.Errorf("check: the server does not answer: %w", err)
		}
	}
	if len(ans.Missing) > 0 {
		w.note(p, false, fmt.Sprintf("check: %d acknowledged requests lost: %v", len(ans.Missing), ans.Missing))
		return fmt.Errorf("the server lost %d acknowledged requests: %v", len(ans.Missing), ans.Missing)
	}
	w.note(p, true, fmt.Sprintf("check: all %d acknowledged requests kept", len(ids)))
	return nil
}
