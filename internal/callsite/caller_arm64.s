#include "textflag.h"

// func Caller() uintptr
// With no frame of its own, R29 is still the frame pointer of the calling
// function, and the word above it that function's return address.
TEXT ·Caller(SB), NOSPLIT|NOFRAME, $0-8
	MOVD 8(R29), R0
	MOVD R0, ret+0(FP)
	RET

// func framePointer() unsafe.Pointer
TEXT ·framePointer(SB), NOSPLIT|NOFRAME, $0-8
	MOVD R29, ret+0(FP)
	RET
