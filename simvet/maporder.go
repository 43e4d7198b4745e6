package simvet

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Ranging over a map visits its keys in an order the runtime draws at
// random, outside the seed: the same seed then gives another execution.
// The loop is harmless while its order stays inside it (a sum, a lookup,
// a delete); it is reported when the order reaches the outside, or when
// the loop stops at its first entry, which the order picks. A sync.Map's
// Range and a reflect.MapIter visit in the same order, and a slice
// collected from a map (slices.Collect(maps.Keys(m)), reflect's MapKeys)
// lists its entries in it.

// A mapWalk is code that visits a map's entries in the map's order: a
// range loop, a sync.Map's Range callback, or a loop over a
// reflect.MapIter.
type mapWalk struct {
	pos, end token.Pos // where a finding goes
	span     ast.Node  // the whole loop or call
	body     *ast.BlockStmt
	// entry holds what carries an entry into the body: the key and value
	// variables, the callback's parameters, the iterator.
	entry []types.Object
	// key is the entry's key, when a variable of the body holds it: no
	// two entries have the same.
	key types.Object
	// stored: the loop assigns each entry to variables declared outside
	// it (for k = range m).
	stored   bool
	label    string // the loop's label, which continue may name
	callback bool   // a Range callback: return false stops, return true goes on
	// visits says what visits in map order, where the body is, and fix,
	// first and last what to do instead of letting the order leave, of
	// taking the first entry, of keeping the last.
	visits, where, fix, first, last string
	fixes                           []analysis.SuggestedFix
}

func runMaporder(c *checker) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		labels := map[ast.Stmt]string{}
		var loops []span             // the bodies of every loop, where a Next may go on
		conds := map[ast.Expr]bool{} // the MapIter.Next calls that are a loop's condition
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.LabeledStmt:
				labels[n.Stmt] = n.Label.Name
			case *ast.RangeStmt:
				loops = append(loops, span{n.Body.Pos(), n.Body.End()})
				if c.mapOrdered(n.X) {
					c.checkWalk(f, c.rangeWalk(n, labels[n]))
				}
			case *ast.ForStmt:
				loops = append(loops, span{n.Body.Pos(), n.Body.End()})
				if it := c.mapIterNext(n.Cond); it != nil {
					conds[ast.Unparen(n.Cond)] = true
					c.checkWalk(f, &mapWalk{
						pos: n.For, end: n.Cond.End(), span: n, body: n.Body,
						entry: []types.Object{it}, label: labels[n],
						visits: "a reflect.MapIter visits a map's entries in an order no seed replays",
						where:  "the loop",
						fix:    "sort the keys (v.MapKeys(), with slices.SortFunc) and read each with v.MapIndex",
						first:  "sort the keys (v.MapKeys(), with slices.SortFunc) and take the least, or choose the entry by a rule of your own",
						last:   "sort the keys (v.MapKeys(), with slices.SortFunc) and take the greatest, or choose the entry by a rule of your own",
					})
				}
			case *ast.CallExpr:
				if w := c.syncMapWalk(n); w != nil {
					c.checkWalk(f, w)
				}
			}
			return true
		})
		// Pulls and Next calls outside a loop take the first entries.
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if path, name := pkgFunc(callee(info, call)); path == "iter" && (name == "Pull" || name == "Pull2") && len(call.Args) == 1 && c.mapSeq(call.Args[0], nil) {
				c.report(call, "iter."+name+" of a map's iterator pulls its entries in an order no seed replays, so the first pull takes the entry that order picks; pull from slices.Values(slices.Sorted(maps.Keys(m)))")
			}
			if c.mapIterNext(call) != nil && !conds[call] && !slices.ContainsFunc(loops, func(s span) bool { return s.contains(call.Pos()) }) {
				c.report(call, "a reflect.MapIter visits a map's entries in an order no seed replays, and a Next outside a loop takes the first entry that order picks; sort the keys (v.MapKeys(), with slices.SortFunc) and take the least, or choose the entry by a rule of your own")
			}
			return true
		})
		// A slice collected from a map: slices.Collect(maps.Keys(m)).
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Lhs) == 1 && len(n.Rhs) == 1 {
					if src := c.collected(n.Rhs[0]); src != "" {
						if why := c.orderedInto(f, n.End(), n.Lhs[0], ""); why != "" {
							c.report(n.Rhs[0], src+" lists a map's entries in an order no seed replays, and "+why+" carries that order out; "+sortedFix(src, "collect with"))
						}
					}
				}
			case *ast.ReturnStmt:
				for _, r := range n.Results {
					if src := c.collected(r); src != "" {
						c.report(r, src+" lists a map's entries in an order no seed replays, and the return carries that order out; "+sortedFix(src, "return"))
					}
				}
			case *ast.IndexExpr:
				if src := c.collected(n.X); src != "" {
					c.report(n, src+" lists a map's entries in an order no seed replays, and an index takes the entry that order puts there; "+sortedFix(src, "collect with"))
				}
			case *ast.SliceExpr:
				if src := c.collected(n.X); src != "" {
					c.report(n, src+" lists a map's entries in an order no seed replays, and a slice of it keeps the entries that order puts there; "+sortedFix(src, "collect with"))
				}
			}
			return true
		})
	}
}

