package osnet

import (
	"context"
	"io/ioutil"
	"net"
	. "os"
	"path/filepath"
)

func DotImport() ([]byte, error) {
	return ReadFile("state") // want `os.ReadFile reaches the real operating system`
}

func Ioutil() error {
	return ioutil.WriteFile("state", nil, 0o644) // want `io/ioutil.WriteFile reaches the real operating system`
}

func Walk() ([]string, error) {
	return filepath.Glob("*.wal") // want `path/filepath.Glob reaches the real operating system`
}

func Resolve(ctx context.Context) {
	_, _ = net.DefaultResolver.LookupHost(ctx, "db") // want `net.DefaultResolver uses the real network` `net.Resolver.LookupHost uses`
	_, _ = net.ResolveTCPAddr("tcp", "db:80")        // want `net.ResolveTCPAddr uses the real network`
	var r net.Resolver
	_, _ = r.LookupHost(ctx, "db") // want `net.Resolver.LookupHost uses the real network`
}

type dialer struct{ net.Dialer }

func Embedded(ctx context.Context) {
	var d dialer
	_, _ = d.DialContext(ctx, "tcp", "db:80") // want `net.Dialer.DialContext uses the real network`
	dial := d.DialContext                     // want `net.Dialer.DialContext uses the real network`
	_, _ = dial(ctx, "tcp", "db:80")
}

// Paths are fine: filepath's pure functions touch nothing.
func Paths() string {
	return filepath.Join(filepath.Dir("a/b"), filepath.Base("c"))
}
