//go:build amd64 || arm64

package callsite

import "unsafe"

// Caller returns the return address of the function that calls it: a
// program counter in that function's caller, just after the call, the
// same value as runtime.Callers(2, pc[:1]) gives there. The function that
// calls Caller must not be inlined (mark it //go:noinline), and must call
// Caller itself: a helper in between would name the helper's call site.
//
// Unlike runtime.Callers, Caller does not step over the wrappers that the
// compiler makes for method values (f := m.Lock) and instantiated generic
// function values (f := Knob[int]): called through one, it names the
// wrapper. [Callers] gives the frames above, and [First] steps over a
// method value's.
//
// It reads the frame pointer of its caller (caller_$GOARCH.s): the word
// above the saved frame pointer is the return address, on amd64 and on
// arm64 alike, as the runtime's own frame-pointer unwinder reads it.
func Caller() uintptr

// framePointer returns the frame pointer of the function that calls it.
func framePointer() unsafe.Pointer

// Callers fills pcs with the return address of the function that calls it
// and of the functions above that one, one per frame of the machine's
// stack (a function inlined into another has none of its own, and the
// compiler's wrappers have theirs), and returns how many it filled. The
// rules of [Caller] apply. runtime.CallersFrames turns them into source
// lines, inlined calls included; [First] finds the first that is not a
// wrapper.
//
//go:noinline
func Callers(pcs []uintptr) int {
	// The frame pointer of Callers itself: the word it points at is the
	// frame pointer of the function that called Callers.
	fp := framePointer()
	n := 0
	for ; n < len(pcs); n++ {
		fp = *(*unsafe.Pointer)(fp)
		if fp == nil {
			break
		}
		pcs[n] = *(*uintptr)(unsafe.Add(fp, unsafe.Sizeof(fp)))
	}
	return n
}
