package maporder

import (
	"context"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/providers"
)

type shard struct {
	p        providers.Providers
	prepared map[string][]int
	since    map[string]time.Time
}

// A clock read is where a pause may begin: the entries visited after the
// read that began it read a later time, and the order picks which.
func (s *shard) stamp() {
	for tx, ops := range s.prepared { // want `ranging over a map visits keys in an order no seed replays, and a clock read \(Now, after which a pause may begin\) carries that order out of the loop; read the clock once before the loop and give every entry that time, or range over slices.Sorted\(maps.Keys\(m\)\), or sort what the loop builds`
		s.since[tx] = s.p.Time.Now()
		_ = ops
	}
}

// So is one in a sync.Map's Range.
func StampAll(m *sync.Map, p providers.Providers, since map[any]time.Time) {
	m.Range(func(k, _ any) bool { // want `sync.Map's Range visits entries in an order no seed replays \(its map's\), and a clock read \(Now, after which a pause may begin\) carries that order out of the callback; read the clock once before the Range and give every entry that time, or collect the keys in the callback`
		since[k] = p.Time.Now()
		return true
	})
}

// Read once before the loop, the time is every entry's alike.
func (s *shard) stampOnce() {
	now := s.p.Time.Now()
	for tx := range s.prepared {
		s.since[tx] = now
	}
}

// A call that only reads what the loop does not change answers every
// visit alike, whatever it is given.
func Owners(tasks map[string]providers.Handle, p providers.Providers, owner, host map[string]string) {
	for k, h := range tasks {
		owner[k] = h.Name()
		host[k] = p.Network.Host()
	}
}

// A send of the key's address sends the addresses in the map's order.
func Announce(ctx context.Context, ch *providers.Chan[string], peers map[string]int) {
	for addr := range peers { // want `a send carries that order out of the loop`
		_ = ch.Send(ctx, addr+":7000")
	}
}

// A dial to the entry's address connects in the map's order.
func DialEach(ctx context.Context, p providers.Providers, addrs map[string]string) {
	for _, addr := range addrs { // want `a provider call \(Dial\) carries that order out of the loop`
		_, _ = p.Network.Dial(ctx, addr)
	}
}

// A sleep that no entry sets still parks between two visits: the other
// tasks see the visits' changes in the map's order.
func Pace(ctx context.Context, p providers.Providers, state map[string]int) {
	for k := range state { // want `a provider call \(Sleep\) carries that order out of the loop`
		state[k]++
		_ = p.Time.Sleep(ctx, time.Millisecond)
	}
}

// A draw given nothing of the entry's gives each entry the draw its
// place in the order picks.
func Jitter(p providers.Providers, delay map[string]int) {
	for k := range delay { // want `a provider call \(IntN\) carries that order out of the loop`
		delay[k] = p.Random.IntN(10)
	}
}

// A library logger's Error is a log line, not an error's text.
func LogFailed(lg *providers.LibraryLogger, failed map[string]int) {
	for k := range failed { // want `a log line carries that order out of the loop`
		lg.Error("failed", k)
	}
}
