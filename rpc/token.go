package rpc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/moonpool-go/moonpool/providers"
)

// Token names an endpoint within a transport: 16 bytes, carried in every
// frame's header. A [WellKnown] token is fixed by the program, so a peer
// can reach it knowing only the address, and it stays the same across
// restarts; a dynamic token ([NewToken]) is drawn at random and names one
// endpoint of one incarnation of a process.
type Token [16]byte

// The first 8 bytes of well-known tokens, and of the transport's own.
const (
	wellKnownHi = 0xFFFF_FFFF_FFFF_FFFF
	systemHi    = 0xFFFF_FFFF_FFFF_FFFE
)

// WellKnown returns the well-known token number n. Well-known tokens name
// the endpoints a program serves at fixed places, so that a client needs
// only the server's address: rpc.Serve(tr, rpc.WellKnown(1), handler).
func WellKnown(n uint64) Token {
	var t Token
	binary.BigEndian.PutUint64(t[:8], wellKnownHi)
	binary.BigEndian.PutUint64(t[8:], n)
	return t
}

// NewToken draws a dynamic token from r: in a simulation, from the seed's
// stream, so the same seed draws the same tokens.
func NewToken(r providers.Random) Token {
	if r == nil {
		panic("rpc: NewToken with a nil Random; pass the Random of your Providers (p.Random)")
	}
	for {
		hi := r.Uint64()
		if hi >= systemHi {
			continue // the well-known and the transport's own
		}
		var t Token
		binary.BigEndian.PutUint64(t[:8], hi)
		binary.BigEndian.PutUint64(t[8:], r.Uint64())
		return t
	}
}

// Index returns the i-th token of an interface whose base token is t: t
// with i added to its last 8 bytes. An interface (a server's set of
// endpoints) travels as one address and one base token, as in
// FlowTransport, and each side derives the endpoints by index. A
// well-known base n with k endpoints takes WellKnown(n) to
// WellKnown(n+k-1); leave the room between bases.
func (t Token) Index(i uint64) Token {
	binary.BigEndian.PutUint64(t[8:], t.lo()+i)
	return t
}

func (t Token) hi() uint64 { return binary.BigEndian.Uint64(t[:8]) }
func (t Token) lo() uint64 { return binary.BigEndian.Uint64(t[8:]) }

// IsWellKnown reports whether t was made by [WellKnown].
func (t Token) IsWellKnown() bool { return t.hi() == wellKnownHi }

// IsZero reports whether t is the zero token, which names no endpoint.
func (t Token) IsZero() bool { return t == Token{} }

func (t Token) isSystem() bool { return t.hi() == systemHi }

// String gives a well-known token as "wellknown/N" and others in hex.
func (t Token) String() string {
	if t.IsWellKnown() {
		return fmt.Sprintf("wellknown/%d", t.lo())
	}
	return hex.EncodeToString(t[:])
}

// The transport's own tokens.
var (
	tokHello    = systemToken(1) // the first frame each way on a connection
	tokPing     = systemToken(2)
	tokPong     = systemToken(3)
	tokNotFound = systemToken(4) // payload: the token not found, the reply token
)

func systemToken(n uint64) Token {
	var t Token
	binary.BigEndian.PutUint64(t[:8], systemHi)
	binary.BigEndian.PutUint64(t[8:], n)
	return t
}
