package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// osFuncs are package os's functions that reach files or processes.
var osFuncs = map[string]bool{
	"Open": true, "OpenFile": true, "Create": true, "ReadFile": true, "WriteFile": true,
	"Remove": true, "RemoveAll": true, "Rename": true, "Mkdir": true, "MkdirAll": true,
	"MkdirTemp": true, "CreateTemp": true, "ReadDir": true, "Stat": true, "Lstat": true,
	"Truncate": true, "Chmod": true, "Chown": true, "Lchown": true, "Chtimes": true,
	"Link": true, "Symlink": true, "Readlink": true, "Chdir": true, "Getwd": true,
	"DirFS": true, "OpenRoot": true, "OpenInRoot": true, "CopyFS": true, "TempDir": true,
	"Exit": true, "StartProcess": true, "FindProcess": true, "Pipe": true, "NewFile": true,
	"Getpid": true, "Getppid": true, "Hostname": true,
}

// netFuncs are package net's functions that dial, listen or resolve.
var netFuncs = map[string]string{
	"Dial": "p.Network.Dial(ctx, addr)", "DialTimeout": "p.Network.Dial with a context from p.Time.WithTimeout",
	"DialTCP": "p.Network.Dial(ctx, addr)", "DialUDP": "p.Network.ListenPacket(ctx, \":0\") and WriteTo",
	"DialIP": "nothing yet", "DialUnix": "p.Network.Dial(ctx, addr)",
	"Listen": "p.Network.Listen(ctx, addr)", "ListenTCP": "p.Network.Listen(ctx, addr)",
	"ListenUDP": "p.Network.ListenPacket(ctx, addr)", "ListenPacket": "p.Network.ListenPacket(ctx, addr)",
	"ListenUnix": "p.Network.Listen(ctx, addr)", "ListenIP": "nothing yet",
	"LookupHost": "the peers' addresses from p.Cluster", "LookupIP": "the peers' addresses from p.Cluster",
	"LookupAddr": "the peers' addresses from p.Cluster", "LookupPort": "the peers' addresses from p.Cluster",
	"LookupCNAME": "the peers' addresses from p.Cluster", "LookupMX": "the peers' addresses from p.Cluster",
	"LookupNS": "the peers' addresses from p.Cluster", "LookupSRV": "the peers' addresses from p.Cluster",
	"LookupTXT": "the peers' addresses from p.Cluster", "DefaultResolver": "the peers' addresses from p.Cluster",
	// The Resolve functions look a host name up before they return.
	"ResolveTCPAddr": "the peers' addresses from p.Cluster", "ResolveUDPAddr": "providers.ResolveUDP(ctx, p.Network, addr), with a peer's address from p.Cluster",
	"ResolveIPAddr": "the peers' addresses from p.Cluster",
	// The machine's interfaces are not the simulated host's.
	"Interfaces": "the process's own address, p.Cluster.Self().Host", "InterfaceAddrs": "the process's own address, p.Cluster.Self().Host",
	"InterfaceByName": "the process's own address, p.Cluster.Self().Host", "InterfaceByIndex": "the process's own address, p.Cluster.Self().Host",
}

// fsFuncs are the functions of io/ioutil and path/filepath that read or
// write the real file system; filepath's others only handle strings.
var fsFuncs = map[string]bool{
	"io/ioutil.ReadFile": true, "io/ioutil.WriteFile": true, "io/ioutil.ReadDir": true,
	"io/ioutil.TempFile": true, "io/ioutil.TempDir": true,
	"path/filepath.Walk": true, "path/filepath.WalkDir": true, "path/filepath.Glob": true,
	"path/filepath.EvalSymlinks": true, "path/filepath.Abs": true,
}

// httpNames are net/http's package-level functions and variables that use
// the default client or transport, listen, or serve on goroutines of
// their own, with what each does.
var httpNames = map[string]string{
	"Get": httpClient, "Head": httpClient, "Post": httpClient, "PostForm": httpClient,
	"DefaultClient": httpClient, "DefaultTransport": httpClient,
	"ListenAndServe": httpListen, "ListenAndServeTLS": httpListen,
	"Serve": httpServe, "ServeTLS": httpServe,
}

// grpcPath is grpc-go's import path. simvet does not depend on it: the
// rule knows its names by path.
const grpcPath = "google.golang.org/grpc"

// grpcNames are grpc-go's functions that start a server or a client
// connection, whose goroutines are grpc-go's own.
var grpcNames = map[string]bool{"NewServer": true, "NewClient": true, "Dial": true, "DialContext": true}

