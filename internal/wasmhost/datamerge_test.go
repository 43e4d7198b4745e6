package wasmhost

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"pgregory.net/rapid"
)

func TestMergeSegments(t *testing.T) {
	segs := []segment{{off: 8, data: []byte{1, 2}}, {off: 12, data: []byte{3}}, {off: 9000, data: []byte{4}}}
	got := merge(segs)
	require.Equal(t, []segment{{off: 8, data: []byte{1, 2, 0, 0, 3}}, {off: 9000, data: []byte{4}}}, got)
}

func TestMergeDataKeepsOtherSections(t *testing.T) {
	// A module with a data count section, a data section of three
	// segments and a custom section.
	data := writeSegments([]segment{{off: 4, data: []byte("c")}, {off: 1 << 20, data: []byte("d")}, {off: 0, data: []byte("ab")}})
	var in bytes.Buffer
	in.WriteString("\x00asm\x01\x00\x00\x00")
	writeSection(&in, 12, appendULEB(nil, 3))
	writeSection(&in, 11, data)
	writeSection(&in, 0, []byte("\x04name"))
	out, err := mergeDataSections(in.Bytes())
	require.NoError(t, err)

	var want bytes.Buffer
	want.WriteString("\x00asm\x01\x00\x00\x00")
	writeSection(&want, 12, appendULEB(nil, 2))
	writeSection(&want, 11, writeSegments([]segment{{off: 0, data: []byte("ab\x00\x00c")}, {off: 1 << 20, data: []byte("d")}}))
	writeSection(&want, 0, []byte("\x04name"))
	require.Equal(t, want.Bytes(), out)
}

func TestMergeDataLeavesOddModulesAlone(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("\x00asm\x01\x00\x00\x00")
	writeSection(&in, 11, []byte{1, 1, 1, 'x'}) // one passive segment
	require.Equal(t, in.Bytes(), mergeData(in.Bytes()))

	in.Reset()
	in.WriteString("\x00asm\x01\x00\x00\x00")
	writeSection(&in, 11, writeSegments([]segment{{off: 4, data: []byte("cd")}, {off: 5, data: []byte("e")}})) // overlapping
	require.Equal(t, in.Bytes(), mergeData(in.Bytes()))
}

func TestSLEB(t *testing.T) {
	for _, v := range []int32{0, 1, 63, 64, -1, -64, -65, 1 << 20, 1<<31 - 1, -1 << 31} {
		b := appendSLEB(nil, v)
		got, n, err := sleb32(b)
		require.NoError(t, err)
		require.Equal(t, len(b), n)
		require.Equal(t, v, got)
	}
}

// image returns the memory that segs write, as a runtime applies them.
func image(segs []segment) []byte {
	var mem []byte
	for _, s := range segs {
		if end := int(s.off) + len(s.data); end > len(mem) {
			mem = append(mem, make([]byte, end-len(mem))...)
		}
		copy(mem[s.off:], s.data)
	}
	return mem
}

// Merging never changes the memory a module starts with, and leaves no
// two segments closer than the gap it fills.
func TestMergeKeepsTheImage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var segs []segment
		off := uint32(0)
		for range rapid.IntRange(0, 40).Draw(t, "n") {
			off += uint32(rapid.IntRange(0, 3*maxGap).Draw(t, "gap"))
			data := rapid.SliceOfN(rapid.Byte(), 1, 64).Draw(t, "data")
			segs = append(segs, segment{off: off, data: data})
			off += uint32(len(data))
		}
		shuffled := rapid.Permutation(segs).Draw(t, "order")
		var in bytes.Buffer
		in.WriteString("\x00asm\x01\x00\x00\x00")
		writeSection(&in, 11, writeSegments(shuffled))
		out, err := mergeDataSections(in.Bytes())
		require.NoError(t, err)
		got, err := readSegments(dataSection(t, out))
		require.NoError(t, err)
		require.Equal(t, image(segs), image(got))
		for i := 1; i < len(got); i++ {
			require.Greater(t, got[i].off-(got[i-1].off+uint32(len(got[i-1].data))), uint32(maxGap))
		}
	})
}

// dataSection returns the body of a module's data section.
func dataSection(t require.TestingT, wasm []byte) []byte {
	for i := 8; i < len(wasm); {
		size, n, err := uleb(wasm[i+1:])
		require.NoError(t, err)
		body := wasm[i+1+n : i+1+n+int(size)]
		if wasm[i] == 11 {
			return body
		}
		i += 1 + n + int(size)
	}
	return nil
}

func TestDataSpans(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("\x00asm\x01\x00\x00\x00")
	writeSection(&in, 11, writeSegments([]segment{{off: 9000, data: []byte("d")}, {off: 4, data: []byte("abc")}}))
	require.Equal(t, []span{{4, 7}, {9000, 9001}}, dataSpans(in.Bytes()))
	require.Nil(t, dataSpans([]byte("\x00asm\x01\x00\x00\x00")))
}

// A module split from its data segments, with the segments written by
// the host, has the memory the whole module has.
func TestSplitData(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte("\x00asm\x01\x00\x00\x00"))
	writeSection(&b, 5, []byte{1, 0, 1}) // one memory of one page
	want := []segment{{off: 16, data: []byte("moon")}, {off: 9000, data: []byte("pool")}}
	writeSection(&b, 11, writeSegments(want))
	whole := b.Bytes()

	stripped, segs, ok := splitData(whole)
	require.True(t, ok)
	require.Equal(t, want, segs)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	a, err := rt.InstantiateWithConfig(ctx, whole, wazero.NewModuleConfig().WithName("a"))
	require.NoError(t, err)
	s, err := rt.InstantiateWithConfig(ctx, stripped, wazero.NewModuleConfig().WithName("s"))
	require.NoError(t, err)
	empty, _ := s.Memory().Read(0, s.Memory().Size())
	require.Equal(t, make([]byte, len(empty)), empty, "no data segments are left")
	require.NoError(t, writeData(s.Memory(), segs))
	got, _ := s.Memory().Read(0, s.Memory().Size())
	all, _ := a.Memory().Read(0, a.Memory().Size())
	require.Equal(t, all, got)
}
