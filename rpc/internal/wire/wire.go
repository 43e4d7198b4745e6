// Package wire is the transport's frame format: a 24-byte header, then the
// payload.
//
//	offset  size  field
//	0       4     length of the frame, header included, uint32 little-endian
//	4       4     CRC-32C (Castagnoli) of the token and the payload, little-endian
//	8       16    token: the endpoint the frame is for
//	24      n     payload
//
// The checksum covers the token and the payload; a corrupt length shows as
// a length out of bounds or as a checksum that does not match. A [Decoder]
// reads frames from a stream, bounded by a maximum payload.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// HeaderSize is the size of a frame's header.
const HeaderSize = 24

// DefaultMaxPayload bounds a frame's payload unless the decoder is told
// otherwise.
const DefaultMaxPayload = 1 << 20

// Token is the 16 bytes that name the endpoint a frame is for.
type Token [16]byte

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C of a frame's token and payload.
func Checksum(tok Token, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(tok[:], castagnoli), castagnoli, payload)
}

// AppendFrame appends the frame of payload for tok to dst.
func AppendFrame(dst []byte, tok Token, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(HeaderSize+len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, Checksum(tok, payload))
	dst = append(dst, tok[:]...)
	return append(dst, payload...)
}

// Begin appends a header for tok to dst with its length and checksum left
// blank, so that the payload can be appended in place; [Finish] fills them
// in. It returns dst and the offset at which the frame starts.
func Begin(dst []byte, tok Token) ([]byte, int) {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	return append(dst, tok[:]...), at
}

// Finish completes the frame that [Begin] started at offset at, whose
// payload is everything appended since. It returns an error of type
// [*Error] when the payload is larger than max, and then drops the frame
// from dst.
func Finish(dst []byte, at, max int) ([]byte, error) {
	n := len(dst) - at
	if n-HeaderSize > max {
		return dst[:at], &Error{Kind: TooLarge, Length: uint64(n), Max: max}
	}
	binary.LittleEndian.PutUint32(dst[at:], uint32(n))
	binary.LittleEndian.PutUint32(dst[at+4:], crc32.Checksum(dst[at+8:], castagnoli))
	return dst, nil
}

// Reseal sums the frame f again, whose token or payload was changed in
// place since Finish.
func Reseal(f []byte) {
	binary.LittleEndian.PutUint32(f[4:], crc32.Checksum(f[8:], castagnoli))
}

// ErrorKind says what was wrong with a frame.
type ErrorKind int

// What can be wrong with a frame.
const (
	// TooShort: the length is less than a header.
	TooShort ErrorKind = iota + 1
	// TooLarge: the payload is larger than the maximum.
	TooLarge
	// BadChecksum: the checksum does not match the token and payload.
	BadChecksum
	// Truncated: the stream ended inside a frame.
	Truncated
)

// Error is a frame that the decoder refuses. The connection it came from
// cannot be read further: its framing is lost.
type Error struct {
	Kind   ErrorKind
	Length uint64 // the frame's length field (its declared size, header included)
	Max    int    // the payload bound, for TooLarge
	Got    uint32 // the checksum the frame carried, for BadChecksum
	Want   uint32 // the checksum of what arrived, for BadChecksum
	Read   int    // bytes of the frame read before the end, for Truncated
}

func (e *Error) Error() string {
	switch e.Kind {
	case TooShort:
		return fmt.Sprintf("wire: a frame's length is %d, less than its %d-byte header: the stream is corrupt or not this protocol", e.Length, HeaderSize)
	case TooLarge:
		return fmt.Sprintf("wire: a frame of %d bytes carries a payload of %d, more than the maximum %d; raise the maximum on both ends or send less", e.Length, int(e.Length)-HeaderSize, e.Max)
	case BadChecksum:
		return fmt.Sprintf("wire: a frame of %d bytes has checksum %08x but its token and payload sum to %08x: it was corrupted on the way", e.Length, e.Got, e.Want)
	case Truncated:
		return fmt.Sprintf("wire: the stream ended %d bytes into a frame of %d", e.Read, e.Length)
	}
	return "wire: a bad frame"
}

// ErrBadFrame matches every [*Error] under errors.Is.
var ErrBadFrame = errors.New("wire: bad frame")

// ErrInterrupted, returned by a Decoder's reader (or wrapped in what it
// returns), interrupts a Next without ending the stream: Next returns
// the reader's error, keeps what it has read, and the next call goes on
// from there. Any other error of the reader ends the stream.
var ErrInterrupted = errors.New("wire: the read was interrupted")

// Is makes every *Error match [ErrBadFrame].
func (e *Error) Is(target error) bool { return target == ErrBadFrame }

// initialBuffer is the decoder's buffer before a larger frame grows it.
const initialBuffer = 4 << 10

// Decoder reads frames from a stream. It reads into a buffer of its own,
// ahead by at most that buffer's free space, so several small frames cost
// one read; the buffer starts at 4 KiB and grows only as the bytes of a
// larger frame arrive (doubling, never beyond the frame), so a length
// field that lies costs no more memory than the bytes actually sent, and
// never more than a header plus the maximum payload.
type Decoder struct {
	r    io.Reader
	max  int
	buf  []byte
	head int // start of unconsumed bytes
	tail int // end of buffered bytes
	err  error
	read error // the error of a read made for Next (see Filled)
}

