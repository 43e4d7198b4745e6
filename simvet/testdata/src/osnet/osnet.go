package osnet

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"

	"github.com/moonpool-go/moonpool/providers"
)

func Files() {
	f, _ := os.Create("x") // want `os.Create reaches the real operating system, which the simulation neither sees nor faults; use p.Storage`
	_ = f
	_ = os.WriteFile("x", nil, 0o644) // want `os.WriteFile reaches`
	_, _ = os.ReadFile("x")           // want `os.ReadFile reaches`
	_ = os.Remove("x")                // want `os.Remove reaches`
	_ = exec.Command("ls")            // want `os/exec.Command starts a real process`
	os.Exit(1)                        // want `os.Exit reaches.*return from Run`
}

func Net(ctx context.Context, p providers.Providers) {
	c, _ := net.Dial("tcp", "a:1") // want `net.Dial uses the real network; use p.Network.Dial\(ctx, addr\)`
	_ = c
	l, _ := net.Listen("tcp", ":1") // want `net.Listen uses the real network; use p.Network.Listen\(ctx, addr\)`
	_ = l
	u, _ := net.Dial("udp", "a:1") // want `net.Dial uses`
	_ = u
	pc, _ := net.ListenPacket("udp", ":1") // want `net.ListenPacket uses the real network; use p.Network.ListenPacket\(ctx, addr\)`
	_ = pc
	var d net.Dialer
	_, _ = d.DialContext(ctx, "tcp", "a:1") // want `net.Dialer.DialContext uses the real network`
	_, _ = http.Get("http://a/")            // want `http.Get uses the real network`
	_ = http.DefaultClient                  // want `http.DefaultClient uses`
	_ = http.ListenAndServe(":80", nil)     // want `http.ListenAndServe listens on the real network`
	s := &http.Server{}
	_ = s.ListenAndServe() // want `http.Server.ListenAndServe listens on the real network`
}

// The providers, and os's pure functions, are fine.
func Fine(ctx context.Context, p providers.Providers) error {
	_ = os.Getenv("HOME")
	_ = os.IsNotExist(nil)
	_ = http.StatusOK
	c, err := p.Network.Dial(ctx, "a:1")
	if err != nil {
		return err
	}
	return c.Close()
}
