package wasmhost

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

const header = "\x00asm\x01\x00\x00\x00"

func TestSections(t *testing.T) {
	var in bytes.Buffer
	in.WriteString(header)
	writeSection(&in, 1, []byte{1, 0x60, 0, 0})
	writeSection(&in, 0, []byte("\x04name"))
	writeSection(&in, 11, nil)
	var got []section
	for s, err := range sections(in.Bytes()) {
		require.NoError(t, err)
		got = append(got, s)
	}
	require.Equal(t, []section{{1, []byte{1, 0x60, 0, 0}}, {0, []byte("\x04name")}, {11, []byte{}}}, got)
}

// A malformed module gives an error that names its fault, after the
// sections before it.
func TestSectionsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		wasm string
		good int // sections before the fault
		want string
	}{
		{"empty", "", 0, `not a WebAssembly module: it does not begin with \0asm and a version`},
		{"not wasm", "\x7fELF\x02\x01\x01\x00", 0, `not a WebAssembly module: it does not begin with \0asm and a version`},
		{"truncated header", "\x00asm\x01", 0, `not a WebAssembly module: it does not begin with \0asm and a version`},
		{"truncated section", header + "\x01\x04\x01\x60\x00\x00" + "\x0b\x09\x01\x00", 1, "section 11 at byte 14 holds 9 bytes, but the module ends 2 bytes after its size: the module is truncated"},
		{"size cut short", header + "\x0b\x80\x80", 0, "section 11 at byte 8: its size: the bytes end inside a LEB128 integer"},
		{"size too long", header + "\x0b\x80\x80\x80\x80\x80\x00", 0, "section 11 at byte 8: its size: a LEB128 integer runs longer than the 5 bytes of a 32-bit one"},
		{"size overflows", header + "\x0b\xff\xff\xff\xff\x1f", 0, "section 11 at byte 8: its size: a LEB128 integer does not fit in 32 bits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := 0
			var fault error
			for _, err := range sections([]byte(tc.wasm)) {
				require.NoError(t, fault, "nothing follows an error")
				if err != nil {
					fault = err
					continue
				}
				good++
			}
			require.EqualError(t, fault, tc.want)
			require.Equal(t, tc.good, good)
		})
	}
}

func TestLEBFaults(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want error
	}{
		{"", errLEBTruncated},
		{"\x80\x80", errLEBTruncated},
		{"\x80\x80\x80\x80\x80\x00", errLEBTooLong},
		{"\xff\xff\xff\xff\x10", errLEBOverflow},
	} {
		_, _, err := uleb([]byte(tc.b))
		require.ErrorIs(t, err, tc.want, "uleb(%q)", tc.b)
		_, _, err = sleb32([]byte(tc.b))
		require.ErrorIs(t, err, tc.want, "sleb32(%q)", tc.b)
	}
	v, _, err := uleb([]byte("\xff\xff\xff\xff\x0f"))
	require.NoError(t, err)
	require.Equal(t, uint32(1<<32-1), v)
	// The unused bits of a signed one's fifth byte repeat its sign.
	_, _, err = sleb32([]byte("\xff\xff\xff\xff\x47"))
	require.ErrorIs(t, err, errLEBOverflow)
	_, _, err = sleb32([]byte("\x80\x80\x80\x80\x38"))
	require.ErrorIs(t, err, errLEBOverflow)
}

// A vector's length beyond the bytes of its section is a fault, and
// allocates nothing for the items it claims.
func TestReadSegmentsHugeCount(t *testing.T) {
	_, err := readSegments([]byte("\xff\xff\xff\xff\x0f\x00"))
	require.EqualError(t, err, "a vector of 4294967295 items is longer than the 1 bytes left")
}

// No run of bytes makes the readers of the binary format panic, and the
// sections of a module lie one after another across it.
func TestBinaryReadersOnAnyBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var in bytes.Buffer
		in.WriteString(header)
		for range rapid.IntRange(0, 6).Draw(t, "sections") {
			id := rapid.SampledFrom([]byte{0, 1, 2, 5, 6, 7, 10, 11, 12}).Draw(t, "id")
			writeSection(&in, id, rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "body"))
		}
		wasm := in.Bytes()
		for range rapid.IntRange(0, 3).Draw(t, "changes") {
			wasm[rapid.IntRange(0, len(wasm)-1).Draw(t, "at")] = rapid.Byte().Draw(t, "byte")
		}
		wasm = wasm[:rapid.IntRange(0, len(wasm)).Draw(t, "length")]

		end := 8
		for s, err := range sections(wasm) {
			if err != nil {
				require.NotEmpty(t, err.Error())
				end = len(wasm)
				break
			}
			require.Equal(t, s.id, wasm[end])
			_, n, _ := uleb(wasm[end+1:])
			end += 1 + n + len(s.body)
		}
		if isModule(wasm) {
			require.Equal(t, len(wasm), end, "the sections cover the module")
		}
		mergeData(wasm)
		dataSpans(wasm)
		exportGlobals(wasm)
		splitData(wasm)
	})
}
