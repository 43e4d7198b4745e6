#include "textflag.h"

// func Caller() uintptr
// With no frame of its own, BP is still the frame pointer of the calling
// function, and the word above it that function's return address.
TEXT ·Caller(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ 8(BP), AX
	MOVQ AX, ret+0(FP)
	RET

// func framePointer() unsafe.Pointer
TEXT ·framePointer(SB), NOSPLIT|NOFRAME, $0-8
	MOVQ BP, ret+0(FP)
	RET
