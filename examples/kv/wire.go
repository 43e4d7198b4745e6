package kv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
)

// A frame is a message on the wire or on the disk: the length of the body
// (4 bytes, big-endian), a CRC-32C of those 4 bytes and the body (4
// bytes), then the body. The checksum covers the length too, so that a
// flipped bit there is caught rather than read as a wrong size; TCP's own
// checksum misses some corruption, and a disk misses more.
const (
	frameHeader = 8
	// maxFrame bounds a body, so that a corrupt length cannot make a
	// reader allocate or wait for gigabytes.
	maxFrame = 16 << 20
	// bigFrame is the most a reader allocates for a body before its bytes
	// arrive, a little more than the largest write's request: a longer
	// body (a dump's, or a corrupt length's) grows as it is read.
	bigFrame = MaxKey + MaxValue + 64
	// readBuffer sizes the buffered readers of connections: requests and
	// replies are small, and a larger frame is read past the buffer.
	readBuffer = 512
)

// The limits on what the store keeps.
const (
	MaxKey   = 256
	MaxValue = 64 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// lengthSum is crc32.Checksum(b[:4], castagnoli), where a frame's checksum
// starts: four bytes taken one at a time through the table cost less than
// a call through package crc32's choice of its fastest code.
func lengthSum(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b[:4] {
		crc = castagnoli[byte(crc)^c] ^ crc>>8
	}
	return ^crc
}

// errCorrupt is the reason a frame is refused: its checksum or its layout
// does not check out.
var errCorrupt = errors.New("kv: corrupt frame")

// appendFrame appends body as a frame to dst.
func appendFrame(dst, body []byte) []byte {
	at := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	crc := crc32.Update(lengthSum(dst[at:at+4]), castagnoli, body)
	dst = binary.BigEndian.AppendUint32(dst, crc)
	return append(dst, body...)
}

// readFrame reads one frame from r and returns its body, in buf if it
// fits.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	h, err := r.Peek(frameHeader)
	if err != nil {
		if err == io.EOF && len(h) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:4])
	want := binary.BigEndian.Uint32(h[4:])
	crc := lengthSum(h[:4])
	if _, err := r.Discard(frameHeader); err != nil {
		return nil, err
	}
	if n > maxFrame {
		return nil, fmt.Errorf("%w: a body of %d bytes, more than %d", errCorrupt, n, maxFrame)
	}
	body := buf[:0]
	if cap(body) < int(n) {
		// With room to spare: the next frame is often a little longer.
		// A length that a flipped bit corrupted may claim megabytes that
		// never come: past bigFrame, the body grows as it arrives.
		body = make([]byte, 0, min(max(int(n), 2*cap(buf), 64), max(bigFrame, cap(buf))))
	}
	for len(body) < int(n) {
		if len(body) == cap(body) {
			body = slices.Grow(body, min(int(n), 2*cap(body))-len(body))
		}
		k, err := io.ReadFull(r, body[len(body):min(int(n), cap(body))])
		body = body[:len(body)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if crc32.Update(crc, castagnoli, body) != want {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	return body, nil
}

// nextFrame parses the frame at the head of b and returns its body and
// what follows it.
func nextFrame(b []byte) (body, rest []byte, err error) {
	if len(b) < frameHeader {
		return nil, nil, fmt.Errorf("%w: %d bytes, shorter than a header", errCorrupt, len(b))
	}
	n := binary.BigEndian.Uint32(b[:4])
	if uint64(n) > uint64(len(b)-frameHeader) {
		return nil, nil, fmt.Errorf("%w: a body of %d bytes in %d", errCorrupt, n, len(b)-frameHeader)
	}
	body = b[frameHeader : frameHeader+n]
	crc := crc32.Update(lengthSum(b[:4]), castagnoli, body)
	if crc != binary.BigEndian.Uint32(b[4:frameHeader]) {
		return nil, nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	return body, b[frameHeader+n:], nil
}

// Tag orders the versions of a key: the logical time of the write, then
// the writer's random id, which breaks ties between concurrent writers.
// Replicas keep, for each key, the value of the greatest tag they saw.
type Tag struct {
	Time uint64
	ID   uint64
}

// Less reports whether t orders before u.
func (t Tag) Less(u Tag) bool {
	return t.Time < u.Time || t.Time == u.Time && t.ID < u.ID
}

func (t Tag) String() string { return fmt.Sprintf("%d.%016x", t.Time, t.ID) }

// entry is the version of a key that a replica holds.
type entry struct {
	Key   string
	Tag   Tag
	Value string
}

// The operations of the protocol.
const (
	opQuery byte = 1 + iota // key → the replica's tag and value for it
	opStore                 // key, tag, value → stored when newer, then acknowledged
	opDump                  // → every entry, for a replica that recovers
)

// The statuses of a reply.
const (
	statusOK         byte = iota
	statusRecovering      // the replica is copying its state from its peers: ask another
	statusFailed          // the replica could not make the write durable
	statusBadRequest      // the request did not parse
)

// request is a message to a replica.
type request struct {
	Op    byte
	ID    uint64 // echoed in the reply
	Entry entry  // Key for a query; all of it for a store
}

// reply is a replica's answer.
type reply struct {
	Op      byte
	ID      uint64
	Status  byte
	Found   bool    // query: the replica holds the key
	Entry   entry   // query: what it holds, but the key, which the asker knows
	Entries []entry // dump
}

func (q *request) appendTo(b []byte) []byte {
	b = append(b, q.Op)
	b = binary.AppendUvarint(b, q.ID)
	switch q.Op {
	case opQuery:
		b = appendString(b, q.Entry.Key)
	case opStore:
		b = appendEntry(b, q.Entry)
	}
	return b
}

func (q *request) decode(b []byte) error { return q.decodeWith(b, nil, nil) }

// decodeWith is decode, taking the keys and values it reads from keys and
// values when they are set.
func (q *request) decodeWith(b []byte, keys, values *interner) error {
	d := decoder{b: b, keys: keys, values: values}
	q.Op = d.byte()
	q.ID = d.uvarint()
	switch q.Op {
	case opQuery:
		q.Entry.Key = d.string(MaxKey, d.keys)
	case opStore:
		q.Entry = d.entry()
	case opDump:
	default:
		return fmt.Errorf("%w: unknown operation %d", errCorrupt, q.Op)
	}
	return d.done()
}

func (r *reply) appendTo(b []byte) []byte {
	b = append(b, r.Op)
	b = binary.AppendUvarint(b, r.ID)
	b = append(b, r.Status)
	if r.Status != statusOK {
		return b
	}
	switch r.Op {
	case opQuery:
		if !r.Found {
			return append(b, 0)
		}
		b = append(b, 1)
		b = appendVersion(b, r.Entry)
	case opDump:
		b = binary.AppendUvarint(b, uint64(len(r.Entries)))
		for _, e := range r.Entries {
			b = appendEntry(b, e)
		}
	}
	return b
}

func (r *reply) decode(b []byte) error { return r.decodeWith(b, nil, nil) }

// decodeWith is decode, taking the keys and values it reads from keys and
// values when they are set.
func (r *reply) decodeWith(b []byte, keys, values *interner) error {
	d := decoder{b: b, keys: keys, values: values}
	r.Op = d.byte()
	r.ID = d.uvarint()
	r.Status = d.byte()
	if r.Status == statusOK {
		switch r.Op {
		case opQuery:
			r.Found = d.byte() == 1
			if r.Found {
				r.Entry = d.version()
			}
		case opDump:
			n := d.uvarint()
			if n > uint64(len(b)) { // each entry takes at least a byte
				return fmt.Errorf("%w: %d entries in %d bytes", errCorrupt, n, len(b))
			}
			r.Entries = make([]entry, 0, n)
			for range n {
				r.Entries = append(r.Entries, d.entry())
			}
		}
	}
	return d.done()
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendEntry(b []byte, e entry) []byte {
	return appendVersion(appendString(b, e.Key), e)
}

// appendVersion appends e without its key.
func appendVersion(b []byte, e entry) []byte {
	b = binary.AppendUvarint(b, e.Tag.Time)
	b = binary.BigEndian.AppendUint64(b, e.Tag.ID)
	return appendString(b, e.Value)
}

// decoder reads the fields of a body, remembering the first error.
type decoder struct {
	b   []byte
	err error
	// When set, the keys and the values come from these.
	keys, values *interner
}

// An interner hands out the strings a connection reads, so that a key or
// a value read again and again is allocated once: the keys of a replica's
// requests, the values of a client's replies. It keeps one string in each
// of its slots, the last one read whose bytes hash to that slot: a look-up
// compares one string, not all of them.
type interner struct {
	s [32]string
}

func (in *interner) intern(b []byte) string {
	h := uint64(len(b))
	for _, c := range b {
		h = h*31 + uint64(c)
	}
	// The top bits of a multiplicative hash: keys that differ in their
	// last byte alone ("k1", "k2") fall in different slots.
	s := &in.s[h*0x9e3779b97f4a7c15>>(64-5)]
	if *s != string(b) {
		*s = string(b)
	}
	return *s
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("byte")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	// Most are one byte (an ID's first 127, a key's or a value's length):
	// read those without binary.Uvarint's loop.
	if len(d.b) > 0 && d.b[0] < 0x80 {
		v := d.b[0]
		d.b = d.b[1:]
		return uint64(v)
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("uint64")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) string(limit int, in *interner) string {
	b := d.bytes(limit)
	if in != nil {
		return in.intern(b)
	}
	return string(b)
}

// bytes reads a string's bytes, which stay the body's.
func (d *decoder) bytes(limit int) []byte {
	n := d.uvarint()
	if n > uint64(limit) || n > uint64(len(d.b)) {
		d.fail("string length")
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) entry() entry {
	key := d.string(MaxKey, d.keys)
	e := d.version()
	e.Key = key
	return e
}

// version reads an entry without its key.
func (d *decoder) version() entry {
	var e entry
	e.Tag.Time = d.uvarint()
	e.Tag.ID = d.uint64()
	e.Value = d.string(MaxValue, d.values)
	return e
}

// done reports the first error, or trailing bytes.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) > 0 {
		return fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return d.err
}