// sortedFix says how to have a map's keys in order instead of through
// src, which lists them in the map's: verb says what to do with the
// sorted keys ("collect with", "return").
func sortedFix(src, verb string) string {
	if src == mapKeysName {
		return "sort the keys first (slices.SortFunc)"
	}
	return verb + " slices.Sorted(maps.Keys(m)), or sort the slice first"
}

const mapKeysName = "reflect.Value.MapKeys"

// rangeWalk is the walk of a range loop over a map, or over something in
// the map's order, labelled label.
func (c *checker) rangeWalk(rng *ast.RangeStmt, label string) *mapWalk {
	info := c.pass.TypesInfo
	w := &mapWalk{
		pos: rng.For, end: rng.X.End(), span: rng, body: rng.Body, label: label,
		visits: "ranging over a map visits keys in an order no seed replays",
		where:  "the loop",
		fix:    "range over slices.Sorted(maps.Keys(m)), or sort what the loop builds",
		first:  "range over slices.Sorted(maps.Keys(m)) to take the least key, or choose the entry by a rule of your own",
		last:   "range over slices.Sorted(maps.Keys(m)) to keep the greatest key, or choose the entry by a rule of your own",
		fixes:  c.maporderFix(rng),
	}
	vars := []ast.Expr{rng.Key, rng.Value}
	if _, ok := info.TypeOf(rng.X).Underlying().(*types.Slice); ok {
		vars = vars[1:] // the key is an index, in no map's order
	}
	for _, v := range vars {
		id, ok := v.(*ast.Ident)
		switch {
		case v == nil || ok && id.Name == "_":
		case rng.Tok == token.DEFINE && ok:
			w.entry = append(w.entry, info.Defs[id])
			if _, isMap := info.TypeOf(rng.X).Underlying().(*types.Map); isMap && v == rng.Key {
				w.key = info.Defs[id]
			}
		default:
			w.stored = true
		}
	}
	return w
}

// syncMapWalk is the walk of a call of a sync.Map's Range with a function
// literal, or a function of the package (named, a method value, or a
// local variable only ever assigned a literal), or nil if call is no such
// call.
func (c *checker) syncMapWalk(call *ast.CallExpr) *mapWalk {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || len(call.Args) != 1 || !c.syncMapRange(sel) {
		return nil
	}
	where := "the callback"
	var span ast.Node
	var typ *ast.FuncType
	var body *ast.BlockStmt
	switch fn := ast.Unparen(call.Args[0]).(type) {
	case *ast.FuncLit:
		span, typ, body = call, fn.Type, fn.Body
	default:
		lit, decl := c.funcOf(fn)
		switch {
		case lit != nil:
			span, typ, body = lit, lit.Type, lit.Body
		case decl != nil && decl.Body != nil:
			// From the parameters on: the receiver is outside the walk,
			// like a closure's variables.
			span, typ, body = spanOf{decl.Type.Params.Pos(), decl.Body.End()}, decl.Type, decl.Body
		default:
			return nil
		}
		where = c.text(fn) + ", the callback"
	}
	w := &mapWalk{
		pos: sel.Pos(), end: call.Lparen, span: span, body: body, callback: true,
		visits: "sync.Map's Range visits entries in an order no seed replays (its map's)",
		where:  where,
		fix:    "collect the keys in the callback, sort them after it, and Load each",
		first:  "collect the keys and take the least, or choose the entry by a rule of your own",
		last:   "collect the keys and take the greatest, or choose the entry by a rule of your own",
	}
	for i, field := range typ.Params.List {
		for j, name := range field.Names {
			if name.Name != "_" {
				w.entry = append(w.entry, c.pass.TypesInfo.Defs[name])
				if i == 0 && j == 0 {
					w.key = c.pass.TypesInfo.Defs[name]
				}
			}
		}
	}
	return w
}

