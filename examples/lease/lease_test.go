package lease_test

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/examples/lease"
	"github.com/moonpool-go/moonpool/simtest"
)

var planted = flag.Bool("planted", false, "run the store without fencing tokens")

// pauses is chaos whose only fault is a process paused for 200ms to 5s
// (chaos.DefaultAttrition's PauseFor), every 1 to 5 s.
func pauses() chaos.Config {
	cfg := chaos.Off()
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss = 0, 0, 0
	cfg.Attrition.Pause = 1
	return cfg
}

// TestLease runs a lock server, a store and two clients for 30 s while
// attrition pauses the clients, and checks after every step that the
// store applies the clients' writes in the order of their leases.
func TestLease(t *testing.T) {
	simtest.Run(t, func(s *simtest.S) {
		c := s.Boot(
			simtest.Processes{Name: "lock", Protected: true, New: func() simtest.Process {
				return &lease.LockServer{Lease: time.Second}
			}},
			simtest.Processes{Name: "store", Protected: true, New: func() simtest.Process {
				return &lease.Store{Fenced: !*planted}
			}},
			simtest.Processes{Name: "client", Count: 2, New: func() simtest.Process {
				return &lease.Client{
					Lock: "lock-0:" + lease.Port, Store: "store-0:" + lease.Port,
					Lease: time.Second, Margin: 100 * time.Millisecond,
				}
			}},
		)
		var order inOrder
		s.Invariant("the store applies writes in the order of their leases", func() error {
			return order.check(simtest.InstanceOf[*lease.Store](c, "store-0").Applied)
		})
		c.Run(simtest.Phases{Chaos: 30 * time.Second})
	}, simtest.Chaos(pauses()), simtest.KeepFailures(!*planted))
}

// inOrder checks, as the store applies them, that it applies no write of
// a lease older than one whose write it applied before.
type inOrder struct {
	checked int // writes checked
	last    lease.Write
}

func (o *inOrder) check(applied []lease.Write) error {
	for ; o.checked < len(applied); o.checked++ {
		w := applied[o.checked]
		if w.Token < o.last.Token {
			return fmt.Errorf("the store applied %s's write %d of lease %d after %s's write %d of lease %d: a paused holder wrote after its lease ran out",
				w.Client, w.N, w.Token, o.last.Client, o.last.N, o.last.Token)
		}
		o.last = w
	}
	return nil
}
