package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/moonpool-go/moonpool/rpc/internal/wire"
)

func tok(b byte) wire.Token {
	var t wire.Token
	for i := range t {
		t[i] = b + byte(i)
	}
	return t
}

func TestHeaderLayout(t *testing.T) {
	f := wire.AppendFrame(nil, tok(1), []byte("hello"))
	require.Len(t, f, wire.HeaderSize+5)
	assert.Equal(t, uint32(29), binary.LittleEndian.Uint32(f[0:4]), "the length counts the header")
	assert.Equal(t, wire.Checksum(tok(1), []byte("hello")), binary.LittleEndian.Uint32(f[4:8]))
	assert.Equal(t, tok(1), wire.Token(f[8:24]))
	assert.Equal(t, "hello", string(f[24:]))

	g, at := wire.Begin([]byte("x"), tok(1))
	g = append(g, "hello"...)
	g, err := wire.Finish(g, at, 100)
	require.NoError(t, err)
	assert.Equal(t, f, g[1:], "Begin and Finish make what AppendFrame makes")
}

func TestFinishTooLarge(t *testing.T) {
	g, at := wire.Begin([]byte("x"), tok(1))
	g = append(g, make([]byte, 11)...)
	g, err := wire.Finish(g, at, 10)
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, wire.TooLarge, we.Kind)
	assert.Equal(t, []byte("x"), g, "the frame is dropped")
}

func TestDecodeStream(t *testing.T) {
	var stream []byte
	var want [][]byte
	for i := range 50 {
		p := bytes.Repeat([]byte{byte(i)}, i*331)
		want = append(want, p)
		stream = wire.AppendFrame(stream, tok(byte(i)), p)
	}
	for name, r := range map[string]io.Reader{
		"whole":   bytes.NewReader(stream),
		"onebyte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":    iotest.HalfReader(bytes.NewReader(stream)),
		"dataeof": iotest.DataErrReader(bytes.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			d := wire.NewDecoder(r, 0)
			for i, p := range want {
				tk, got, err := d.Next()
				require.NoError(t, err)
				assert.Equal(t, tok(byte(i)), tk)
				assert.Equal(t, p, got)
			}
			_, _, err := d.Next()
			assert.Equal(t, io.EOF, err)
		})
	}
}

func decodeErr(t *testing.T, stream []byte, max int) *wire.Error {
	t.Helper()
	d := wire.NewDecoder(bytes.NewReader(stream), max)
	_, _, err := d.Next()
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	assert.ErrorIs(t, err, wire.ErrBadFrame)
	_, _, again := d.Next()
	assert.Equal(t, err, again, "a decoder stays failed")
	return we
}

func TestDecodeCorrupt(t *testing.T) {
	f := wire.AppendFrame(nil, tok(7), []byte("payload"))
	for i := 4; i < len(f); i++ { // every byte the checksum covers, and the checksum
		c := bytes.Clone(f)
		c[i] ^= 0x10
		we := decodeErr(t, c, 0)
		assert.Equal(t, wire.BadChecksum, we.Kind, "byte %d flipped", i)
		assert.Contains(t, we.Error(), "corrupted")
	}
}

func TestDecodeBadLength(t *testing.T) {
	f := wire.AppendFrame(nil, tok(7), []byte("payload"))
	short := bytes.Clone(f)
	binary.LittleEndian.PutUint32(short, 23)
	assert.Equal(t, wire.TooShort, decodeErr(t, short, 0).Kind)

	big := bytes.Clone(f)
	binary.LittleEndian.PutUint32(big, wire.HeaderSize+11)
	we := decodeErr(t, big, 10)
	assert.Equal(t, wire.TooLarge, we.Kind)
	assert.Contains(t, we.Error(), "more than the maximum 10")

	huge := bytes.Clone(f)
	binary.LittleEndian.PutUint32(huge, 0xffffffff)
	assert.Equal(t, wire.TooLarge, decodeErr(t, huge, 0).Kind)
}

func TestDecodeTruncated(t *testing.T) {
	f := wire.AppendFrame(nil, tok(7), []byte("payload"))
	for cut := 1; cut < len(f); cut++ {
		we := decodeErr(t, f[:cut], 0)
		assert.Equal(t, wire.Truncated, we.Kind, "cut at %d", cut)
		assert.Equal(t, cut, we.Read)
	}
}