// spanOf is a stretch of source, as a node.
type spanOf struct{ pos, end token.Pos }

func (s spanOf) Pos() token.Pos { return s.pos }
func (s spanOf) End() token.Pos { return s.end }

// funcOf returns the function x names when its body is in the package: a
// literal that a local variable x is only ever assigned, or the
// declaration of a function or method (x a method value).
func (c *checker) funcOf(x ast.Expr) (*ast.FuncLit, *ast.FuncDecl) {
	info := c.pass.TypesInfo
	var id *ast.Ident
	switch x := x.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return nil, nil
	}
	switch obj := info.Uses[id].(type) {
	case *types.Var:
		vals, ok := c.assigned(obj, nil)
		if !ok || len(vals) != 1 || vals[0].index != 0 {
			return nil, nil
		}
		lit, _ := ast.Unparen(vals[0].expr).(*ast.FuncLit)
		return lit, nil
	case *types.Func:
		if obj.Pkg() != c.pass.Pkg {
			return nil, nil
		}
		for _, f := range c.pass.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && info.Defs[fd.Name] == obj {
					return nil, fd
				}
			}
		}
	}
	return nil, nil
}

// syncMapRange reports whether sel is the Range method of a sync.Map.
func (c *checker) syncMapRange(sel *ast.SelectorExpr) bool {
	fn, ok := c.pass.TypesInfo.Uses[sel.Sel].(*types.Func)
	return ok && fn.Name() == "Range" && fn.Signature().Recv() != nil && isNamed(fn.Signature().Recv().Type(), "sync", "Map")
}

// mapIterNext returns the variable or field whose Next x calls, if x is a
// call of a reflect.MapIter's Next on one, or nil.
func (c *checker) mapIterNext(x ast.Expr) types.Object {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return nil
	}
	fn := callee(c.pass.TypesInfo, call)
	if fn == nil || fn.Name() != "Next" || fn.Signature().Recv() == nil || !isNamed(fn.Signature().Recv().Type(), "reflect", "MapIter") {
		return nil
	}
	// The variable or field the iterator is in, which the body names to
	// read an entry.
	switch x := ast.Unparen(ast.Unparen(call.Fun).(*ast.SelectorExpr).X).(type) {
	case *ast.Ident:
		return c.pass.TypesInfo.Uses[x]
	case *ast.SelectorExpr:
		return c.pass.TypesInfo.Uses[x.Sel]
	}
	return nil
}

// checkWalk reports w if its order leaves it, or if it stops at its first
// entry and uses that entry.
func (c *checker) checkWalk(f *ast.File, w *mapWalk) {
	if bf := fileOf(c.pass, w.body.Pos()); bf != nil {
		f = bf // a callback declared in another file
	}
	if why := c.orderLeak(f, w.span, w.body, w.key); why != "" {
		fix := w.fix
		if strings.Contains(why, clockReadLeak) {
			before := "the loop"
			if w.callback {
				before = "the Range"
			}
			fix = "read the clock once before " + before + " and give every entry that time, or " + fix
		}
		c.reportRange(w.pos, w.end, w.visits+", and "+why+" carries that order out of "+w.where+"; "+fix, w.fixes...)
		return
	}
	how := ""
	for _, s := range w.body.List {
		if is, ok := s.(*ast.IfStmt); ok && is.Else == nil && c.goesOn(w, is.Body, keepCtx{}) {
			break // what follows runs under a condition: keeps' to judge
		}
		if how = w.stops(c.pass.TypesInfo, s); how != "" {
			break
		}
	}
	if how != "" {
		if w.stored || slices.ContainsFunc(w.entry, func(v types.Object) bool { return mentions(c.pass.TypesInfo, w.body, v) }) {
			c.reportRange(w.pos, w.end, w.visits+", and "+w.where+" stops at its first entry ("+how+"), so that order picks the entry it takes; "+w.first, w.fixes...)
		}
		return
	}
	if why, fix := c.keeps(f, w); why != "" {
		c.reportRange(w.pos, w.end, w.visits+", and "+why+"; "+fix, w.fixes...)
	}
}

