package wasmhost

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/moonpool-go/moonpool/internal/simctx"
)

// moonpoolFuncs are the functions of the moonpool host module, what the
// guest-side overlays import: sockets, signals, assertions, buggify and
// memory-mapped files.
var moonpoolFuncs = map[string]hostFunc{
	"sock_listen":        fn(sockListen, i32, i32, i32),
	"sock_dial":          fn(sockDial, i32, i32, i64, i32),
	"sock_dial_result":   fn(sockDialResult, i32),
	"sock_addr":          fn(sockAddr, i32, i32, i32, i32, i32),
	"sock_udp":           fn(sockUDP, i32, i32, i32, i32, i32),
	"sock_recv_from":     fn(sockRecvFrom, i32, i32, i32, i32, i32, i32, i32),
	"sock_send_to":       fn(sockSendTo, i32, i32, i32, i32, i32, i32),
	"sock_set_linger":    fn(sockSetLinger, i32, i32),
	"sock_set_keepalive": fn(sockSetKeepAlive, i32, i32, i64),
	"signal_fd":          fn(signalFD, i32),
	"signal_default":     fn(signalDefault, i32),
	"signal_ignore":      fn(signalIgnore, i32, i32),
	"lookup":             fn(lookup, i32, i32, i32, i32, i32),
	"hostname":           fn(hostname, i32, i32, i32),
	"seed":               fn(seed, i32),
	"assert":             fn(assert, i32, i32, i32, i32, i32),
	"buggify":            fn(buggify, i32, i32, i32),
	"crash_point":        fn(crashPoint, i32, i32, i32),
	"mmap":               fn(mmap, i32, i64, i32, i32, i32, i32),
	"munmap":             fn(munmap, i32, i32),
	"msync":              fn(msync, i32, i32, i32),
}

// The signal numbers of wasip1's syscall package.
const sigTERM = 15

// raise sends sig to the program: its signal descriptor becomes readable.
func (in *instance) raise(sig byte) {
	in.signals = append(in.signals, sig)
	in.notify()
}

func (in *instance) readSignal(b []byte) (int, errno) {
	if len(in.signals) == 0 {
		return 0, errAGAIN
	}
	n := copy(b, in.signals)
	in.signals = in.signals[n:]
	return n, errSUCCESS
}

// signalFD(fdPtr) opens the descriptor from which the overlay of
// os/signal reads the signals sent to the process.
func signalFD(in *instance, mem api.Memory, st []uint64) errno {
	in.sigOpen = true
	fd := in.add(&fdEntry{kind: kindSignal})
	return putU32(mem, u32(st, 0), uint32(fd))
}

// signalDefault(sig) takes the default action of a signal the program
// listens for no longer or never did while it listens for others; for
// SIGTERM, the end of a program that does not listen at all.
func signalDefault(in *instance, mem api.Memory, st []uint64) errno {
	if u32(st, 0) != sigTERM {
		return errINVAL
	}
	if in.termIgnored {
		return errSUCCESS // ignored since it was sent: discarded
	}
	in.sigOpen = false
	in.terminate()
	return errSUCCESS
}

// signalIgnore(sig, ignore) notes that the program ignores a signal
// (signal.Ignore), or no longer does (signal.Notify). An ignored SIGTERM
// is discarded, as the kernel discards it: a graceful stop then leaves
// the program running until the grace period ends, and kills it.
func signalIgnore(in *instance, mem api.Memory, st []uint64) errno {
	if u32(st, 0) == sigTERM {
		in.termIgnored = u32(st, 1) != 0
	}
	return errSUCCESS
}

// guestAssertion is an assertion as the guest encodes it (JSON).
type guestAssertion struct {
	Kind     simctx.AssertKind
	Msg      string
	OK       bool
	Left     float64
	Right    float64
	Duration bool
	Conds    []simctx.Condition
	Args     []any
	LeftNaN  bool `json:",omitempty"`
	RightNaN bool `json:",omitempty"`
	Where    *simctx.Where
}

// assert(buf, len, _, _, _) hands a guest's assertion to the run's book,
// as package assertions does for native code.
func assert(in *instance, mem api.Memory, st []uint64) errno {
	b, ok := mem.Read(u32(st, 0), u32(st, 1))
	if !ok {
		return errFAULT
	}
	sim := simctx.From(in.ctx)
	if sim == nil {
		return errSUCCESS
	}
	a := sim.Asserter()
	if a == nil {
		return errSUCCESS
	}
	var g guestAssertion
	if err := json.Unmarshal(b, &g); err != nil {
		return errINVAL
	}
	if g.LeftNaN {
		g.Left = math.NaN()
	}
	if g.RightNaN {
		g.Right = math.NaN()
	}
	a.Assert(simctx.Assertion{Kind: g.Kind, Msg: g.Msg, OK: g.OK, Left: g.Left, Right: g.Right, Duration: g.Duration, Conds: g.Conds, Args: g.Args, Where: g.Where})
	return errSUCCESS
}

