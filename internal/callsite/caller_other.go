//go:build !amd64 && !arm64

package callsite

import "runtime"

// Caller returns the return address of the function that calls it: a
// program counter in that function's caller, just after the call, the
// same value as runtime.Callers(2, pc[:1]) gives there. The function that
// calls Caller must not be inlined (mark it //go:noinline), and must call
// Caller itself: a helper in between would name the helper's call site.
//
// Without frame pointers on this platform, it unwinds the stack with
// runtime.Callers, which steps over the compiler's wrappers.
func Caller() uintptr {
	var pc [1]uintptr
	runtime.Callers(3, pc[:]) // runtime.Callers, Caller, the function that calls it
	return pc[0]
}

// Callers fills pcs with the return address of the function that calls it
// and of the functions above that one, and returns how many it filled.
// The rules of [Caller] apply. runtime.CallersFrames turns them into
// source lines; [First] finds the first that is not a wrapper.
func Callers(pcs []uintptr) int {
	return runtime.Callers(3, pcs)
}