// stops says how s, a statement at the top level of w's body, always
// leaves w once reached: "return", "break", "panic", ..., or "" if it may
// go on to the next entry. A search, which leaves only when a condition
// holds (if v == x { return k }), goes on.
func (w *mapWalk) stops(info *types.Info, s ast.Stmt) string {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		if !w.callback {
			return "return"
		}
		if len(s.Results) == 1 {
			if tv, ok := info.Types[s.Results[0]]; ok && tv.Value != nil && tv.Value.Kind() == constant.Bool && !constant.BoolVal(tv.Value) {
				return "return false"
			}
		}
	case *ast.BranchStmt:
		switch {
		case s.Tok == token.BREAK:
			return "break"
		case s.Tok == token.CONTINUE && s.Label != nil && s.Label.Name != w.label:
			return "continue " + s.Label.Name
		}
	case *ast.ExprStmt:
		if call, ok := s.X.(*ast.CallExpr); ok && isBuiltin(info, call, "panic") {
			return "panic"
		}
	case *ast.BlockStmt:
		for _, s := range s.List {
			if how := w.stops(info, s); how != "" {
				return how
			}
		}
	case *ast.IfStmt:
		if s.Else != nil {
			if how := w.stops(info, s.Body); how != "" && w.stops(info, s.Else) != "" {
				return how
			}
		}
	case *ast.LabeledStmt:
		return w.stops(info, s.Stmt)
	}
	return ""
}

// collected names what x lists a map's entries in the map's order with,
// if it does: slices.Collect or slices.AppendSeq of maps.Keys or Values,
// or reflect's MapKeys; "" otherwise.
func (c *checker) collected(x ast.Expr) string {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return ""
	}
	fn := callee(c.pass.TypesInfo, call)
	if fn != nil && fn.Name() == "MapKeys" && fn.Signature().Recv() != nil && isNamed(fn.Signature().Recv().Type(), "reflect", "Value") {
		return mapKeysName
	}
	switch path, name := pkgFunc(fn); {
	case path == "slices" && name == "Collect" && len(call.Args) == 1 && c.mapSeq(call.Args[0], nil):
		return "slices.Collect"
	case path == "slices" && name == "AppendSeq" && len(call.Args) == 2 && c.mapSeq(call.Args[1], nil):
		return "slices.AppendSeq"
	}
	return ""
}

// mapSeq reports whether x is an iterator over a map's entries in the
// map's order: maps.Keys, Values or All of one, a sync.Map's Range as a
// value, or a local variable only ever assigned one of these.
func (c *checker) mapSeq(x ast.Expr, seen []*types.Var) bool {
	switch x := ast.Unparen(x).(type) {
	case *ast.CallExpr:
		if c.reflectMapSeq(x) {
			return true
		}
		path, name := pkgFunc(callee(c.pass.TypesInfo, x))
		return path == "maps" && (name == "Keys" || name == "Values" || name == "All")
	case *ast.SelectorExpr:
		return c.syncMapRange(x)
	case *ast.Ident:
		v, ok := c.pass.TypesInfo.Uses[x].(*types.Var)
		if !ok {
			return false
		}
		vals, ok := c.assigned(v, seen)
		if !ok || len(vals) == 0 {
			return false
		}
		for _, val := range vals {
			if val.index != 0 || !c.mapSeq(val.expr, append(seen, v)) {
				return false
			}
		}
		return true
	}
	return false
}

