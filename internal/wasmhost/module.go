package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// A Module is a compiled program, ready to run any number of instances, one
// per simulated process, in any number of simulations at once.
type Module struct {
	rt        wazero.Runtime
	compiled  wazero.CompiledModule
	hash      string
	stopSpins bool
	mems      *memories // the instances' linear memories
	reactor   bool      // built with MainFiles: it starts from snapshots
	globals   []string  // a reactor's globals, by export name
	data      []segment // a reactor's data segments, which the host writes
	snaps     snapshots
	idle      idlePool // instances whose processes ended
}

// Options are how a program is compiled.
type Options struct {
	// CacheDir, when not empty, keeps compiled code, keyed by the
	// program's bytes, so that later test binaries skip most of the
	// compilation.
	CacheDir string
	// StopSpins compiles checks into the program's loops and calls so
	// that the watchdog (Config.Watchdog) can stop a goroutine that runs
	// without ever calling the host. They about double the cost of the
	// program's own code. Without them such a goroutine is caught by the
	// simulation's watchdog, which cannot stop it.
	StopSpins bool
}

// Compile compiles the WebAssembly program wasm (a Go main package built
// for GOOS=wasip1 GOARCH=wasm) and instantiates the host modules it
// imports.
func Compile(ctx context.Context, wasm []byte, o Options) (*Module, error) {
	cfg := wazero.NewRuntimeConfig().WithCloseOnContextDone(o.StopSpins)
	if o.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(o.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmhost: open the compilation cache in %s: %w", o.CacheDir, err)
		}
		cfg = cfg.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	merged := mergeData(wasm)
	spans := dataSpans(merged)
	reactor, globals, isReactor := exportGlobals(merged)
	var data []segment
	if isReactor {
		merged = reactor
		if stripped, segs, ok := splitData(merged); ok {
			merged, data = stripped, segs
		}
	}
	compiled, err := rt.CompileModule(ctx, merged)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasmhost: compile the program: %w", err)
	}
	sum := sha256.Sum256(wasm)
	m := &Module{rt: rt, compiled: compiled, hash: hex.EncodeToString(sum[:8]), stopSpins: o.StopSpins, mems: &memories{keep: keepResident, data: spans}, reactor: isReactor, globals: globals, data: data}
	if err := m.instantiateHosts(ctx); err != nil {
		rt.Close(ctx)
		return nil, err
	}
	return m, nil
}

// CompileFile is [Compile] on the contents of the file at path.
func CompileFile(ctx context.Context, path string, o Options) (*Module, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: read the program: %w", err)
	}
	return Compile(ctx, wasm, o)
}

// DefaultCacheDir is the directory of compiled code under the user's cache
// directory, or "" when there is none.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "moonpool", "wazero")
}

// Close releases the compiled code. Instances still running fail.
func (m *Module) Close(ctx context.Context) error {
	err := m.rt.Close(ctx)
	m.mems.close()
	return err
}

// Hash is a short hex digest of the program's bytes.
func (m *Module) Hash() string { return m.hash }

// instantiateHosts builds the host modules with every function the
// program imports from them: the ones this package implements, and for
// the rest of wasi_snapshot_preview1 a stub that answers ENOSYS.
func (m *Module) instantiateHosts(ctx context.Context) error {
	byModule := map[string][]api.FunctionDefinition{}
	for _, f := range m.compiled.ImportedFunctions() {
		mod, _, _ := f.Import()
		byModule[mod] = append(byModule[mod], f)
	}
	for mod, imports := range byModule {
		var table map[string]hostFunc
		switch mod {
		case wasiModule:
			table = wasiFuncs
		case moonpoolModule:
			table = moonpoolFuncs
		default:
			return fmt.Errorf("wasmhost: the program imports functions from module %q, which a simulation does not provide; only %s and %s are available", mod, wasiModule, moonpoolModule)
		}
		b := m.rt.NewHostModuleBuilder(mod)
		for _, imp := range imports {
			_, name, _ := imp.Import()
			hf, ok := table[name]
			if !ok {
				if mod != wasiModule {
					return fmt.Errorf("wasmhost: the program imports %s.%s, which this host does not know; build it with the same moonpool version as the test", mod, name)
				}
				hf = stub(imp.ParamTypes(), imp.ResultTypes())
			}
			if !sameTypes(hf.params, imp.ParamTypes()) || !sameTypes(hf.results, imp.ResultTypes()) {
				return fmt.Errorf("wasmhost: the program imports %s.%s with signature %v -> %v, but the host has %v -> %v", mod, name, imp.ParamTypes(), imp.ResultTypes(), hf.params, hf.results)
			}
			f := hf.fn
			if ok && !snapshotSafe[name] {
				f = guardSnapshot(mod+"."+name, f)
			}
			b.NewFunctionBuilder().WithGoModuleFunction(f, hf.params, hf.results).Export(name)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return fmt.Errorf("wasmhost: instantiate host module %s: %w", mod, err)
		}
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hostFunc is one host function and its WebAssembly signature.
type hostFunc struct {
	fn      api.GoModuleFunc
	params  []api.ValueType
	results []api.ValueType
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// fn returns a host function whose results are one errno, taking params.
func fn(f func(in *instance, mem api.Memory, stack []uint64) errno, params ...api.ValueType) hostFunc {
	return hostFunc{
		fn: func(ctx context.Context, mod api.Module, stack []uint64) {
			in := instanceOf(ctx)
			if in.snap != nil {
				in.snapshotHost()
			} else {
				in.host()
			}
			defer in.catch()
			if in.snap == nil && !in.stopping && in.wait.Err() != nil {
				// A stop reaches a program that is busy, not only one
				// that waits, as a signal reaches a running process.
				in.stop()
			}
			stack[0] = uint64(f(in, mod.Memory(), stack))
		},
		params:  params,
		results: []api.ValueType{i32},
	}
}

// stub answers ENOSYS, for the WASI functions a simulated process has no
// use for.
func stub(params, results []api.ValueType) hostFunc {
	return hostFunc{
		fn: func(ctx context.Context, mod api.Module, stack []uint64) {
			if len(results) > 0 {
				stack[0] = uint64(errNOSYS)
			}
		},
		params:  params,
		results: results,
	}
}
