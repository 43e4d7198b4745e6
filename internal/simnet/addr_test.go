package simnet

import (
	"fmt"
	"net"
	"testing"

	"pgregory.net/rapid"
)

// appendAddr writes what String writes, for every kind of address a
// simulated connection has and for any other net.Addr.
func TestAppendAddrIsString(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		port := rapid.IntRange(0, 65535).Draw(t, "port")
		var a net.Addr
		switch rapid.IntRange(0, 4).Draw(t, "kind") {
		case 0:
			a = &Addr{Host: rapid.StringMatching(`[a-z0-9._-]{1,20}`).Draw(t, "name"), Port: port}
		case 1:
			ip := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "ipv4")
			a = &net.TCPAddr{IP: net.IP(ip), Port: port}
		case 2:
			ip := rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "ipv6")
			a = &net.TCPAddr{IP: net.IP(ip), Port: port, Zone: rapid.SampledFrom([]string{"", "eth0"}).Draw(t, "zone")}
		case 3:
			a = &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: port} // 16 bytes, an IPv4 in IPv6
		case 4:
			a = &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: port}
		}
		prefix := rapid.StringMatching(`[a-z>-]{0,4}`).Draw(t, "prefix")
		if got, want := string(appendAddr([]byte(prefix), a)), prefix+a.String(); got != want {
			t.Fatalf("appendAddr(%q, %#v) = %q, want %q", prefix, a, got, want)
		}
	})
}

// A connection's name is made once, and is its two addresses.
func TestConnNameIsMadeOnce(t *testing.T) {
	c := &conn{laddr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1).To4(), Port: 49152}, raddr: &Addr{Host: "db-1", Port: 7070}}
	if got := c.String(); got != "10.0.0.1:49152->db-1:7070" {
		t.Fatalf("String() = %q", got)
	}
	if n := testing.AllocsPerRun(10, func() { _ = c.String() }); n != 0 {
		t.Fatalf("String allocated %v times once made", n)
	}
}

type name string

func (s name) String() string { return string(s) }

// partialText words a partial read or write as the network's events did
// with fmt.
func TestPartialTextIsFmts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k, full := rapid.IntRange(0, 1<<20).Draw(t, "k"), rapid.IntRange(0, 1<<20).Draw(t, "full")
		c := name(rapid.String().Draw(t, "conn"))
		for _, what := range []string{"read", "write"} {
			want := "net: " + fmt.Sprintf("partial "+what+" of %d of %d bytes on %s", k, full, c)
			if got := partialText("net: partial "+what+" of ", k, full, c); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	})
}
