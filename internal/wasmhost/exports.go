package wasmhost

// exportGlobals returns a reactor module with its mutable globals
// exported, so that the host can read them into a snapshot and restore
// them (wazero reaches only exported globals), and their export names in
// order. A module that is not a Go reactor (no _initialize and
// moonpool_main), or whose sections it cannot read, gives ok false.
func exportGlobals(wasm []byte) (out []byte, names []string, ok bool) {
	var all []section
	var imported uint32 // imported globals come first in the index space
	var mutable []uint32
	var exports []byte
	haveInit, haveMain := false, false
	for s, err := range sections(wasm) {
		if err != nil {
			return nil, nil, false
		}
		all = append(all, s)
		var good bool
		switch s.id {
		case 2:
			imported, good = importedGlobals(s.body)
		case 6:
			mutable, good = mutableGlobals(s.body)
		case 7:
			exports = s.body
			haveInit, haveMain, good = hasExports(s.body)
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
	return writeModule(wasm, all, map[byte][]byte{7: add}), names, true
}

// importedGlobals counts the globals an import section imports.
func importedGlobals(body []byte) (uint32, bool) {
	r := reader{b: body}
	var globals uint32
	for range r.count() {
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
		if r.err != nil {
			return 0, false
		}
	}
	return globals, r.done()
}

// mutableGlobals returns the indices, within a global section, of its
// mutable globals.
func mutableGlobals(body []byte) ([]uint32, bool) {
	r := reader{b: body}
	var out []uint32
	for i := range r.count() {
		r.byte() // the type
		if r.byte() == 1 {
			out = append(out, i)
		}
		if !r.skipConst() {
			return nil, false
		}
	}
	return out, r.done()
}

// hasExports reports whether an export section exports the functions a
// reactor's start needs.
func hasExports(body []byte) (init, main, ok bool) {
	r := reader{b: body}
	for range r.count() {
		name := r.name()
		kind := r.byte()
		r.u32()
		if kind == 0 {
			init = init || name == initExport
			main = main || name == mainExport
		}
	}
	return init, main, r.done()
}
