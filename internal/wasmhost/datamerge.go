package wasmhost

import (
	"cmp"
	"errors"
	"slices"

	"github.com/tetratelabs/wazero/api"
)

// mergeData rewrites a module's data section so that its active segments
// that lie close together become one, the gaps between them zeros. Go's
// linker writes a program's initialized data as up to 100,000 small
// segments, and a runtime copies each one at every instantiation; merged,
// the same bytes land in memory at a fraction of the cost, so a process
// starts several times faster. Memory starts zeroed, so the zeros change
// nothing. A module whose data section holds anything else (passive
// segments, other offset expressions) is returned as it is.
func mergeData(wasm []byte) []byte {
	out, err := mergeDataSections(wasm)
	if err != nil {
		return wasm
	}
	return out
}

// maxGap is the largest run of zeros merged into a segment.
const maxGap = 4096

type segment struct {
	off  uint32
	data []byte
}

var errUnsupported = errors.New("unsupported module layout")

func mergeDataSections(wasm []byte) ([]byte, error) {
	// The data count section comes before the data section it counts.
	var all []section
	var data []segment
	for s, err := range sections(wasm) {
		if err != nil {
			return nil, err
		}
		if s.id == 11 {
			if data, err = readSegments(s.body); err != nil {
				return nil, err
			}
			data = merge(data)
		}
		all = append(all, s)
	}
	return writeModule(wasm, all, map[byte][]byte{
		11: writeSegments(data),
		12: appendULEB(nil, uint32(len(data))), // the data count
	}), nil
}

func readSegments(b []byte) ([]segment, error) {
	r := reader{b: b}
	count := r.count()
	if r.err != nil {
		return nil, r.err
	}
	segs := make([]segment, 0, count)
	for range count {
		if r.u32() != 0 || r.byte() != 0x41 { // active, memory 0, i32.const
			return nil, errUnsupported
		}
		off := r.s32()
		if r.byte() != 0x0b || off < 0 {
			return nil, errUnsupported
		}
		data := r.bytes(r.u32())
		if r.err != nil {
			return nil, errUnsupported
		}
		segs = append(segs, segment{off: uint32(off), data: data})
	}
	if !r.done() {
		return nil, errUnsupported
	}
	// Segments that do not overlap may be applied in any order.
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.off, b.off) })
	for i := 1; i < len(segs); i++ {
		if uint64(segs[i].off) < uint64(segs[i-1].off)+uint64(len(segs[i-1].data)) {
			return nil, errUnsupported // overlapping
		}
	}
	return segs, nil
}

func merge(segs []segment) []segment {
	var out []segment
	for _, s := range segs {
		if k := len(out) - 1; k >= 0 {
			last := &out[k]
			end := last.off + uint32(len(last.data))
			if s.off-end <= maxGap {
				last.data = append(last.data, make([]byte, s.off-end)...)
				last.data = append(last.data, s.data...)
				continue
			}
		}
		out = append(out, segment{off: s.off, data: append([]byte(nil), s.data...)})
	}
	return out
}

func writeSegments(segs []segment) []byte {
	b := appendULEB(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSLEB(b, int32(s.off))
		b = append(b, 0x0b)
		b = appendULEB(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// dataSpans returns where a module's active data segments lie in memory,
// in order: instantiation writes every byte of them. A module whose data
// segments it cannot read gives none.
func dataSpans(wasm []byte) []span {
	for s, err := range sections(wasm) {
		if err != nil {
			return nil
		}
		if s.id == 11 {
			segs, err := readSegments(s.body)
			if err != nil {
				return nil
			}
			spans := make([]span, 0, len(segs))
			for _, s := range segs {
				spans = append(spans, span{uint64(s.off), uint64(s.off) + uint64(len(s.data))})
			}
			return spans
		}
	}
	return nil
}

// splitData returns a module without its active data segments, and the
// segments, in order, for the host to write into an instance's memory
// itself: an instance started from a snapshot has them in the snapshot
// already, and instantiation would copy them for nothing. A module whose
// data section holds anything else is not split (ok false).
func splitData(wasm []byte) (stripped []byte, segs []segment, ok bool) {
	var all []section
	for s, err := range sections(wasm) {
		if err != nil {
			return nil, nil, false
		}
		if s.id == 11 {
			if segs, err = readSegments(s.body); err != nil {
				return nil, nil, false
			}
		}
		all = append(all, s)
	}
	none := appendULEB(nil, 0) // no segments, and a data count of 0
	return writeModule(wasm, all, map[byte][]byte{11: none, 12: none}), segs, true
}

// writeData writes the segments into mem, as instantiation would have.
func writeData(mem api.Memory, segs []segment) error {
	for _, s := range segs {
		if !mem.Write(s.off, s.data) {
			return errors.New("wasmhost: a data segment lies outside the program's memory")
		}
	}
	return nil
}
