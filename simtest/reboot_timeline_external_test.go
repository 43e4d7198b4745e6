package simtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/providers"
	"github.com/moonpool-go/moonpool/simtest"
	"github.com/moonpool-go/moonpool/simtest/timelinehtml"
)

// socketHolder is a process that holds a listener and a file until it is
// stopped, and a datagram socket that it leaves for its host to close.
type socketHolder struct{}

func (socketHolder) Run(ctx context.Context, p providers.Providers) error {
	l, err := p.Network.Listen(ctx, ":7")
	if err != nil {
		return err
	}
	defer l.Close()
	if _, err := p.Network.ListenPacket(ctx, ":9"); err != nil {
		return err
	}
	f, err := p.Storage.Create("data")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("x")); err != nil {
		return err
	}
	p.Task.Go(ctx, "accept", func(ctx context.Context) error {
		for {
			if _, err := l.Accept(); err != nil {
				return nil
			}
		}
	})
	return providers.Wait(ctx, p.Task)
}

// The timeline's lines about a process that goes down, its host's sockets
// and its disk, say how it went down: a graceful stop is no crash, and a
// kill is no crash either.
func TestTheTimelineTellsHowAProcessWentDown(t *testing.T) {
	for _, tc := range []struct {
		how       simtest.Reboot
		says      string // what the host's lines say
		disk      string // what the disk's line says
		notSaying string
		fault     bool // whether the picture draws the host's lines as faults
	}{
		{simtest.Graceful, "host srv-0 stopped gracefully: ", "disk srv-0: stop: ", "crash", false},
		{simtest.Kill, "host srv-0 killed: ", "disk srv-0: kill: ", "crash", true},
		{simtest.Crash, "host srv-0 crashed: ", "disk srv-0: crash: ", "gracefully", true},
		{simtest.Wipe, "host srv-0 crashed: ", "disk srv-0: wipe: ", "gracefully", true},
	} {
		t.Run(tc.how.String(), func(t *testing.T) {
			var lines []string
			var doc *timelinehtml.Doc
			res := simtest.Simulate(func(s *simtest.S) {
				tl := s.Timeline()
				c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return socketHolder{} }})
				s.Sleep(time.Second)
				conn, err := s.Providers().Network.Dial(s.Context(), "srv-0:7")
				require.NoError(s, err)
				defer conn.Close()
				var opts []simtest.RebootOption
				if tc.how == simtest.Graceful {
					opts = append(opts, simtest.Grace(time.Second))
				}
				m := tl.Mark()
				c.Reboot("srv-0", tc.how, append(opts, simtest.DownFor(time.Second))...)
				s.Sleep(time.Second)
				c.Stop("srv-0", tc.how, opts...)
				for _, e := range tl.Since(m) {
					lines = append(lines, e.Msg)
				}
			}, simtest.Chaos(chaos.Off()), simtest.Seeds(1), simtest.TimelineDoc(func(d *timelinehtml.Doc) { doc = d }))
			require.True(t, res.OK(), res.Report)
			var host, disk []string
			for _, l := range lines {
				switch {
				case strings.HasPrefix(l, "net: host srv-0 "):
					host = append(host, l)
				case strings.HasPrefix(l, "disk srv-0: "):
					disk = append(disk, l)
				}
			}
			joined := strings.Join(lines, "\n")
			// Two times down (the Reboot, then the Stop): a line for the
			// host's connections and listeners and one for its datagram
			// socket each time, and one for the disk.
			require.Len(t, host, 4, joined)
			for _, l := range host {
				assert.Contains(t, l, tc.says)
				assert.NotContains(t, l, tc.notSaying)
			}
			assert.Contains(t, host[0], "1 connection closed")
			assert.Contains(t, host[1], "1 datagram socket closed")
			require.Len(t, disk, 2, joined)
			for _, l := range disk {
				assert.Contains(t, l, tc.disk)
			}
			require.NotNil(t, doc)
			drawn := 0
			for _, e := range doc.Events {
				if strings.HasPrefix(e.Msg, "net: host srv-0 ") {
					drawn++
					assert.Equal(t, tc.fault, e.Kind == timelinehtml.KindFault, "%s: %s", e.Kind, e.Msg)
				}
			}
			assert.Equal(t, 4, drawn)
		})
	}
}
