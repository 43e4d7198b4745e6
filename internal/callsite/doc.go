// Package callsite finds, cheaply, where a function was called from: the
// return address in its caller. chaos.Buggify keys a buggify site by it,
// and providers.Mutex keeps it for a deadlock report; both run on every
// call, so the cost of runtime.Callers (an unwind of the stack through
// its tables, 200-300 ns) was a part of every simulation's profile. Where
// Go keeps frame pointers (amd64, arm64), Caller reads the address from
// the caller's frame in a few nanoseconds; elsewhere it is runtime.Callers.
//
// The function that calls [Caller] or [Callers] must not be inlined, and
// must call Caller directly: through a function value (f :=
// callsite.Caller) the call goes by the wrapper the compiler makes for an
// assembly function, whose frame makes Caller name the calling function
// itself.
package callsite