// grpcNative is what grpc-go does in native code, and the way out.
const grpcNative = ": grpc-go serves, dials and reads on goroutines of its own, which the simulation neither schedules nor kills, " +
	"so a native server or client fails the seed as a stray goroutine at its first connection; " +
	"run the gRPC code as a program (program.Build, docs/programs.md), where its goroutines are the program's"

// What net/http does outside the simulation, and what to use instead.
const (
	httpClient = "uses the real network, through the default transport, which reads and writes on goroutines of its own; use simhttp.NewClient(p), an *http.Client over p.Network"
	httpListen = "listens on the real network and serves each connection on a goroutine of its own; serve with simhttp.Server, on a listener from p.Network.Listen(ctx, addr)"
	httpServe  = "serves each connection on a goroutine of its own, which the simulation neither schedules nor kills; serve with simhttp.Server, which starts a task per connection"
)

func runOsnet(c *checker) {
	pkgUses(c, func(u pkgCall) {
		path, name := u.obj.Pkg().Path(), u.obj.Name()
		if f, ok := u.obj.(*types.Func); ok && f.Signature().Recv() != nil {
			return
		}
		at := u.at()
		switch path {
		case "os":
			if !osFuncs[name] {
				return
			}
			alt := "p.Storage (Open, Create, OpenFile, Stat, ReadDir, Mkdir, MkdirAll, Remove, Rename)"
			switch {
			case strings.Contains(name, "Process") || name == "Exit" || name == "Pipe":
				alt = "a process of the simulation (simtest.Processes): return from Run to exit"
			case name == "Getpid" || name == "Getppid":
				c.report(at, "os."+name+" reads a real process id, which differs from run to run, so a seed that depends on it does not replay; name the process with p.Cluster.Self()")
				return
			case name == "Hostname":
				c.report(at, "os.Hostname reads the real machine's name, which differs from machine to machine, so a seed that depends on it does not replay elsewhere; name the process with p.Cluster.Self()")
				return
			}
			c.report(at, "os."+name+" reaches the real operating system, which the simulation neither sees nor faults; use "+alt)
		case "io/ioutil", "path/filepath":
			if !fsFuncs[path+"."+name] {
				return
			}
			c.report(at, path+"."+name+" reaches the real operating system, which the simulation neither sees nor faults; use p.Storage (Open, Create, OpenFile, Stat, ReadDir, Mkdir, MkdirAll, Remove, Rename)")
		case "os/exec":
			if _, ok := u.obj.(*types.Func); ok {
				c.report(at, "os/exec."+name+" starts a real process outside the simulation; model it as a process of the simulation (simtest.Processes)")
			}
		case "net":
			alt, ok := netFuncs[name]
			if !ok {
				return
			}
			c.report(at, "net."+name+" uses the real network; use "+alt, c.netFix(name, u)...)
		case "net/http":
			if what, ok := httpNames[name]; ok {
				c.report(at, "http."+name+" "+what)
			}
		case "net/http/httptest":
			if strings.HasPrefix(name, "New") && strings.HasSuffix(name, "Server") {
				c.report(at, "httptest."+name+" "+httpListen)
			}
		case "crypto/tls":
			if name == "Dial" || name == "DialWithDialer" || name == "Listen" {
				c.report(at, "tls."+name+" uses the real network; use p.Network.Dial(ctx, addr) or p.Network.Listen(ctx, addr)")
			}
		case "log":
			if strings.HasPrefix(name, "Fatal") {
				c.report(at, logFatal("log."+name))
			}
		case grpcPath:
			if grpcNames[name] {
				c.report(at, "grpc."+name+grpcNative)
			}
		}
	}, "os", "os/exec", "net", "net/http", "net/http/httptest", "crypto/tls", "log", "io/ioutil", "path/filepath", grpcPath)
	// Methods that dial, listen, resolve or serve for real, called or
	// taken as a value, on the type or on a struct that embeds it.
	methodUses(c, func(u methodUse) {
		name := u.fn.Name()
		switch {
		case u.recvIs("net", "Dialer") || u.recvIs("net", "ListenConfig"):
			c.report(u.at(), "net."+typeName(u.fn.Signature().Recv().Type())+"."+name+" uses the real network; use p.Network.Dial(ctx, addr) or p.Network.Listen(ctx, addr)")
		case u.recvIs("net", "Resolver") && strings.HasPrefix(name, "Lookup"):
			c.report(u.at(), "net.Resolver."+name+" uses the real network; use the peers' addresses from p.Cluster")
		case u.recvIs("crypto/tls", "Dialer"):
			c.report(u.at(), "tls.Dialer."+name+" uses the real network; use p.Network.Dial(ctx, addr)")
		case u.recvIs("net/http", "Server") && strings.HasPrefix(name, "ListenAndServe"):
			c.report(u.at(), "http.Server."+name+" "+httpListen)
		case u.recvIs("net/http", "Server") && strings.HasPrefix(name, "Serve"):
			c.report(u.at(), "http.Server."+name+" "+httpServe)
		case u.recvIs("log", "Logger") && strings.HasPrefix(name, "Fatal"):
			c.report(u.at(), logFatal("log.Logger."+name))
		case u.recvIs(grpcPath, "Server") && name == "Serve":
			c.report(u.at(), "grpc.Server.Serve"+grpcNative)
		}
	}, "net", "net/http", "crypto/tls", "log", grpcPath)
	// An http.Client without a Transport sends through the default one,
	// and an http.Transport of one's own dials and reads on goroutines of
	// its own.
	for _, f := range c.pass.Files {
		amp := map[*ast.CompositeLit]*ast.UnaryExpr{} // &T{...}
		ast.Inspect(f, func(n ast.Node) bool {
			var t types.Type
			var lit *ast.CompositeLit
			var fix []analysis.SuggestedFix
			switch n := n.(type) {
			case *ast.UnaryExpr:
				if l, ok := n.X.(*ast.CompositeLit); ok && n.Op == token.AND {
					amp[l] = n
				}
			case *ast.CompositeLit:
				t, lit = c.pass.TypesInfo.TypeOf(n), n
				if u := amp[n]; u != nil && len(n.Elts) == 0 {
					fix = c.clientFix(u, n.Type)
				}
			case *ast.CallExpr:
				if isBuiltin(c.pass.TypesInfo, n, "new") && len(n.Args) == 1 {
					t = c.pass.TypesInfo.TypeOf(n.Args[0])
					fix = c.clientFix(n, n.Args[0])
				}
			}
			switch {
			case t == nil:
			case isNamed(t, "net/http", "Client") && !hasField(c.pass.TypesInfo, lit, "Transport"):
				c.report(n, "an http.Client without a Transport "+httpClient, fix...)
			case isNamed(t, "net/http", "Transport"):
				c.report(n, "an http.Transport dials, reads and writes on goroutines of its own, which the simulation neither schedules nor kills; use simhttp.NewClient(p), or a simhttp.Transport")
			}
			return true
		})
	}
}

