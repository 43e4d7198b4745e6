package simtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/simtest"
)

// Once the chaos phase ends no fault begins: attrition draws no reboot,
// and the network heals before the reboots under way, which can take a
// whole DownFor, are waited for, so that no random partition or clog
// begins in the quiesce.
func TestNoFaultBeginsInTheQuiesce(t *testing.T) {
	cfg := chaos.Defaults()
	cfg.Network.PartitionInterval, cfg.Network.ClogProb = 300*time.Millisecond, 0.05
	cfg.Attrition = chaos.DefaultAttrition()
	cfg.Attrition.Graceful, cfg.Attrition.Crash, cfg.Attrition.PowerLoss, cfg.Attrition.Pause = 0, 1, 0, 0
	cfg.Attrition.Interval = chaos.Range{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}
	cfg.Attrition.DownFor = chaos.Range{Min: 5 * time.Second, Max: 5 * time.Second}
	var inChaos, waited int
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", Count: 3, New: func() simtest.Process { return &pausable{} }})
		// Traffic all along, at every delivery of which a random
		// partition may begin.
		s.Go("pinger", func(ctx context.Context) error {
			p := s.Providers()
			for ; ; p.Time.Sleep(ctx, 10*time.Millisecond) {
				for _, srv := range []string{"srv-0:7", "srv-1:7", "srv-2:7"} {
					if conn, err := p.Network.Dial(ctx, srv); err == nil {
						_, _ = conn.Write([]byte("ping"))
						_, _ = conn.Read(make([]byte, 4))
						conn.Close()
					}
					if ctx.Err() != nil {
						return nil
					}
				}
			}
		})
		c.Run(simtest.Phases{Chaos: 3 * time.Second})
		var quiesce, settle time.Duration
		for _, e := range tl.Snapshot() {
			fault := strings.HasPrefix(e.Msg, "net: random partition") || strings.HasPrefix(e.Msg, "net: clog") ||
				strings.HasPrefix(e.Msg, "reboot:")
			switch {
			case e.Msg == "phase: quiesce":
				quiesce = e.At
			case e.Msg == "phase: settle":
				settle = e.At
			case fault && quiesce > 0 && settle == 0:
				s.Errorf("%v: %s, in the quiesce (from %v)", e.At, e.Msg, quiesce)
			case fault:
				inChaos++
			}
		}
		if settle-quiesce >= time.Second {
			waited++ // a reboot under way was waited for
		}
	}, simtest.Seeds(12), simtest.Chaos(cfg))
	require.True(t, res.OK(), res.Report)
	assert.Positive(t, inChaos, "faults began in the chaos phase")
	assert.Positive(t, waited, "some seeds waited in the quiesce for a reboot under way")
}