// NewDecoder returns a decoder of the frames of r whose payloads are at
// most max bytes (DefaultMaxPayload when max <= 0).
func NewDecoder(r io.Reader, max int) *Decoder {
	if max <= 0 {
		max = DefaultMaxPayload
	}
	return &Decoder{r: r, max: max}
}

// Next returns the next frame's token and payload. The payload is valid
// until the next call to Next or Free. At the end of the stream between frames,
// Next returns io.EOF; a bad frame gives an [*Error], and the stream's own
// errors come back as they are. After an error, Next returns it again.
func (d *Decoder) Next() (Token, []byte, error) {
	var tok Token
	if d.err != nil {
		return tok, nil, d.err
	}
	// The fills are skipped when the frame is buffered already, as the
	// frames read ahead after the first of a batch are. When nothing is
	// buffered, as after a whole frame, the first read is made here, not
	// in fill: a read may wait, which in a simulation parks the task, and
	// a task that resumes returns through each frame it parked under.
	if err := d.read; err != nil {
		d.read = nil
		if d.tail-d.head < HeaderSize {
			return tok, nil, d.fail(d.readErr(err, 0))
		}
	}
	if d.tail-d.head < HeaderSize {
		if d.head == d.tail && len(d.buf) > 0 {
			m, err := d.r.Read(d.buf)
			d.head, d.tail = 0, m
			if m < HeaderSize && err != nil {
				return tok, nil, d.fail(d.readErr(err, 0))
			}
		}
		if err := d.fill(HeaderSize, 0); err != nil {
			return tok, nil, d.fail(err)
		}
	}
	n := binary.LittleEndian.Uint32(d.buf[d.head:])
	switch {
	case n < HeaderSize:
		return tok, nil, d.fail(&Error{Kind: TooShort, Length: uint64(n)})
	case uint64(n)-HeaderSize > uint64(d.max):
		return tok, nil, d.fail(&Error{Kind: TooLarge, Length: uint64(n), Max: d.max})
	}
	if d.tail-d.head < int(n) {
		if err := d.fill(int(n), n); err != nil {
			return tok, nil, d.fail(err)
		}
	}
	f := d.buf[d.head : d.head+int(n)]
	tok = Token(f[8:HeaderSize])
	if sum, carried := crc32.Update(0, castagnoli, f[8:]), binary.LittleEndian.Uint32(f[4:]); sum != carried {
		return tok, nil, d.fail(&Error{Kind: BadChecksum, Length: uint64(n), Got: carried, Want: sum})
	}
	d.head += int(n)
	return tok, f[HeaderSize:], nil
}

// fail makes err the stream's end, unless it only interrupts the read.
func (d *Decoder) fail(err error) error {
	if !errors.Is(err, ErrInterrupted) {
		d.err = err
	}
	return err
}

// fill makes at least need bytes available from head. length is the frame's
// length field, zero while reading the header, for error reports.
func (d *Decoder) fill(need int, length uint32) error {
	if d.tail-d.head >= need {
		return nil
	}
	// Move what is buffered to the front, and grow the buffer when the
	// frame does not fit: by doubling, capped at the frame's size, so
	// that memory follows what arrives.
	if d.head == d.tail {
		d.head, d.tail = 0, 0 // nothing to move, as after a whole frame
	} else if d.head > 0 {
		d.tail = copy(d.buf, d.buf[d.head:d.tail])
		d.head = 0
	}
	for d.tail < need {
		if d.tail == len(d.buf) {
			size := max(initialBuffer, 2*len(d.buf))
			if size > need && need > initialBuffer {
				size = need
			}
			nb := make([]byte, size)
			copy(nb, d.buf[:d.tail])
			d.buf = nb
		}
		m, err := d.r.Read(d.buf[d.tail:])
		d.tail += m
		if d.tail >= need {
			return nil
		}
		if err != nil {
			return d.readErr(err, length)
		}
	}
	return nil
}

// readErr is what a read's error err means while fewer bytes than needed
// are buffered; length is as for fill.
func (d *Decoder) readErr(err error, length uint32) error {
	if err != io.EOF {
		return err
	}
	if d.tail == 0 {
		return io.EOF
	}
	l := uint64(length)
	if length == 0 {
		l = HeaderSize // the header itself is cut short
	}
	return &Error{Kind: Truncated, Length: l, Read: d.tail}
}

// Free returns the decoder's buffer after what it holds, for a read made
// for Next by its caller (then Filled) when it holds nothing: a read may
// wait, which in a simulation parks the task, and a task that resumes
// returns through each frame it parked under. It is empty until the
// first call of Next. When the decoder holds nothing, the slice is the
// whole buffer, which holds the payload Next returned last: a read into
// it overwrites that payload.
func (d *Decoder) Free() []byte {
	if d.head == d.tail {
		d.head, d.tail = 0, 0
	}
	return d.buf[d.tail:]
}

// Filled records a read into Free's slice, of n bytes and err, for the
// next call of Next, which takes it as a read of its own: the first read
// of a frame, as Next would have made it.
func (d *Decoder) Filled(n int, err error) {
	d.tail += n
	d.read = err
}

// Buffered returns how many bytes the decoder holds beyond the frames it
// has returned.
func (d *Decoder) Buffered() int { return d.tail - d.head }

// BufferSize returns the size of the decoder's buffer, for tests of its
// bound.
func (d *Decoder) BufferSize() int { return len(d.buf) }