// reflectMapSeq reports whether call is a reflect.Value's Seq or Seq2 of
// a map: the value is reflect.ValueOf of one (or a local variable only
// ever assigned that), or the call is under a condition or a case that
// names reflect.Map (if v.Kind() == reflect.Map, case reflect.Map).
func (c *checker) reflectMapSeq(call *ast.CallExpr) bool {
	info := c.pass.TypesInfo
	fn := callee(info, call)
	if fn == nil || fn.Name() != "Seq" && fn.Name() != "Seq2" || fn.Signature().Recv() == nil || !isNamed(fn.Signature().Recv().Type(), "reflect", "Value") {
		return false
	}
	var ofMap func(x ast.Expr, seen []*types.Var) bool
	ofMap = func(x ast.Expr, seen []*types.Var) bool {
		switch x := ast.Unparen(x).(type) {
		case *ast.CallExpr:
			path, name := pkgFunc(callee(info, x))
			if path == "reflect" && name == "ValueOf" && len(x.Args) == 1 {
				_, ok := info.TypeOf(x.Args[0]).Underlying().(*types.Map)
				return ok
			}
		case *ast.Ident:
			v, ok := info.Uses[x].(*types.Var)
			if !ok {
				return false
			}
			vals, ok := c.assigned(v, seen)
			return ok && len(vals) > 0 && !slices.ContainsFunc(vals, func(a assignedValue) bool { return a.index != 0 || !ofMap(a.expr, append(seen, v)) })
		}
		return false
	}
	if ofMap(ast.Unparen(call.Fun).(*ast.SelectorExpr).X, nil) {
		return true
	}
	f := fileOf(c.pass, call.Pos())
	if f == nil {
		return false
	}
	namesMap := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if k, ok := info.Uses[id].(*types.Const); ok && k.Pkg() != nil && k.Pkg().Path() == "reflect" && k.Name() == "Map" {
					found = true
				}
			}
			return !found
		})
		return found
	}
	under := false
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil || under || !(n.Pos() <= call.Pos() && call.Pos() < n.End()) {
			return false
		}
		switch n := n.(type) {
		case *ast.IfStmt:
			under = n.Body.Pos() <= call.Pos() && call.Pos() < n.Body.End() && namesMap(n.Cond)
		case *ast.CaseClause:
			under = slices.ContainsFunc(n.List, func(x ast.Expr) bool { return namesMap(x) })
		}
		return true
	})
	return under
}

// mapOrdered reports whether ranging over x visits a map's entries in the
// map's order: x is a map, an iterator over one (see mapSeq), or a slice
// collected from one.
func (c *checker) mapOrdered(x ast.Expr) bool {
	if _, ok := c.pass.TypesInfo.TypeOf(x).Underlying().(*types.Map); ok {
		return true
	}
	return c.collected(x) != "" || c.mapSeq(x, nil)
}

// orderLeak says how the order of the visits of body, in loop (a range
// loop, or a call whose callback body is), leaves it, or "" if it does
// not.
func (c *checker) orderLeak(f *ast.File, loop ast.Node, body *ast.BlockStmt, key types.Object) string {
	return c.leakIn(f, loop, body, key, map[ast.Node]bool{})
}

// leakIn is orderLeak for body, which is loop's body or, in seen, that of
// a function it calls, whose appends are its own business.
func (c *checker) leakIn(f *ast.File, loop ast.Node, body *ast.BlockStmt, key types.Object, seen map[ast.Node]bool) string {
	info := c.pass.TypesInfo
	callee := len(seen) > 0
	why := ""
	ast.Inspect(body, func(n ast.Node) bool {
		if why != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.SendStmt:
			why = "a channel send"
		case *ast.GoStmt:
			why = "a go statement"
		case *ast.AssignStmt:
			if callee {
				return true
			}
			for i, rhs := range n.Rhs {
				call, ok := rhs.(*ast.CallExpr)
				if !ok || len(n.Lhs) != len(n.Rhs) || !isBuiltin(info, call, "append") {
					continue
				}
				if w := c.appendLeak(f, loop, n.Lhs[i], key); w != "" {
					why = w
				}
			}
		case *ast.CallExpr:
			if why = c.callLeak(n); why != "" {
				return false
			}
			// A function of the package, a literal or a declaration,
			// carries the order out as its body does.
			lit, decl := c.funcOf(ast.Unparen(n.Fun))
			var fbody *ast.BlockStmt
			var fn ast.Node
			switch {
			case lit != nil:
				fbody, fn = lit.Body, lit
			case decl != nil && decl.Body != nil:
				fbody, fn = decl.Body, decl
			}
			if fbody != nil && !seen[fn] && len(seen) < 4 {
				seen[fn] = true
				if inner := c.leakIn(f, loop, fbody, key, seen); inner != "" {
					why = "a call of " + c.text(n.Fun) + ", which makes " + inner + ","
				}
			}
		}
		return true
	})
	return why
}

