package wasmhost

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed guest/*.go.in
var guestFiles embed.FS

// A patch replaces one exact text of a GOROOT file.
type patch struct {
	file, old, new string
}

// The patches of the standard library's own files that the guest files
// need; each anchors on an exact text, so a Go release that changes it
// fails the build with a message naming the file.
var patches = []patch{
	{"src/net/net_fake.go", "func socket(ctx context.Context,", "func fakeSocket(ctx context.Context,"},
	{"src/net/fd_fake.go", "\tnetfd = newFD(\"tcp\", d)\n\tif err = netfd.init(); err != nil {\n\t\tnetfd.Close()\n\t\treturn nil, err\n\t}\n",
		"\tnetfd = newFD(\"tcp\", d)\n\tif err = netfd.init(); err != nil {\n\t\tnetfd.Close()\n\t\treturn nil, err\n\t}\n\tmoonpoolSetAddrs(netfd)\n"},
	{"src/net/sockopt_fake.go", "func setReadBuffer(fd *netFD, bytes int) error {\n", "func setReadBuffer(fd *netFD, bytes int) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn nil\n\t}\n"},
	{"src/net/sockopt_fake.go", "func setWriteBuffer(fd *netFD, bytes int) error {\n", "func setWriteBuffer(fd *netFD, bytes int) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn nil\n\t}\n"},
	{"src/net/sockopt_fake.go", "func setKeepAlive(fd *netFD, keepalive bool) error {\n", "func setKeepAlive(fd *netFD, keepalive bool) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn moonpoolSetKeepAlive(fd, keepalive)\n\t}\n"},
	{"src/net/sockopt_fake.go", "func setLinger(fd *netFD, sec int) error {\n", "func setLinger(fd *netFD, sec int) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn moonpoolSetLinger(fd, sec)\n\t}\n"},
	{"src/net/tcpsockopt_stub.go", "func setNoDelay(fd *netFD, noDelay bool) error {\n", "func setNoDelay(fd *netFD, noDelay bool) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn nil\n\t}\n"},
	{"src/net/tcpsockopt_stub.go", "func setKeepAliveIdle(fd *netFD, d time.Duration) error {\n", "func setKeepAliveIdle(fd *netFD, d time.Duration) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn moonpoolSetKeepAliveOpt(fd, 1, int64(d))\n\t}\n"},
	{"src/net/tcpsockopt_stub.go", "func setKeepAliveInterval(fd *netFD, d time.Duration) error {\n", "func setKeepAliveInterval(fd *netFD, d time.Duration) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn moonpoolSetKeepAliveOpt(fd, 2, int64(d))\n\t}\n"},
	{"src/net/tcpsockopt_stub.go", "func setKeepAliveCount(fd *netFD, n int) error {\n", "func setKeepAliveCount(fd *netFD, n int) error {\n\tif moonpoolHostSocket(fd) {\n\t\treturn moonpoolSetKeepAliveOpt(fd, 3, int64(n))\n\t}\n"},
	{"src/net/conf.go", "func (c *conf) lookupOrder(r *Resolver, hostname string) (ret hostLookupOrder, dnsConf *dnsConfig) {\n",
		"func (c *conf) lookupOrder(r *Resolver, hostname string) (ret hostLookupOrder, dnsConf *dnsConfig) {\n\tif moonpoolFilesOnly(r) {\n\t\treturn hostLookupFiles, nil\n\t}\n"},
	{"src/net/hosts.go", "func lookupStaticHost(host string) ([]string, string) {\n", "func lookupStaticHost(host string) ([]string, string) {\n\tif addrs, ok := moonpoolLookup(host); ok {\n\t\treturn addrs, host\n\t}\n"},
	{"src/runtime/runtime1.go", "\tif islibrary || isarchive {\n\t\tt |= tracebackCrash\n",
		"\t// A program built as a reactor for the simulation is a command: a\n\t// fatal error in its initialization exits with status 2, as a\n\t// command's does, where a library's would abort (a trap).\n\tif (islibrary || isarchive) && GOOS != \"wasip1\" {\n\t\tt |= tracebackCrash\n"},
	{"src/net/interface_stub.go", "func interfaceTable(ifindex int) ([]Interface, error) {\n\treturn nil, nil\n", "func interfaceTable(ifindex int) ([]Interface, error) {\n\treturn moonpoolInterfaceTable(ifindex), nil\n"},
	{"src/net/interface_stub.go", "func interfaceAddrTable(ifi *Interface) ([]Addr, error) {\n\treturn nil, nil\n", "func interfaceAddrTable(ifi *Interface) ([]Addr, error) {\n\treturn moonpoolInterfaceAddrTable(ifi), nil\n"},
	{"src/syscall/syscall_wasip1.go", "\tif key == \"kern.hostname\" {\n\t\treturn \"wasip1\", nil\n", "\tif key == \"kern.hostname\" {\n\t\treturn moonpoolHostname(), nil\n"},
	{"src/os/signal/signal.go", "\tsignalWaitUntilIdle()\n\n\thandlers.Lock()", "\tmoonpoolWaitUntilIdle()\n\n\thandlers.Lock()"},
	{"src/os/signal/signal_unix.go", "process(syscall.Signal(signal_recv()))", "process(syscall.Signal(moonpoolSignalRecv()))"},
	{"src/os/signal/signal_unix.go", "func enableSignal(sig int) {\n", "func enableSignal(sig int) {\n\tmoonpoolIgnore(sig, false)\n"},
	{"src/os/signal/signal_unix.go", "func ignoreSignal(sig int) {\n", "func ignoreSignal(sig int) {\n\tmoonpoolIgnore(sig, true)\n"},
	{"src/os/signal/signal_unix.go", "\treturn signal_ignored(uint32(sig))\n", "\treturn moonpoolIgnored(sig)\n"},
}

// The guest files, added to the standard library's packages.
var added = map[string]string{
	"src/net/net_moonpool_wasip1.go":          "guest/net_moonpool.go.in",
	"src/os/signal/signal_moonpool_wasip1.go": "guest/signal_moonpool.go.in",
	"src/syscall/syscall_moonpool_wasip1.go":  "guest/syscall_moonpool.go.in",
	"src/runtime/moonpool_wasip1.go":          "guest/runtime_moonpool.go.in",
}

// MainFiles returns the file that a program's main package takes (for
// wasmbuild.Config.MainFiles) to be built as a reactor (BuildMode
// "c-shared"): its _initialize runs the runtime's start and the package
// initializers and returns, and its moonpool_main runs main. A [Module]
// of such a program starts each instance from a snapshot of its memory
// taken after _initialize, once per set of arguments and environment,
// unless Config.ColdStart says otherwise.
func MainFiles() map[string][]byte {
	b, err := guestFiles.ReadFile("guest/main_moonpool.go.in")
	if err != nil {
		panic(err) // embedded
	}
	return map[string][]byte{"zz_moonpool_main_wasip1.go": b}
}

// BuildTag is the build tag a program needs to run under this host: it
// switches package assertions and chaos (through simctx) to the host's
// book.
const BuildTag = "moonpool"

// GuestOverlay returns the files that a program's build for this host
// overlays on the standard library (for go build -overlay, keyed by a path
// relative to GOROOT): package net's TCP, UDP and name lookups on the
// simulated network, os/signal's signals (and ignored signals) from the simulation,
// syscall's host name and memory-mapped files (Mmap), and the
// runtime's fatal errors ending the program as a command's do.
// goroot is the GOROOT of the toolchain that builds; "" asks go env.
func GuestOverlay(ctx context.Context, goroot string) (map[string][]byte, error) {
	if goroot == "" {
		out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) && len(exit.Stderr) > 0 {
				err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
			}
			return nil, fmt.Errorf("wasmhost: go env GOROOT, to find the standard library's files a program's build patches, failed (is the go command on PATH, and the working directory there?): %w", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	files := map[string][]byte{}
	for _, p := range patches {
		src, ok := files[p.file]
		if !ok {
			var err error
			src, err = os.ReadFile(filepath.Join(goroot, filepath.FromSlash(p.file)))
			if err != nil {
				return nil, fmt.Errorf("wasmhost: read %s of the toolchain: %w", p.file, err)
			}
		}
		if bytes.Count(src, []byte(p.old)) != 1 {
			return nil, fmt.Errorf("wasmhost: %s of the Go toolchain in %s does not hold the text the simulation patches (%q); use the Go release this moonpool version supports", p.file, goroot, firstLine(p.old))
		}
		files[p.file] = bytes.Replace(src, []byte(p.old), []byte(p.new), 1)
	}
	for dst, src := range added {
		b, err := guestFiles.ReadFile(src)
		if err != nil {
			return nil, err
		}
		files[dst] = b
	}
	return files, nil
}

func firstLine(s string) string {
	s = strings.TrimLeft(s, "\t\n")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
