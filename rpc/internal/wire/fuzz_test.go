package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// FuzzDecode feeds the decoder arbitrary streams, read in chunks of a
// fuzzed size. The decoder must not panic, must not let its buffer grow
// past a header plus the maximum payload, must return only frames whose
// checksum holds, and must end with io.EOF or a typed error. A stream made
// by re-encoding the frames it returned must decode to the same frames.
func FuzzDecode(f *testing.F) {
	f.Add(wire.AppendFrame(nil, tok(1), []byte("hello")), uint8(0))
	f.Add(wire.AppendFrame(wire.AppendFrame(nil, tok(1), nil), tok(2), make([]byte, 300)), uint8(7))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint8(1))
	f.Add(make([]byte, 24), uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		const max = 1 << 12
		var r io.Reader = bytes.NewReader(stream)
		if chunk > 0 {
			r = &chunked{r: r, n: int(chunk)}
		}
		d := wire.NewDecoder(r, max)
		var again []byte
		var frames [][]byte
		for {
			tk, p, err := d.Next()
			if d.BufferSize() > wire.HeaderSize+max && d.BufferSize() > 4<<10 {
				t.Fatalf("the buffer grew to %d, past a header and the maximum payload", d.BufferSize())
			}
			if err != nil {
				var we *wire.Error
				if err != io.EOF && !errors.As(err, &we) {
					t.Fatalf("an error of neither kind: %v", err)
				}
				break
			}
			if len(p) > max {
				t.Fatalf("a payload of %d bytes, more than the maximum", len(p))
			}
			frames = append(frames, bytes.Clone(p))
			again = wire.AppendFrame(again, tk, p)
		}
		if !bytes.HasPrefix(stream, again) {
			t.Fatalf("the frames returned are not the stream's prefix")
		}
		d2 := wire.NewDecoder(bytes.NewReader(again), max)
		for i, want := range frames {
			_, p, err := d2.Next()
			if err != nil || !bytes.Equal(p, want) {
				t.Fatalf("frame %d does not decode again: %v", i, err)
			}
		}
	})
}

// chunked returns at most n bytes a read.
type chunked struct {
	r io.Reader
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}
