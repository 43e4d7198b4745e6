package rpc_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/chaos"
	"github.com/moonpool-go/moonpool/rpc"
	"github.com/moonpool-go/moonpool/simtest"
)

// The transport's buggify drops a connection now and then, on purpose:
// the report counts each drop among the faults its seeds saw, in the
// summary and in the JSON report, so that a Run whose only faults were
// the transport's own does not read as one that saw none.
func TestBuggifyDropsAreCountedAmongTheFaults(t *testing.T) {
	cfg := chaos.Off()
	cfg.Buggify = chaos.BuggifyConfig{Enabled: true, ActivationProb: 1, FireProb: 0.25}
	path := filepath.Join(t.TempDir(), "report.json")
	drops := 0
	res := simtest.Simulate(func(s *simtest.S) {
		tl := s.Timeline()
		c := s.Boot(simtest.Processes{Name: "srv", New: func() simtest.Process { return simtest.ProcessFunc(serverProcess) }})
		client, err := rpc.NewTransport(s.Context(), s.HostProviders("10.0.0.9"), rpc.Config{})
		require.NoError(s, err)
		ep := rpc.At[echoReq, echoResp](c.Peers()[0].Host+":4500", rpc.WellKnown(1))
		for i := range 20 {
			_, err := ep.GetReply(within(s, 10*time.Second), client, echoReq{i})
			require.NoError(s, err, "a dropped connection is dialled again, and GetReply sends again")
			s.Sleep(3 * time.Second)
		}
		for _, e := range tl.Snapshot() {
			if e.Name == "buggify fired" && strings.Contains(e.Task, "rpc ping ") {
				drops++
			}
		}
	}, simtest.Chaos(cfg), simtest.Seeds(3), simtest.BaseSeed(1), simtest.JSONReport(path))
	require.True(t, res.OK(), res.Report)
	require.NotZero(t, drops, "the transport's buggify dropped connections")

	assert.Contains(t, res.Report, fmt.Sprintf("\n    faults seen: 0 reboots, %d of the network (%d connections dropped by rpc's buggify), 0 of the disks", drops, drops))
	var report struct {
		Faults struct {
			Network int            `json:"network"`
			Kinds   map[string]int `json:"kinds"`
		} `json:"faults"`
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &report))
	assert.Equal(t, drops, report.Faults.Kinds["rpc drop"], string(data))
	assert.Equal(t, drops, report.Faults.Network)
}