// buggify(site, siteLen, fire) decides a guest's buggify site, named by
// its file:line; fire is the site's probability in millionths, or
// negative for the run's. The result is errno 0 to fire, 1 not to.
func buggify(in *instance, mem api.Memory, st []uint64) errno {
	b, ok := mem.Read(u32(st, 0), u32(st, 1))
	if !ok {
		return errFAULT
	}
	sim := simctx.From(in.ctx)
	if sim == nil {
		return 1
	}
	fire := float64(int32(u32(st, 2))) / 1e6
	if int32(u32(st, 2)) < 0 {
		fire = -1
	}
	name := string(b)
	var fires bool
	if named, ok := sim.(simctx.NamedBuggifier); ok {
		fires = named.BuggifyNamed(in.sitePC(name), name, fire)
	} else {
		fires = sim.Buggify(in.sitePC(name), fire)
	}
	if fires {
		return 0
	}
	return 1
}

// crashPoint(site, siteLen, fire) is a guest's chaos.CrashPoint, named
// by its file:line, firing with fire millionths: when it fires, the
// process crashes there, and the call does not return.
func crashPoint(in *instance, mem api.Memory, st []uint64) errno {
	b, ok := mem.Read(u32(st, 0), u32(st, 1))
	if !ok {
		return errFAULT
	}
	if c, ok := simctx.From(in.ctx).(simctx.NamedCrasher); ok {
		name := string(b)
		c.CrashAtNamed(in.sitePC(name), name, float64(int32(u32(st, 2)))/1e6)
	}
	return errSUCCESS
}

// sitePC gives a guest's buggify site a stand-in for a program counter,
// the key under which the run keeps a site: a distinct value per site
// name, in a range no native code occupies.
func (in *instance) sitePC(name string) uintptr {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return uintptr(h | 1<<63)
}

// lookup(name, nameLen, buf, bufLen, nPtr) writes the address of a host
// name: 127.0.0.1 for localhost, the simulated host's address otherwise.
// A name that no host of the simulation has is ENOENT, which the program's
// resolver reports as "no such host".
func lookup(in *instance, mem api.Memory, st []uint64) errno {
	b, ok := mem.Read(u32(st, 0), u32(st, 1))
	if !ok {
		return errFAULT
	}
	name := strings.TrimSuffix(string(b), ".")
	var ip string
	switch {
	case name == "localhost":
		ip = "127.0.0.1"
	case !validName(name) || !in.resolves(name):
		return errNOENT
	default:
		ip = in.names.ip(name)
	}
	if uint32(len(ip)) > u32(st, 3) {
		return errNAMETOOLONG
	}
	if !mem.WriteString(u32(st, 2), ip) {
		return errFAULT
	}
	return putU32(mem, u32(st, 4), uint32(len(ip)))
}

// resolves reports whether name is a host the program may dial: this
// host, a peer of its cluster, or a host of the simulated network.
func (in *instance) resolves(name string) bool {
	if in.names.known(name) {
		return true
	}
	switch n := in.p.Network.(type) {
	case nil:
		return false
	case interface{ Resolves(string) bool }:
		return n.Resolves(name)
	}
	return true // a network that cannot tell: let the dial find out
}

// validName reports whether name can name a simulated host.
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, r := range name {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return true
}

// hostname(buf, bufLen, nPtr) writes the simulated host's name, for
// os.Hostname.
func hostname(in *instance, mem api.Memory, st []uint64) errno {
	name := in.names.self
	if name == "" {
		return errNOSYS
	}
	if uint32(len(name)) > u32(st, 1) {
		return errNAMETOOLONG
	}
	if !mem.WriteString(u32(st, 0), name) {
		return errFAULT
	}
	return putU32(mem, u32(st, 2), uint32(len(name)))
}

// seed(ptr) writes the run's seed, for simctx inside the program.
func seed(in *instance, mem api.Memory, st []uint64) errno {
	var v uint64
	if sim := simctx.From(in.ctx); sim != nil {
		v = sim.Seed()
	}
	return putU64(mem, u32(st, 0), v)
}