// callLeak says how call carries a map's order out on its own: a task
// started, a send, a write, a log line, a provider's call, a call that
// acts on the seed through simtest's handles; "" for any other.
func (c *checker) callLeak(call *ast.CallExpr) string {
	fn := callee(c.pass.TypesInfo, call)
	if fn == nil {
		return ""
	}
	name := fn.Name()
	var path string
	if fn.Pkg() != nil {
		path = fn.Pkg().Path()
	}
	if recv := fn.Signature().Recv(); recv != nil {
		switch {
		case name == "Go":
			return "a task started (" + name + ")"
		case isNamed(recv.Type(), providersPath, "Chan") && (name == "Send" || name == "TrySend"):
			return "a send"
		case strings.HasPrefix(name, "Write") || name == "Printf" || name == "Println" || name == "Print":
			return "a write (" + name + ")"
		case isNamed(recv.Type(), "log/slog", "Logger"),
			isNamed(recv.Type(), providersPath, "LibraryLogger") && name != "V":
			// A LibraryLogger's Error is a log line, not an
			// error's text (providerReads).
			return "a log line"
		case path == providersPath:
			switch {
			case providerReads(name):
				return "" // the same answer at every visit, whatever the order
			case name == "Now":
				return clockReadLeak
			}
			// Cancel, Unlock, Close...: each may wake a task, and
			// the order of the ready set is the seed's to decide. A
			// call whose arguments name no entry is no better: a
			// Sleep or a blocking Send parks between two visits, and
			// the other tasks see the visits' changes in the map's
			// order; a draw (IntN) or a timer (WithTimeout) gives each
			// entry what its place in the order picks.
			return "a provider call (" + name + ")"
		case path == simtestPath && !simtestReads(name):
			// A slow link, a partition, a reboot: the seed's faults in
			// the order they were made.
			return "a call that acts on the seed (" + name + ")"
		}
		return ""
	}
	if (path == "fmt" && (strings.HasPrefix(name, "Print") || strings.HasPrefix(name, "Fprint"))) ||
		path == "log" || path == "log/slog" && name != "String" && name != "Int" && name != "Any" {
		return "a write (" + path + "." + name + ")"
	}
	return ""
}

// clockReadLeak is how a clock read carries a map's order out: a pause
// may begin just after it (Cluster.PauseAfterClockRead, and half the
// pauses attrition draws), so the entries visited after the read that
// began it read a later time than those before, and the order decides
// which entries those are.
const clockReadLeak = "a clock read (Now, after which a pause may begin)"

// providerReads reports whether name is a method of the providers'
// types that only reads what stays the same through a walk: a task's
// name, the host's, the cluster's view of itself, a channel's length.
// No such call parks, wakes a task, draws from the seed, or is a point
// where a pause begins, so it tells every visit the same in any order.
func providerReads(name string) bool {
	switch name {
	case "Name", "Host", "Self", "Peers", "Boot", "Ready", "Len", "Cap", "String", "Error", "V", "Dir":
		return true
	}
	return false
}

// simtestReads reports whether name is a method of simtest's handles
// (S, Cluster, Net, Faults, Disk) that only reads: the others act on the
// seed, and their order is its history.
func simtestReads(name string) bool {
	switch name {
	case "Addr", "Alive", "ArtifactDir", "Boots", "ChaosConfig", "Cluster", "Config", "Context",
		"Disk", "Drawing", "Elapsed", "Failed", "Group", "Helper", "HostProviders", "Hosts",
		"Instance", "Logger", "Name", "Network", "Now", "Output", "Paused", "Peers", "ProcessesIn",
		"Providers", "Ready", "Release", "Seed", "Skipped", "Stats", "Storage", "TempDir",
		"Timeline", "Units":
		return true
	}
	return false
}

