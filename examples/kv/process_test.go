//simvet:outside runs three real kvnode processes on loopback, outside any simulation
package kv_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/examples/internal/kvhistory"
	"github.com/moonpool-go/moonpool/examples/kv"
	"github.com/moonpool-go/moonpool/internal/testenv"
	"github.com/moonpool-go/moonpool/providers"
)

// TestThreeProcesses runs the kv example in production: three kvnode
// processes on loopback ports, each with a temporary directory, and
// clients over real TCP through providers.Real(). Midway it kills one
// replica with SIGKILL and starts it again on the same directory; at the
// end it reads every key and checks the history with porcupine. The same
// kv.Server and kv.Client as TestKV, and the same model.
func TestThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kvnode and runs three processes")
	}
	bin := filepath.Join(t.TempDir(), "kvnode")
	build := exec.Command("go", "build", "-o", bin, "./kvnode")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./kvnode:\n%s", out)

	const n = 3
	addrs := testenv.LoopbackAddrs(t, n)
	var parts []string
	for i, addr := range addrs {
		parts = append(parts, fmt.Sprintf("kv-%d=%s", i+1, addr))
	}
	cluster := strings.Join(parts, ",")
	dirs := make([]string, n)
	procs := make([]*exec.Cmd, n)
	logs := make([]*testenv.Buffer, n)
	start := func(i int) {
		if dirs[i] == "" {
			dirs[i] = t.TempDir()
			logs[i] = &testenv.Buffer{}
		}
		cmd := exec.Command(bin, "-name", fmt.Sprintf("kv-%d", i+1), "-dir", dirs[i], "-cluster", cluster)
		cmd.Stderr = logs[i]
		require.NoError(t, cmd.Start())
		procs[i] = cmd
		waitListening(t, addrs[i])
	}
	defer func() {
		for i, cmd := range procs {
			if cmd != nil && cmd.ProcessState == nil {
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}
			if t.Failed() {
				t.Logf("kv-%d's log:\n%s", i+1, logs[i].String())
			}
		}
	}()
	for i := range n {
		start(i)
	}

	p := providers.Real()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	const clients, ops, keys = 3, 60, 5
	h := kvhistory.New(time.Now, clients)
	for id := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := kv.NewClient(ctx, p, addrs, kv.ClientOptions{})
			defer c.Close()
			r := rand.New(rand.NewPCG(uint64(id), 7))
			for op := range ops {
				time.Sleep(time.Duration(r.IntN(10)) * time.Millisecond)
				key := "k" + strconv.Itoa(r.IntN(keys))
				if r.IntN(2) == 0 {
					h.Get(id, key, func() (string, bool, error) { return c.Get(ctx, key) })
				} else {
					value := fmt.Sprintf("c%d-%d", id, op)
					h.Put(ctx, id, key, value, func() error { return c.Put(ctx, key, value) },
						func(err error) bool { return errors.Is(err, kv.ErrIndeterminate) })
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	victim := procs[1]
	require.NoError(t, victim.Process.Signal(syscall.SIGKILL))
	err = victim.Wait()
	require.Error(t, err, "kv-2 was killed")
	t.Logf("kv-2 killed with SIGKILL: %v", err)
	time.Sleep(200 * time.Millisecond)
	start(1)
	t.Logf("kv-2 restarted on its directory")
	wg.Wait()

	c := kv.NewClient(ctx, p, addrs, kv.ClientOptions{})
	defer c.Close()
	for k := range keys {
		key := "k" + strconv.Itoa(k)
		for try := 0; try < 20 && !h.Get(clients, key, func() (string, bool, error) { return c.Get(ctx, key) }); try++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("%d operations by %d clients over real TCP", h.Len(), clients)
	require.Greater(t, h.Len(), clients*ops/2, "most operations completed")
	require.NoError(t, h.Check(ctx), "the history is linearizable")
	require.Contains(t, logs[1].String(), "booted", "the restarted replica booted")
	t.Logf("linearizable; kv-2 after its restart: %s", lastLine(logs[1].String()))
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		require.True(t, time.Now().Before(deadline), "nothing listens on %s: %v", addr, err)
		time.Sleep(20 * time.Millisecond)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
