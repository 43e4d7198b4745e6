// Package slips makes one mistake per rule: docs/simvet.md quotes what
// simvet says about it (testdata/slips.golden).
package slips

import (
	"context"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/moonpool-go/moonpool/assertions"
	"github.com/moonpool-go/moonpool/providers"
)

var served int // a package-level counter

type Server struct {
	p     providers.Providers
	mu    sync.Mutex
	peers map[string]string
}

func (s *Server) Run(ctx context.Context) error {
	go func() { // a raw goroutine
		s.flush()
	}()
	done := make(chan struct{})
	<-done
	start := time.Now()
	_ = start
	if rand.IntN(10) == 0 {
		return os.WriteFile("state", nil, 0o644)
	}
	for name, addr := range s.peers { // task names built from map order
		s.p.Task.Go(ctx, "link-"+name, func(ctx context.Context) error {
			_, err := s.p.Network.Dial(ctx, addr)
			return err
		})
	}
	served++
	return nil
}

func (s *Server) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
}

// Peers returns the peers' names in map order.
func (s *Server) Peers() []string {
	var names []string
	for name := range s.peers {
		names = append(names, name)
	}
	assertions.Always(context.Background(), len(names) == len(s.peers), "every peer is named") // no ctx at hand
	return names
}