func isBuiltin(info *types.Info, call *ast.CallExpr, name string) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// appendLeak says how an append to lhs inside loop carries the map's
// order out: lhs outlives the function (a field, an element, a
// package-level variable), or it is a local variable used after the loop
// without being sorted first. An element of a map at the walk's key
// (out[k] = append(out[k], v)) is appended to by one visit only.
func (c *checker) appendLeak(f *ast.File, loop ast.Node, lhs ast.Expr, key types.Object) string {
	info := c.pass.TypesInfo
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		if c.fieldOfLocal(lhs, loop) {
			return "" // a field of a struct each visit makes anew
		}
		if ix, ok := ast.Unparen(lhs).(*ast.IndexExpr); ok && key != nil && mentionsOnly(info, ix.Index, key) {
			if _, ok := info.TypeOf(ix.X).Underlying().(*types.Map); ok {
				return "" // m[k] of the walk's own key: each visit has its own
			}
		}
		// A field or an element outlives the loop; it is fine if the
		// function sorts it after the loop.
		want := c.text(lhs)
		sorted := false
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || call.Pos() < loop.End() || sorted {
				return !sorted
			}
			path, name := pkgFunc(callee(info, call))
			if (path == "sort" || path == "slices" && strings.Contains(name, "Sort")) && len(call.Args) > 0 && c.text(call.Args[0]) == want {
				sorted = true
			}
			return true
		})
		if sorted {
			return ""
		}
		return "an append to " + want
	}
	v, ok := info.ObjectOf(id).(*types.Var)
	if !ok || v.Pos() > loop.Pos() && v.Pos() < loop.End() {
		return "" // declared in the loop: the order stays in it
	}
	if why := c.orderedInto(f, loop.End(), lhs, " after the loop"); why != "" {
		return "an append to " + why
	}
	return ""
}

// fieldOfLocal reports whether x is a field, or a field of a field, of a
// struct variable declared inside loop, reached without a pointer: each
// visit has its own, which the order of the visits does not reach.
func (c *checker) fieldOfLocal(x ast.Expr, loop ast.Node) bool {
	info := c.pass.TypesInfo
	x = ast.Unparen(x)
	if _, ok := x.(*ast.SelectorExpr); !ok {
		return false
	}
	for {
		sel, ok := x.(*ast.SelectorExpr)
		if !ok {
			break
		}
		if _, ok := info.TypeOf(sel.X).Underlying().(*types.Struct); !ok {
			return false
		}
		x = ast.Unparen(sel.X)
	}
	id, ok := x.(*ast.Ident)
	if !ok {
		return false
	}
	v, ok := info.Uses[id].(*types.Var)
	return ok && v.Pos() > loop.Pos() && v.Pos() < loop.End()
}

// orderedInto says how a slice in map order, stored in lhs by end, leaves:
// lhs is package-level ("package-level v"), or a local variable used
// after end before it is sorted ("v, used" + after + " unsorted,"); ""
// if it does not, or lhs is not an identifier.
func (c *checker) orderedInto(f *ast.File, end token.Pos, lhs ast.Expr, after string) string {
	info := c.pass.TypesInfo
	id, ok := ast.Unparen(lhs).(*ast.Ident)
	if !ok {
		return ""
	}
	v, ok := info.ObjectOf(id).(*types.Var)
	if !ok {
		return ""
	}
	if v.Parent() == v.Pkg().Scope() {
		return "package-level " + id.Name
	}
	// Is the variable sorted after the loop before it is used? An append
	// back to it (v = append(v, x), in another loop over a map or not)
	// adds to the slice and carries none of its order out: not a use.
	var sortedAt, usedAt token.Pos
	appended := map[*ast.Ident]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if dst, src := c.selfAppend(n, v); dst != nil {
				appended[dst], appended[src] = true, true
			}
		case *ast.CallExpr:
			if n.Pos() < end || (sortedAt.IsValid() && sortedAt < n.Pos()) {
				return true
			}
			path, name := pkgFunc(callee(info, n))
			if (path == "sort" || path == "slices" && strings.Contains(name, "Sort")) && mentions(info, n, v) {
				sortedAt = n.Pos()
				return false
			}
			if isBuiltin(info, n, "len") || isBuiltin(info, n, "cap") {
				return false
			}
		case *ast.Ident:
			if n.Pos() > end && info.Uses[n] == v && !appended[n] && (!usedAt.IsValid() || n.Pos() < usedAt) {
				usedAt = n.Pos()
			}
		}
		return true
	})
	if usedAt.IsValid() && (!sortedAt.IsValid() || usedAt < sortedAt) {
		return id.Name + ", used" + after + " unsorted,"
	}
	return ""
}

