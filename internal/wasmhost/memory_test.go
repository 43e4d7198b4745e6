package wasmhost

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestMemoriesStartZeroed runs instances one after another on the same
// memories, each growing its memory in steps and scribbling over it: every
// instance must see its memory zeroed, however much of the reservation
// the ones before it dirtied.
func TestMemoriesStartZeroed(t *testing.T) {
	const page, max = 1 << 16, 64 << 16
	rapid.Check(t, func(t *rapid.T) {
		ms := &memories{keep: uint64(rapid.IntRange(0, max).Draw(t, "keep"))}
		// Data segments within the first memory, which instantiation
		// writes over it.
		first := uint64(rapid.IntRange(1, 16).Draw(t, "first pages")) * page
		for lo := uint64(0); ; {
			lo += uint64(rapid.IntRange(0, 3*page).Draw(t, "gap"))
			hi := lo + uint64(rapid.IntRange(1, 2*page).Draw(t, "segment"))
			if hi > first || rapid.IntRange(0, 3).Draw(t, "more") == 0 {
				break
			}
			ms.data = append(ms.data, span{lo, hi})
			lo = hi
		}
		defer ms.close()
		for range rapid.IntRange(1, 4).Draw(t, "instances") {
			mem := ms.allocate(page, max, 0)
			size := uint64(0)
			for g := range rapid.IntRange(1, 4).Draw(t, "grows") {
				next := size + uint64(rapid.IntRange(0, 16).Draw(t, "pages"))*page
				if g == 0 {
					next = first
				}
				buf := mem.Reallocate(next)
				require.Len(t, buf, int(next))
				if g == 0 {
					for _, d := range ms.data {
						for i := d.lo; i < d.hi; i++ {
							buf[i] = 0x5a // the data segments
						}
					}
				}
				for i := size; i < next; i++ {
					if buf[i] != 0 && !(g == 0 && inSpans(ms.data, i)) {
						t.Fatalf("byte %d of a new instance's memory is %d, not zero", i, buf[i])
					}
				}
				for i := uint64(0); i < next; i += 4093 {
					buf[i] = 0xff
				}
				size = next
			}
			mem.Free()
			if l, ok := mem.(*linear); ok {
				l.end()
			}
		}
	})
}

// TestMemoriesReuse checks that a freed memory is the next one handed out,
// and that one past the maximum fails to grow.
func TestMemoriesReuse(t *testing.T) {
	const max = 4 << 20
	ms := &memories{keep: keepResident}
	defer ms.close()
	a := ms.allocate(0, max, 0)
	buf := a.Reallocate(1 << 20)
	if _, ok := a.(*linear); !ok {
		t.Skip("this system reserves no address space")
	}
	require.Nil(t, a.Reallocate(max+1), "a memory grew past its maximum")
	a.Free()
	a.(*linear).end()
	b := ms.allocate(0, max, 0)
	require.Same(t, &buf[0], &b.Reallocate(1 << 20)[0], "the freed reservation was not reused")
	c := ms.allocate(0, max, 0)
	require.NotSame(t, &buf[0], &c.Reallocate(1 << 20)[0], "two live memories share a reservation")
	b.Free()
	c.Free()
}

// TestSliceMemory is the memory where no address space can be reserved.
func TestSliceMemory(t *testing.T) {
	m := &sliceMemory{}
	buf := m.Reallocate(10)
	buf[9] = 1
	buf = m.Reallocate(20)
	require.Equal(t, byte(1), buf[9])
	require.Len(t, buf, 20)
}

// TestMemoriesOutliveClose closes the module's memories while an instance
// still runs, as closing the runtime does under a program that spins: its
// memory must stay mapped until the instance ends.
func TestMemoriesOutliveClose(t *testing.T) {
	ms := &memories{keep: keepResident}
	mem := ms.allocate(0, 4<<20, 0)
	buf := mem.Reallocate(1 << 20)
	mem.Free() // wazero closes the instance
	ms.close()
	buf[len(buf)-1] = 1 // the instance's code goes on running
	l, ok := mem.(*linear)
	if !ok {
		t.Skip("this system reserves no address space")
	}
	l.end()
	require.Nil(t, l.r, "the reservation was not released when its instance ended")
}

func inSpans(spans []span, i uint64) bool {
	for _, s := range spans {
		if s.lo <= i && i < s.hi {
			return true
		}
	}
	return false
}

// TestClearBut checks clearBut against clearing byte by byte.
func TestClearBut(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const n = 64
		var spans []span
		for lo := uint64(rapid.IntRange(0, n).Draw(t, "start")); lo < n; {
			hi := lo + uint64(rapid.IntRange(1, 8).Draw(t, "len"))
			spans = append(spans, span{lo, min(hi, n)})
			lo = hi + uint64(rapid.IntRange(0, 8).Draw(t, "gap"))
		}
		lo := uint64(rapid.IntRange(0, n).Draw(t, "lo"))
		hi := uint64(rapid.IntRange(int(lo), n).Draw(t, "hi"))
		got, want := make([]byte, n), make([]byte, n)
		for i := range got {
			got[i], want[i] = 1, 1
		}
		clearBut(got, lo, hi, spans)
		for i := lo; i < hi; i++ {
			if !inSpans(spans, i) {
				want[i] = 0
			}
		}
		require.Equal(t, want, got)
	})
}
