#include "textflag.h"

// func curG() goroutine
TEXT ·curG(SB), NOSPLIT, $0-8
	MOVD g, ret+0(FP)
	RET