func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("boom")
	d := wire.NewDecoder(iotest.ErrReader(boom), 0)
	_, _, err := d.Next()
	assert.Equal(t, boom, err, "the stream's own error comes back as it is")
}

// lyingReader sends a header that announces the maximum payload, then
// some bytes, then ends.
func TestDecodeLyingLengthAllocatesWhatArrives(t *testing.T) {
	h := make([]byte, wire.HeaderSize)
	binary.LittleEndian.PutUint32(h, wire.HeaderSize+wire.DefaultMaxPayload)
	stream := append(h, make([]byte, 10000)...)
	d := wire.NewDecoder(bytes.NewReader(stream), 0)
	_, _, err := d.Next()
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, wire.Truncated, we.Kind)
	assert.LessOrEqual(t, d.BufferSize(), 2*len(stream), "the buffer follows the bytes that arrived, not the length claimed")
}

// interrupting returns ErrInterrupted from every other Read, and a byte
// at a time from the rest.
type interrupting struct {
	r    io.Reader
	next bool
}

func (r *interrupting) Read(p []byte) (int, error) {
	r.next = !r.next
	if r.next {
		return 0, fmt.Errorf("the caller gave up: %w", wire.ErrInterrupted)
	}
	return r.r.Read(p[:1])
}

// A read interrupted in the middle of a frame loses nothing: the next
// Next goes on where the last stopped.
func TestDecodeInterrupted(t *testing.T) {
	stream := append(wire.AppendFrame(nil, tok(1), []byte("first")), wire.AppendFrame(nil, tok(2), []byte("second"))...)
	d := wire.NewDecoder(&interrupting{r: bytes.NewReader(stream)}, 0)
	var got []string
	interrupts := 0
	for {
		tk, p, err := d.Next()
		if errors.Is(err, wire.ErrInterrupted) {
			interrupts++
			continue
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("%d %s", tk[0], p))
	}
	assert.Equal(t, []string{"1 first", "2 second"}, got)
	assert.Equal(t, len(stream)+1, interrupts, "one per byte, and one before the end")
}

// countingReader counts the reads made of r.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// decodeAll runs d to the end of its stream and returns what each Next
// gave. With byCaller set, the caller makes the first read of each frame
// itself, into Free, whenever the decoder holds nothing, as the
// transport's readers do.
func decodeAll(d *wire.Decoder, r io.Reader, byCaller bool) []string {
	var got []string
	for len(got) < 100 {
		if b := d.Free(); byCaller && d.Buffered() == 0 && len(b) > 0 {
			n, err := r.Read(b)
			d.Filled(n, err)
		}
		tk, p, err := d.Next()
		switch {
		case errors.Is(err, wire.ErrInterrupted):
			got = append(got, "interrupted")
			continue
		case err != nil:
			return append(got, err.Error())
		}
		got = append(got, fmt.Sprintf("%d %q", tk[0], p))
	}
	return got
}

// A read made for Next by its caller (Free, then Filled) is taken as
// Next's own: the same frames and errors, from the same reads, whatever
// the reader does.
func TestDecodeReadByCaller(t *testing.T) {
	var stream []byte
	for i := range 6 {
		stream = wire.AppendFrame(stream, tok(byte(i)), bytes.Repeat([]byte{'a' + byte(i)}, i*1500))
	}
	readers := map[string]func() io.Reader{
		"whole":            func() io.Reader { return bytes.NewReader(stream) },
		"a byte at a time": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"data with EOF":    func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) },
		"half a stream":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
		"interrupted":      func() io.Reader { return &interrupting{r: bytes.NewReader(stream[:200])} },
		"truncated":        func() io.Reader { return bytes.NewReader(stream[:len(stream)-3]) },
		"in the header":    func() io.Reader { return bytes.NewReader(stream[:wire.HeaderSize+10+wire.HeaderSize/2]) },
		"an error": func() io.Reader {
			return io.MultiReader(bytes.NewReader(stream[:40]), iotest.ErrReader(errors.New("boom")))
		},
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			own := &countingReader{r: mk()}
			want := decodeAll(wire.NewDecoder(own, 0), own, false)
			caller := &countingReader{r: mk()}
			got := decodeAll(wire.NewDecoder(caller, 0), caller, true)
			assert.Equal(t, want, got)
			assert.Equal(t, own.reads, caller.reads, "the same reads")
		})
	}
}
