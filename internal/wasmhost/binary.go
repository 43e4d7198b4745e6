package wasmhost

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
)

// This file reads and writes the WebAssembly binary format as far as the
// host rewrites modules: a module's sections, and the LEB128 integers in
// which the format writes sizes, counts, indices and constants
// (https://webassembly.github.io/spec/core/binary/).

// The errors of a malformed LEB128 integer.
var (
	errLEBTruncated = errors.New("the bytes end inside a LEB128 integer")
	errLEBTooLong   = errors.New("a LEB128 integer runs longer than the 5 bytes of a 32-bit one")
	errLEBOverflow  = errors.New("a LEB128 integer does not fit in 32 bits")
)

// A section is one section of a module: its id and its body.
type section struct {
	id   byte
	body []byte
}

// isModule reports whether wasm begins with the WebAssembly header: the
// magic bytes and a version.
func isModule(wasm []byte) bool { return len(wasm) >= 8 && string(wasm[:4]) == "\x00asm" }

// sections returns an iterator over a module's sections, in order. At a
// module that does not begin with the WebAssembly header, or a section
// whose size cannot be read or runs past the end of the module, it yields
// an error that names the fault, and stops.
func sections(wasm []byte) iter.Seq2[section, error] {
	return func(yield func(section, error) bool) {
		if !isModule(wasm) {
			yield(section{}, errors.New("not a WebAssembly module: it does not begin with \\0asm and a version"))
			return
		}
		for i := 8; i < len(wasm); {
			id := wasm[i]
			size, n, err := uleb(wasm[i+1:])
			if err != nil {
				yield(section{}, fmt.Errorf("section %d at byte %d: its size: %w", id, i, err))
				return
			}
			start := i + 1 + n
			if int(size) > len(wasm)-start {
				yield(section{}, fmt.Errorf("section %d at byte %d holds %d bytes, but the module ends %d bytes after its size: the module is truncated", id, i, size, len(wasm)-start))
				return
			}
			if !yield(section{id, wasm[start : start+int(size)]}, nil) {
				return
			}
			i = start + int(size)
		}
	}
}

// writeModule returns a module of wasm's header and the sections all, in
// order, each with the body bodies holds for its id, if any, or its own.
func writeModule(wasm []byte, all []section, bodies map[byte][]byte) []byte {
	var out bytes.Buffer
	out.Write(wasm[:8])
	for _, s := range all {
		body, ok := bodies[s.id]
		if !ok {
			body = s.body
		}
		writeSection(&out, s.id, body)
	}
	return out.Bytes()
}

// writeSection appends a section of the given id and body to out.
func writeSection(out *bytes.Buffer, id byte, body []byte) {
	out.WriteByte(id)
	out.Write(appendULEB(nil, uint32(len(body))))
	out.Write(body)
}

// uleb decodes the unsigned LEB128 integer that b begins with, and
// returns it with the number of bytes it takes.
func uleb(b []byte) (uint32, int, error) {
	var v uint32
	for i := range 5 {
		if i == len(b) {
			return 0, 0, errLEBTruncated
		}
		v |= uint32(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			if i == 4 && b[i] > 0x0f {
				return 0, 0, errLEBOverflow
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errLEBTooLong
}

// sleb32 decodes the signed LEB128 integer that b begins with, and
// returns it with the number of bytes it takes.
func sleb32(b []byte) (int32, int, error) {
	var v int64
	for i := range 5 {
		if i == len(b) {
			return 0, 0, errLEBTruncated
		}
		v |= int64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			// The unused bits of a fifth byte repeat the sign bit.
			if high := b[i] & 0x78; i == 4 && high != 0 && high != 0x78 {
				return 0, 0, errLEBOverflow
			}
			if shift := 7 * (i + 1); b[i]&0x40 != 0 {
				v |= -1 << shift
			}
			return int32(v), i + 1, nil
		}
	}
	return 0, 0, errLEBTooLong
}

func appendULEB(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func appendSLEB(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// A reader reads the body of a section. After its first fault its methods
// return zeros, and err tells the fault.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

// done reports whether the body was read to its end without a fault.
func (r *reader) done() bool { return r.err == nil && len(r.b) == 0 }

func (r *reader) u32() uint32 {
	v, n, err := uleb(r.b)
	if err != nil {
		r.fail(err)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) s32() int32 {
	v, n, err := sleb32(r.b)
	if err != nil {
		r.fail(err)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads the length of a vector. Every item takes a byte at least,
// so a length beyond the bytes left is a fault, not a loop to run.
func (r *reader) count() uint32 {
	n := r.u32()
	if uint64(n) > uint64(len(r.b)) {
		r.fail(fmt.Errorf("a vector of %d items is longer than the %d bytes left", n, len(r.b)))
		return 0
	}
	return n
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail(errors.New("the bytes end inside an item"))
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n uint32) []byte {
	if uint32(len(r.b)) < n {
		r.fail(fmt.Errorf("%d bytes are wanted and %d are left", n, len(r.b)))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

// limits skips the limits of a table or memory.
func (r *reader) limits() {
	if r.byte()&1 != 0 {
		r.u32()
		r.u32()
		return
	}
	r.u32()
}

// skipConst skips a constant expression, as Go's linker writes them.
func (r *reader) skipConst() bool {
	for r.err == nil {
		switch c := r.byte(); c {
		case 0x0b: // end
			return true
		case 0x41: // i32.const
			r.s32()
		case 0x42: // i64.const
			n := 0
			for n < len(r.b) && n < 10 && r.b[n] >= 0x80 {
				n++
			}
			r.bytes(uint32(n + 1))
		case 0x43: // f32.const
			r.bytes(4)
		case 0x44: // f64.const
			r.bytes(8)
		case 0x23: // global.get
			r.u32()
		default:
			r.fail(fmt.Errorf("a constant expression holds the instruction %#x, which the host does not read", c))
		}
	}
	return false
}
