package wasmhost

import "bytes"

// exportGlobals returns a reactor module with its mutable globals
// exported, so that the host can read them into a snapshot and restore
// them (wazero reaches only exported globals), and their export names in
// order. A module that is not a Go reactor (no _initialize and
// moonpool_main), or whose sections it cannot read, gives ok false.
func exportGlobals(wasm []byte) (out []byte, names []string, ok bool) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, nil, false
	}
	type section struct {
		id   byte
		body []byte
	}
	var sections []section
	var imported uint32 // imported globals come first in the index space
	var mutable []uint32
	var exports []byte
	haveInit, haveMain := false, false
	for i := 8; i < len(wasm); {
		id := wasm[i]
		size, n, err := uleb(wasm[i+1:])
		if err != nil || i+1+n+int(size) > len(wasm) {
			return nil, nil, false
		}
		body := wasm[i+1+n : i+1+n+int(size)]
		i += 1 + n + int(size)
		sections = append(sections, section{id, body})
		var good bool
		switch id {
		case 2:
			imported, good = importedGlobals(body)
		case 6:
			mutable, good = mutableGlobals(body)
		case 7:
			exports = body
			haveInit, haveMain, good = hasExports(body)
		default:
			good = true
		}
		if !good {
			return nil, nil, false
		}
	}
	if !haveInit || !haveMain || exports == nil {
		return nil, nil, false
	}
	count, n, _ := uleb(exports)
	add := appendULEB(nil, count+uint32(len(mutable)))
	add = append(add, exports[n:]...)
	for _, g := range mutable {
		name := globalExport(imported + g)
		names = append(names, name)
		add = appendULEB(add, uint32(len(name)))
		add = append(add, name...)
		add = append(add, 3) // a global
		add = appendULEB(add, imported+g)
	}
	var b bytes.Buffer
	b.Write(wasm[:8])
	for _, s := range sections {
		if s.id == 7 {
			writeSection(&b, 7, add)
		} else {
			writeSection(&b, s.id, s.body)
		}
	}
	return b.Bytes(), names, true
}

// reader reads a section's body.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u32() uint32 {
	v, n, err := uleb(r.b)
	if err != nil {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) bytes(n uint32) []byte {
	if uint32(len(r.b)) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) name() string { return string(r.bytes(r.u32())) }

func (r *reader) limits() {
	if r.byte()&1 != 0 {
		r.u32()
		r.u32()
		return
	}
	r.u32()
}

// importedGlobals counts the globals an import section imports.
func importedGlobals(body []byte) (uint32, bool) {
	r := reader{b: body}
	var globals uint32
	for range r.u32() {
		r.name()
		r.name()
		switch r.byte() {
		case 0: // a function
			r.u32()
		case 1: // a table
			r.byte()
			r.limits()
		case 2: // a memory
			r.limits()
		case 3: // a global
			r.byte()
			r.byte()
			globals++
		default:
			return 0, false
		}
		if r.bad {
			return 0, false
		}
	}
	return globals, !r.bad && len(r.b) == 0
}

// mutableGlobals returns the indices, within a global section, of its
// mutable globals.
func mutableGlobals(body []byte) ([]uint32, bool) {
	r := reader{b: body}
	var out []uint32
	for i := range r.u32() {
		r.byte() // the type
		if r.byte() == 1 {
			out = append(out, i)
		}
		if !r.skipConst() {
			return nil, false
		}
	}
	return out, !r.bad && len(r.b) == 0
}

// skipConst skips a constant expression, as Go's linker writes them.
func (r *reader) skipConst() bool {
	for !r.bad {
		switch r.byte() {
		case 0x0b: // end
			return true
		case 0x41: // i32.const
			_, n, err := sleb32(r.b)
			if err != nil {
				return false
			}
			r.b = r.b[n:]
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
			return false
		}
	}
	return false
}

// hasExports reports whether an export section exports the functions a
// reactor's start needs.
func hasExports(body []byte) (init, main, ok bool) {
	r := reader{b: body}
	for range r.u32() {
		name := r.name()
		kind := r.byte()
		r.u32()
		if kind == 0 {
			init = init || name == initExport
			main = main || name == mainExport
		}
	}
	return init, main, !r.bad && len(r.b) == 0
}
