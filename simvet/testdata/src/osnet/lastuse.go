package osnet

import (
	"context"
	"net"

	"github.com/moonpool-go/moonpool/providers"
)

// The fix rewrites the file's last use of net and drops the import.
func Connect(ctx context.Context, p providers.Providers, addr string) error {
	c, err := net.Dial("tcp", addr) // want `net.Dial uses the real network`
	if err != nil {
		return err
	}
	return c.Close()
}
