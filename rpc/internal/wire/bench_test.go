package wire_test

import (
	"bytes"
	"testing"

	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

// BenchmarkDecode decodes a stream of 4 KiB frames (header included) from
// memory; bytes per second is the decoder's throughput, checksums included.
func BenchmarkDecode(b *testing.B) {
	const frames = 256
	var stream []byte
	for i := range frames {
		stream = wire.AppendFrame(stream, tok(byte(i)), make([]byte, 4<<10-wire.HeaderSize))
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	r := bytes.NewReader(stream)
	d := wire.NewDecoder(r, 0)
	for b.Loop() {
		r.Reset(stream)
		d = wire.NewDecoder(r, 0)
		for range frames {
			if _, _, err := d.Next(); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = d
}
