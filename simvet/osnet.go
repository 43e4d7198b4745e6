package simvet

import (
	"go/ast"
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
	"ResolveTCPAddr": "the peers' addresses from p.Cluster", "ResolveUDPAddr": "the peers' addresses from p.Cluster",
	"ResolveIPAddr": "the peers' addresses from p.Cluster",
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
// the default client or transport, or listen.
var httpNames = map[string]bool{
	"Get": true, "Head": true, "Post": true, "PostForm": true,
	"DefaultClient": true, "DefaultTransport": true,
	"ListenAndServe": true, "ListenAndServeTLS": true,
}

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
			if strings.Contains(name, "Process") || name == "Exit" || name == "Pipe" {
				alt = "a process of the simulation (simtest.Processes): return from Run to exit"
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
			if !httpNames[name] {
				return
			}
			c.report(at, "http."+name+" uses the real network, through the default client or a real listener; use an http.Client whose Transport dials with p.Network.Dial, and accept on a listener from p.Network.Listen")
		}
	}, "os", "os/exec", "net", "net/http", "io/ioutil", "path/filepath")
	// Methods that dial, listen or resolve for real, called or taken as a
	// value, on the type or on a struct that embeds it.
	for _, f := range c.pass.Files {
		calls := map[*ast.SelectorExpr]*ast.CallExpr{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
					calls[sel] = n
				}
			case *ast.SelectorExpr:
				fn, ok := c.pass.TypesInfo.Uses[n.Sel].(*types.Func)
				if !ok || fn.Pkg() == nil || fn.Signature().Recv() == nil {
					return true
				}
				at := ast.Node(n)
				if call := calls[n]; call != nil {
					at = call
				}
				recv := fn.Signature().Recv().Type()
				switch {
				case isNamed(recv, "net", "Dialer") || isNamed(recv, "net", "ListenConfig"):
					c.report(at, "net."+typeName(recv)+"."+fn.Name()+" uses the real network; use p.Network.Dial(ctx, addr) or p.Network.Listen(ctx, addr)")
				case isNamed(recv, "net", "Resolver") && strings.HasPrefix(fn.Name(), "Lookup"):
					c.report(at, "net.Resolver."+fn.Name()+" uses the real network; use the peers' addresses from p.Cluster")
				case isNamed(recv, "net/http", "Server") && strings.HasPrefix(fn.Name(), "ListenAndServe"):
					c.report(at, "http.Server."+fn.Name()+" listens on the real network; accept on a listener from p.Network.Listen(ctx, addr)")
				}
			}
			return true
		})
	}
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
