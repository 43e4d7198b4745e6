//go:build wasip1 && moonpool

package simctx

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// A program built for a simulation (GOOS=wasip1, tag moonpool) runs inside
// one whatever its contexts carry: its assertions and buggify sites go to
// the host, which hands them to the run's book as for native code.
func guest() Sim { return guestSim{} }

//go:wasmimport moonpool assert
func hostAssert(buf unsafe.Pointer, n uint32, _, _, _ uint32) uint32

//go:wasmimport moonpool buggify
func hostBuggify(site unsafe.Pointer, n uint32, fire int32) uint32

//go:wasmimport moonpool crash_point
func hostCrashPoint(site unsafe.Pointer, n uint32, fire int32) uint32

type guestSim struct{}

//go:wasmimport moonpool seed
func hostSeed(p unsafe.Pointer) uint32

func (guestSim) Seed() uint64 {
	var s uint64
	hostSeed(unsafe.Pointer(&s))
	return s
}

func (guestSim) Buggify(pc uintptr, fire float64) bool {
	name := guestSite(pc)
	p := int32(-1)
	if fire >= 0 {
		p = int32(fire * 1e6)
	}
	return hostBuggify(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), p) == 0
}

// CrashAt asks the host to crash the program's process at the crash
// point at pc, when it fires (chaos.CrashPoint).
func (guestSim) CrashAt(pc uintptr, fire float64) {
	name := guestSite(pc)
	hostCrashPoint(unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), int32(fire*1e6))
}

// guestSite names a guest's site by its file and line.
func guestSite(pc uintptr) string {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return f.File[strings.LastIndexByte(f.File, '/')+1:] + ":" + strconv.Itoa(f.Line)
}

func (guestSim) Asserter() Asserter { return guestAsserter{} }

type guestAsserter struct{}

// wire is an Assertion as the host decodes it.
type wire struct {
	Kind     AssertKind
	Msg      string
	OK       bool
	Left     float64
	Right    float64
	Duration bool
	Conds    []Condition
	Args     []any
	LeftNaN  bool `json:",omitempty"`
	RightNaN bool `json:",omitempty"`
	Where    *Where
}

func (guestAsserter) Assert(a Assertion) {
	w := wire{Kind: a.Kind, Msg: a.Msg, OK: a.OK, Left: a.Left, Right: a.Right, Duration: a.Duration, Conds: a.Conds, Where: caller()}
	if math.IsNaN(w.Left) {
		w.Left, w.LeftNaN = 0, true
	}
	if math.IsNaN(w.Right) {
		w.Right, w.RightNaN = 0, true
	}
	for _, v := range a.Args {
		switch v.(type) {
		case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32:
		case float64:
			if math.IsNaN(v.(float64)) || math.IsInf(v.(float64), 0) {
				v = fmt.Sprint(v)
			}
		default:
			v = fmt.Sprint(v)
		}
		w.Args = append(w.Args, v)
	}
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	hostAssert(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b)), 0, 0, 0)
}

// caller returns the place of the assertion call: the first frame outside
// package assertions and this package.
func caller() *Where {
	var pcs [16]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/moonpool-go/moonpool/assertions.") &&
			!strings.HasPrefix(f.Function, "github.com/moonpool-go/moonpool/internal/simctx.") {
			return &Where{File: f.File, Line: f.Line, Func: f.Function}
		}
		if !more {
			return nil
		}
	}
}