// selfAppend returns the two mentions of v in as, when as appends to v
// and stores the result back in it (v = append(v, ...)): the assigned
// variable and append's first argument; nil, nil otherwise.
func (c *checker) selfAppend(as *ast.AssignStmt, v *types.Var) (dst, src *ast.Ident) {
	info := c.pass.TypesInfo
	if as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
		return nil, nil
	}
	call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
	if !ok || len(call.Args) == 0 || !isBuiltin(info, call, "append") {
		return nil, nil
	}
	dst, ok = ast.Unparen(as.Lhs[0]).(*ast.Ident)
	if !ok || info.Uses[dst] != v {
		return nil, nil
	}
	src, ok = ast.Unparen(call.Args[0]).(*ast.Ident)
	if !ok || info.Uses[src] != v {
		return nil, nil
	}
	return dst, src
}

// mentions reports whether n refers to v.
func mentions(info *types.Info, n ast.Node, v types.Object) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.Ident); ok && info.Uses[id] == v {
			found = true
		}
		return !found
	})
	return found
}

// maporderFix ranges over the sorted keys instead, when the keys are of an
// ordered type and the map is named by a plain expression (evaluated twice
// once the value is looked up in the body).
func (c *checker) maporderFix(rng *ast.RangeStmt) []analysis.SuggestedFix {
	m, ok := c.pass.TypesInfo.TypeOf(rng.X).Underlying().(*types.Map)
	if !ok || rng.Tok != token.DEFINE || rng.Key == nil {
		return nil
	}
	if b, ok := m.Key().Underlying().(*types.Basic); !ok || b.Info()&types.IsOrdered == 0 {
		return nil
	}
	key, ok := rng.Key.(*ast.Ident)
	if !ok || key.Name == "_" {
		return nil
	}
	switch x := ast.Unparen(rng.X).(type) {
	case *ast.Ident:
	case *ast.SelectorExpr:
		if _, ok := x.X.(*ast.Ident); !ok {
			return nil
		}
	default:
		return nil
	}
	pos := rng.Pos()
	var edits []analysis.TextEdit
	for _, pkg := range []string{"slices", "maps"} {
		if !c.imported(pos, pkg, pkg) {
			if !c.free(pos, pkg) {
				return nil
			}
			edits = append(edits, c.addImport(pos, pkg)...)
		}
	}
	mx := c.text(rng.X)
	edits = append(edits, edit(rng.Key.Pos(), rng.X.End(), "_, "+key.Name+" := range slices.Sorted(maps.Keys("+mx+"))"))
	if v, ok := rng.Value.(*ast.Ident); ok && v.Name != "_" {
		// The value, looked up at the top of the body.
		at, text := rng.Body.Lbrace+1, "\n"+v.Name+" := "+mx+"["+key.Name+"]"
		if len(rng.Body.List) > 0 {
			at, text = rng.Body.List[0].Pos(), v.Name+" := "+mx+"["+key.Name+"]\n"
		}
		edits = append(edits, edit(at, at, text))
	}
	return []analysis.SuggestedFix{fix("range over the sorted keys", edits...)}
}

// mentionsOnly reports whether x is the variable v itself.
func mentionsOnly(info *types.Info, x ast.Expr, v types.Object) bool {
	id, ok := ast.Unparen(x).(*ast.Ident)
	return ok && info.Uses[id] == v
}
