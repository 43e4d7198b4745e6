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
		defer ms.close()
		for range rapid.IntRange(1, 4).Draw(t, "instances") {
			mem := ms.Allocate(page, max)
			size := uint64(0)
			for range rapid.IntRange(1, 4).Draw(t, "grows") {
				next := size + uint64(rapid.IntRange(0, 16).Draw(t, "pages"))*page
				buf := mem.Reallocate(next)
				require.Len(t, buf, int(next))
				for i := size; i < next; i++ {
					if buf[i] != 0 {
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
	a := ms.Allocate(0, max)
	buf := a.Reallocate(1 << 20)
	if _, ok := a.(*linear); !ok {
		t.Skip("this system reserves no address space")
	}
	require.Nil(t, a.Reallocate(max+1), "a memory grew past its maximum")
	a.Free()
	a.(*linear).end()
	b := ms.Allocate(0, max)
	require.Same(t, &buf[0], &b.Reallocate(1 << 20)[0], "the freed reservation was not reused")
	c := ms.Allocate(0, max)
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
	mem := ms.Allocate(0, 4<<20)
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
