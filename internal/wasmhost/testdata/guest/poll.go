package main

import (
	"encoding/binary"
	"math"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 poll_oneoff
func pollOneoff(in, out unsafe.Pointer, nsubs uint32, nevents unsafe.Pointer) uint32

// pollForever waits once on the monotonic clock for the longest timeout
// WASI can say, 2^64-1 nanoseconds, and returns the call's errno.
func pollForever() uint32 {
	var sub [48]byte // userdata, tag 0 (clock), clock id, timeout, precision, flags
	binary.LittleEndian.PutUint32(sub[16:], 1)
	binary.LittleEndian.PutUint64(sub[24:], math.MaxUint64)
	var event [32]byte
	var n uint32
	return pollOneoff(unsafe.Pointer(&sub), unsafe.Pointer(&event), 1, unsafe.Pointer(&n))
}