// clientFix rewrites &http.Client{} or new(http.Client), n, into
// simhttp.NewClient(p), importing simhttp, when a providers.Providers
// value is in scope; typ is the type as written.
func (c *checker) clientFix(n ast.Node, typ ast.Expr) []analysis.SuggestedFix {
	const simhttpPath = module + "/simhttp"
	sel, ok := typ.(*ast.SelectorExpr) // not through a dot import
	if !ok || !isNamed(c.pass.TypesInfo.TypeOf(typ), "net/http", "Client") {
		return nil
	}
	p := c.providersValueAt(n.Pos())
	if p == "" {
		return nil
	}
	var imp []analysis.TextEdit
	if !c.imported(n.Pos(), simhttpPath, "simhttp") {
		if !c.free(n.Pos(), "simhttp") {
			return nil
		}
		imp = c.addImport(n.Pos(), simhttpPath)
	}
	return c.replaceFix(n, sel, "simhttp.NewClient("+p+")", imp...)
}

// logFatal is the report of a call that logs and then exits the process.
func logFatal(name string) string {
	return name + " calls os.Exit, which ends the whole test binary, every seed with it; log through p.Logger and return an error (a process of the simulation exits by returning from Run)"
}

// hasField reports whether the struct literal lit sets the field name to
// something other than nil.
func hasField(info *types.Info, lit *ast.CompositeLit, name string) bool {
	if lit == nil {
		return false
	}
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return true // positional: every field is set
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == name {
			tv := info.Types[kv.Value]
			return !tv.IsNil()
		}
	}
	return false
}

func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name()
	}
	return t.String()
}

// netFix rewrites net.Dial("tcp", addr), net.Listen("tcp", addr) and
// net.ListenPacket("udp", addr) into the Network provider's calls, which
// take a context and no network name.
func (c *checker) netFix(name string, u pkgCall) []analysis.SuggestedFix {
	if u.call == nil || (name != "Dial" && name != "Listen" && name != "ListenPacket") || len(u.call.Args) != 2 {
		return nil
	}
	want := `"tcp"`
	if name == "ListenPacket" {
		want = `"udp"`
	}
	lit, ok := u.call.Args[0].(*ast.BasicLit)
	if !ok || lit.Value != want {
		return nil
	}
	p, ctx := c.providersAt(u.call.Pos()), c.contextAt(u.call.Pos())
	if p == "" || ctx == "" {
		return nil
	}
	return c.callFix(u, p+".Network."+name+"("+ctx+", "+c.text(u.call.Args[1])+")")
}
