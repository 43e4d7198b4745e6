package simvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// A walk that keeps an entry without stopping at the first: the last
// entry it visits wins (last = k), or the last that passes a filter
// (if v.ok { pick = k }), or it stops at the first that passes one
// (if v.ok { return k }). Which entry that is, the map's order decides,
// unless only one entry can match (a search: k == want, v == want), or
// the entry kept is chosen by a comparison with what the walk kept so far
// (a max or a min), or is combined with it in a way that does not depend
// on the order (a sum, a count, a set).

// flow follows what a walk's body computes from its entries: roots maps a
// variable declared in the walk to the entries it is computed from.
type flow struct {
	info  *types.Info
	span  ast.Node // the walk: what is declared in it belongs to it
	body  *ast.BlockStmt
	roots map[types.Object][]types.Object
}

func newFlow(info *types.Info, w *mapWalk) *flow {
	fl := &flow{info: info, span: w.span, body: w.body, roots: map[types.Object][]types.Object{}}
	for _, e := range w.entry {
		if e != nil {
			fl.roots[e] = []types.Object{e}
		}
	}
	// Until nothing changes: a variable assigned from an entry, or from a
	// variable computed from one, is computed from it.
	add := func(id *ast.Ident, from ast.Expr) bool {
		obj := info.ObjectOf(id)
		if obj == nil || !fl.inside(obj) {
			return false
		}
		changed := false
		for _, r := range fl.exprRoots(from) {
			if !slices.Contains(fl.roots[obj], r) {
				fl.roots[obj] = append(fl.roots[obj], r)
				changed = true
			}
		}
		return changed
	}
	for changed := true; changed; {
		changed = false
		ast.Inspect(w.body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					id, ok := lhs.(*ast.Ident)
					if !ok {
						continue
					}
					rhs := n.Rhs[0]
					if len(n.Lhs) == len(n.Rhs) {
						rhs = n.Rhs[i]
					}
					changed = add(id, rhs) || changed
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if len(n.Values) == len(n.Names) {
						changed = add(id, n.Values[i]) || changed
					} else if len(n.Values) == 1 {
						changed = add(id, n.Values[0]) || changed
					}
				}
			case *ast.RangeStmt:
				for _, v := range []ast.Expr{n.Key, n.Value} {
					if id, ok := v.(*ast.Ident); ok {
						changed = add(id, n.X) || changed
					}
				}
			case *ast.TypeSwitchStmt:
				as, ok := n.Assign.(*ast.AssignStmt)
				if !ok || len(as.Rhs) != 1 {
					return true
				}
				for _, cc := range n.Body.List {
					if obj := info.Implicits[cc]; obj != nil {
						for _, r := range fl.exprRoots(as.Rhs[0]) {
							if !slices.Contains(fl.roots[obj], r) {
								fl.roots[obj] = append(fl.roots[obj], r)
								changed = true
							}
						}
					}
				}
			}
			return true
		})
	}
	return fl
}

// inside reports whether obj is declared in the walk.
func (fl *flow) inside(obj types.Object) bool {
	return obj.Pos() >= fl.span.Pos() && obj.Pos() < fl.span.End()
}

// exprRoots returns the entries x is computed from.
func (fl *flow) exprRoots(x ast.Node) []types.Object {
	var out []types.Object
	ast.Inspect(x, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			for _, r := range fl.roots[fl.info.Uses[id]] {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
		return true
	})
	return out
}

func (fl *flow) tainted(x ast.Node) bool { return len(fl.exprRoots(x)) > 0 }

// guard is a condition a statement of the walk runs under: an if's (cond,
// or its negation in the else branch or after an if that goes on to the
// next entry), or a switch case's (tag equal to one of cases).
type guard struct {
	cond    ast.Expr
	negated bool
	tag     ast.Expr
	cases   []ast.Expr
}

// keepCtx is where a statement of the walk's body is.
type keepCtx struct {
	guards []guard
	// inner: a plain break leaves a switch, a select or a loop inside the
	// walk, and a plain continue such a loop; labels name those.
	innerBreak, innerContinue bool
	labels                    []string
}

func (k keepCtx) with(g guard) keepCtx {
	k.guards = append(slices.Clip(k.guards), g)
	return k
}

// keeps says how w keeps an entry that its order picks (see the top of
// this file), and what to do instead, or "".
func (c *checker) keeps(f *ast.File, w *mapWalk) (why, fix string) {
	fl := newFlow(c.pass.TypesInfo, w)
	fix = w.first
	var list func(stmts []ast.Stmt, k keepCtx)
	var stmt func(s ast.Stmt, rest []ast.Stmt, k keepCtx) keepCtx
	list = func(stmts []ast.Stmt, k keepCtx) {
		for i, s := range stmts {
			if why != "" {
				return
			}
			k = stmt(s, stmts[i+1:], k)
		}
	}
	stmt = func(s ast.Stmt, rest []ast.Stmt, k keepCtx) keepCtx {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if y, x := c.keptByAssign(f, w, fl, s, rest, k); y != "" {
				why, fix = y, x
			}
		case *ast.ReturnStmt:
			if w.callback || len(k.guards) == 0 {
				return k // an unconditional return is stops' to report
			}
			for _, r := range s.Results {
				// An error returned under a condition is left alone,
				// but in a test's own file when it names the entry: a
				// check's message, which then differs on every replay
				// of the seed that failed it.
				isErr := isError(c.pass.TypesInfo.TypeOf(r))
				named := isErr && c.inTestFile(r) &&
					slices.ContainsFunc(w.entry, func(v types.Object) bool { return mentions(c.pass.TypesInfo, r, v) })
				if fl.tainted(r) && (!isErr || named) && !c.search(w, fl, k) {
					how := "return " + c.text(r)
					if len(how) > 30 || strings.Contains(how, "\n") {
						how = "return"
					}
					why = w.where + " stops at the first entry that passes a condition (" + how + "), so when several pass, that order picks the one it takes"
					return k
				}
			}
		case *ast.BlockStmt:
			list(s.List, k)
		case *ast.LabeledStmt:
			switch loop := s.Stmt.(type) {
			case *ast.ForStmt:
				list(loop.Body.List, innerLoop(k, s.Label.Name))
				return k
			case *ast.RangeStmt:
				list(loop.Body.List, innerLoop(k, s.Label.Name))
				return k
			}
			inner := k // a switch or a select, which break L leaves
			inner.labels = append(slices.Clip(k.labels), s.Label.Name)
			stmt(s.Stmt, rest, inner)
			return k
		case *ast.IfStmt:
			if s.Init != nil {
				stmt(s.Init, nil, k)
			}
			list(s.Body.List, k.with(guard{cond: s.Cond}))
			if s.Else != nil {
				stmt(s.Else, nil, k.with(guard{cond: s.Cond, negated: true}))
			} else if c.goesOn(w, s.Body, k) {
				// if cond { continue }: what follows runs when cond does
				// not hold.
				return k.with(guard{cond: s.Cond, negated: true})
			}
		case *ast.SwitchStmt:
			if s.Init != nil {
				stmt(s.Init, nil, k)
			}
			inner := k
			inner.innerBreak = true
			for _, cc := range s.Body.List {
				cc := cc.(*ast.CaseClause)
				g := guard{tag: s.Tag, cases: cc.List}
				if s.Tag == nil && len(cc.List) == 1 {
					g = guard{cond: cc.List[0]}
				}
				list(cc.Body, inner.with(g))
			}
		case *ast.TypeSwitchStmt:
			inner := k
			inner.innerBreak = true
			for _, cc := range s.Body.List {
				list(cc.(*ast.CaseClause).Body, inner.with(guard{}))
			}
		case *ast.SelectStmt:
			inner := k
			inner.innerBreak = true
			for _, cc := range s.Body.List {
				list(cc.(*ast.CommClause).Body, inner.with(guard{}))
			}
		case *ast.ForStmt:
			list(s.Body.List, innerLoop(k, ""))
		case *ast.RangeStmt:
			list(s.Body.List, innerLoop(k, ""))
		}
		return k
	}
	list(w.body.List, keepCtx{})
	return why, fix
}

// innerLoop is the context of the body of a loop inside a walk, labelled
// label.
func innerLoop(k keepCtx, label string) keepCtx {
	k.innerBreak, k.innerContinue = true, true
	if label != "" {
		k.labels = append(slices.Clip(k.labels), label)
	}
	return k
}

// leaves reports whether s, in context k, always leaves the walk.
func (c *checker) leaves(w *mapWalk, s ast.Stmt, k keepCtx) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return !w.callback || w.stops(c.pass.TypesInfo, s) != ""
	case *ast.BranchStmt:
		switch {
		case s.Label != nil && slices.Contains(k.labels, s.Label.Name):
			return false
		case s.Tok == token.BREAK:
			return s.Label != nil || !k.innerBreak
		case s.Tok == token.CONTINUE:
			return s.Label != nil && s.Label.Name != w.label
		}
	case *ast.ExprStmt:
		if call, ok := s.X.(*ast.CallExpr); ok && isBuiltin(c.pass.TypesInfo, call, "panic") {
			return true
		}
	case *ast.BlockStmt:
		return slices.ContainsFunc(s.List, func(s ast.Stmt) bool { return c.leaves(w, s, k) })
	case *ast.IfStmt:
		return s.Else != nil && c.leaves(w, s.Body, k) && c.leaves(w, s.Else, k)
	case *ast.LabeledStmt:
		return c.leaves(w, s.Stmt, k)
	}
	return false
}

// goesOn reports whether body, an if's, ends by going on to the walk's
// next entry: a continue of the walk, or a Range callback's return true.
func (c *checker) goesOn(w *mapWalk, body *ast.BlockStmt, k keepCtx) bool {
	if len(body.List) == 0 {
		return false
	}
	switch s := body.List[len(body.List)-1].(type) {
	case *ast.BranchStmt:
		if s.Tok != token.CONTINUE {
			return false
		}
		if s.Label != nil {
			return s.Label.Name == w.label
		}
		return !k.innerContinue
	case *ast.ReturnStmt:
		if !w.callback || len(s.Results) != 1 {
			return false
		}
		tv, ok := c.pass.TypesInfo.Types[s.Results[0]]
		return ok && tv.Value != nil && tv.Value.ExactString() == "true"
	}
	return false
}

// keptByAssign says how as, in w's body, keeps an entry that w's order
// picks, or "". rest is what follows as in its block.
func (c *checker) keptByAssign(f *ast.File, w *mapWalk, fl *flow, as *ast.AssignStmt, rest []ast.Stmt, k keepCtx) (why, fix string) {
	info := c.pass.TypesInfo
	for i, lhs := range as.Lhs {
		rhs := as.Rhs[0]
		if len(as.Lhs) == len(as.Rhs) {
			rhs = as.Rhs[i]
		}
		target := c.outerTarget(fl, w, lhs)
		if target == nil || !fl.tainted(rhs) {
			continue
		}
		if call, ok := ast.Unparen(rhs).(*ast.CallExpr); ok && isBuiltin(info, call, "append") {
			continue // an append is orderLeak's
		}
		t := info.TypeOf(lhs)
		name := c.text(lhs)
		if slices.ContainsFunc(rest, func(s ast.Stmt) bool { return c.leaves(w, s, k) }) {
			// pick = k; break: the first entry that passes the guards.
			if len(k.guards) == 0 || isError(t) || c.search(w, fl, k) {
				continue // unconditional: stops' to report
			}
			return w.where + " stops at the first entry that passes a condition, keeping it in " + name + ", so when several pass, that order picks the one it keeps", w.first
		}
		if !c.usedAfter(f, w.span, target, lhs) {
			continue
		}
		// Combined with what it holds: a sum, a count, a max, a set.
		if as.Tok != token.ASSIGN && as.Tok != token.DEFINE {
			if isString(t) && as.Tok == token.ADD_ASSIGN {
				return "a string built in " + name + " (+=) in that order carries it out of " + w.where, w.fix
			}
			continue
		}
		if c.combines(rhs, lhs, t) {
			continue
		}
		if len(k.guards) > 0 && (isError(t) || c.search(w, fl, k)) || c.checked(w, k, lhs, rhs) || isError(t) && c.errChecked(w, rest, k, target) {
			continue
		}
		if g, covered := c.extreme(fl, w, k, rhs); g {
			if covered {
				continue
			}
			return "an assignment to " + name + " keeps, of the entries that tie in the comparison above it, the last that order visits", "break the tie by the key as well (v > best || v == best && k < bestKey)"
		}
		if len(k.guards) > 0 {
			return "an assignment to " + name + " keeps an entry that passes the condition above it, which that order picks when several pass", w.last
		}
		return "an assignment to " + name + " keeps the last entry visited, which that order picks", w.last
	}
	return "", ""
}

// outerTarget returns the variable that lhs, a variable or a field path of
// one, stores into, when it is declared outside w; else nil.
func (c *checker) outerTarget(fl *flow, w *mapWalk, lhs ast.Expr) *types.Var {
	x := ast.Unparen(lhs)
	if _, ok := x.(*ast.SelectorExpr); ok && c.fieldOfLocal(x, w.span) {
		return nil
	}
	for {
		sel, ok := x.(*ast.SelectorExpr)
		if !ok {
			break
		}
		if id, ok := sel.X.(*ast.Ident); ok {
			if _, ok := c.pass.TypesInfo.Uses[id].(*types.PkgName); ok {
				x = sel.Sel
				break
			}
		}
		x = ast.Unparen(sel.X)
	}
	id, ok := x.(*ast.Ident)
	if !ok || id.Name == "_" {
		return nil
	}
	v, ok := c.pass.TypesInfo.ObjectOf(id).(*types.Var)
	if !ok || fl.inside(v) {
		return nil
	}
	return v
}

// usedAfter reports whether what lhs stores into v outlives w: v is
// package-level, lhs a field, v a named result, or v is read after w
// other than to compare it with a constant or nil (found or not, which no
// order changes).
func (c *checker) usedAfter(f *ast.File, walk ast.Node, v *types.Var, lhs ast.Expr) bool {
	info := c.pass.TypesInfo
	if _, ok := ast.Unparen(lhs).(*ast.SelectorExpr); ok || v.Parent() == v.Pkg().Scope() {
		return true
	}
	used := false
	ast.PreorderStack(f, nil, func(n ast.Node, stack []ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncType:
			if n.Results != nil && n.Results.Pos() <= v.Pos() && v.Pos() < n.Results.End() {
				used = true // a named result, which a bare return reads
			}
		case *ast.Ident:
			if n.Pos() < walk.End() || info.Uses[n] != v {
				return true
			}
			if len(stack) > 0 {
				switch p := stack[len(stack)-1].(type) {
				case *ast.BinaryExpr:
					other := p.X
					if other == n {
						other = p.Y
					}
					if tv, ok := info.Types[other]; (p.Op == token.EQL || p.Op == token.NEQ) && ok && (tv.Value != nil || tv.IsNil()) {
						return true
					}
				case *ast.AssignStmt:
					if slices.Contains(p.Lhs, ast.Expr(n)) && p.Tok == token.ASSIGN {
						return true
					}
				}
			}
			used = true
		}
		return !used
	})
	return used
}

// combines reports whether rhs combines lhs's value with an entry in a way
// no order changes: arithmetic, logic and bits on numbers and booleans,
// min and max, or a call given lhs (taken for a combination, except
// errors.Join and fmt's, which keep the order).
func (c *checker) combines(rhs, lhs ast.Expr, t types.Type) bool {
	info := c.pass.TypesInfo
	target := c.text(lhs)
	has := false
	ast.Inspect(rhs, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && c.text(e) == target {
			has = true
		}
		return !has
	})
	if !has {
		return false
	}
	if call, ok := ast.Unparen(rhs).(*ast.CallExpr); ok {
		if isBuiltin(info, call, "min") || isBuiltin(info, call, "max") {
			return true
		}
		path, name := pkgFunc(callee(info, call))
		if path == "errors" && name == "Join" || path == "fmt" || path == "strings" && name == "Join" {
			return false
		}
		return !isString(t)
	}
	return !isString(t)
}

// checked reports whether lhs = rhs follows, in its block, a check that
// leaves the walk when lhs already holds something else (if x != "" && x
// != h { return }): every entry it keeps is then the same.
func (c *checker) checked(w *mapWalk, k keepCtx, lhs, rhs ast.Expr) bool {
	l, r := c.text(lhs), c.text(rhs)
	found := false
	ast.Inspect(w.body, func(n ast.Node) bool {
		is, ok := n.(*ast.IfStmt)
		if !ok || found || is.Pos() > lhs.Pos() || !c.leaves(w, is.Body, k) {
			return !found
		}
		conjuncts(is.Cond, true, func(x ast.Expr, positive bool) {
			if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.NEQ && positive {
				a, bb := c.text(b.X), c.text(b.Y)
				if a == l && bb == r || a == r && bb == l {
					found = true
				}
			}
		})
		return !found
	})
	return found
}

// errChecked reports whether err, an error the walk assigns, is checked
// by what follows it (if err != nil { return err }): the walk goes on only
// while it is nil, so it is nil after the walk, whatever the order.
func (c *checker) errChecked(w *mapWalk, rest []ast.Stmt, k keepCtx, err *types.Var) bool {
	for _, s := range rest {
		is, ok := s.(*ast.IfStmt)
		if ok && mentions(c.pass.TypesInfo, is.Cond, err) && c.leaves(w, is.Body, k) {
			return true
		}
	}
	return false
}

// search reports whether a guard in k lets through one entry, or entries
// equal where it looks: a conjunct of it compares the key, or something
// computed from the entry, for equality with something the entry does
// not decide; with a variable (v == want: the value looked for), not a
// constant or nil, unless it is the key (k == "a"). A constant is a
// state that many entries may share (v.state == Ready, err == nil): a
// filter.
func (c *checker) search(w *mapWalk, fl *flow, k keepCtx) bool {
	info := c.pass.TypesInfo
	eq := func(a, b ast.Expr) bool {
		if fl.tainted(b) {
			a, b = b, a
		}
		if !fl.tainted(a) || fl.tainted(b) {
			return false
		}
		if id, ok := ast.Unparen(a).(*ast.Ident); ok && w.key != nil && info.Uses[id] == w.key {
			return true
		}
		tv, ok := info.Types[b]
		return !ok || tv.Value == nil && !tv.IsNil()
	}
	for _, g := range k.guards {
		if g.tag != nil {
			if fl.tainted(g.tag) && len(g.cases) > 0 && !slices.ContainsFunc(g.cases, func(x ast.Expr) bool { return fl.tainted(x) }) {
				return true
			}
			continue
		}
		if g.cond == nil {
			continue
		}
		found := false
		conjuncts(g.cond, !g.negated, func(x ast.Expr, positive bool) {
			switch x := x.(type) {
			case *ast.BinaryExpr:
				if (x.Op == token.EQL && positive || x.Op == token.NEQ && !positive) && eq(x.X, x.Y) {
					found = true
				}
			case *ast.CallExpr:
				if !positive {
					return
				}
				fn := callee(c.pass.TypesInfo, x)
				if fn == nil || !strings.HasSuffix(fn.Name(), "Equal") && fn.Name() != "Equals" && fn.Name() != "EqualFold" && fn.Name() != "Identical" &&
					!strings.HasPrefix(fn.Name(), "same") && !strings.HasPrefix(fn.Name(), "Same") {
					return
				}
				args := slices.Clone(x.Args)
				if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok && fn.Signature().Recv() != nil {
					args = append(args, sel.X)
				}
				if len(args) == 2 && eq(args[0], args[1]) {
					found = true
				}
			}
		})
		if found {
			return true
		}
	}
	return false
}

// conjuncts calls fn with each condition that must hold when x is
// positive (x's && operands, or a negated ||'s), with its polarity.
func conjuncts(x ast.Expr, positive bool, fn func(ast.Expr, bool)) {
	x = ast.Unparen(x)
	if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.NOT {
		conjuncts(u.X, !positive, fn)
		return
	}
	if b, ok := x.(*ast.BinaryExpr); ok && (b.Op == token.LAND && positive || b.Op == token.LOR && !positive) {
		conjuncts(b.X, positive, fn)
		conjuncts(b.Y, positive, fn)
		return
	}
	fn(x, positive)
}

// extreme reports whether a guard in k compares something computed from
// the entry with what the walk has kept so far (a variable declared
// outside it and assigned in it): a max or a min. covered says whether
// the guards read every entry rhs is computed from, so that a tie is
// broken: if v > best { bestKey = k } keeps, of the keys whose values tie,
// the last visited.
func (c *checker) extreme(fl *flow, w *mapWalk, k keepCtx, rhs ast.Expr) (is, covered bool) {
	info := c.pass.TypesInfo
	kept := func(x ast.Expr) bool {
		found := false
		ast.Inspect(x, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if v, ok := info.Uses[id].(*types.Var); ok && !fl.inside(v) && assignedIn(info, w.body, v) {
					found = true
				}
			}
			return !found
		})
		return found
	}
	var read []types.Object
	for _, g := range k.guards {
		if g.cond == nil {
			continue
		}
		ast.Inspect(g.cond, func(n ast.Node) bool {
			var a, b ast.Expr
			switch n := n.(type) {
			case *ast.BinaryExpr:
				switch n.Op {
				case token.LSS, token.GTR, token.LEQ, token.GEQ:
					a, b = n.X, n.Y
				}
			case *ast.CallExpr:
				fn := callee(info, n)
				if fn == nil {
					break
				}
				switch fn.Name() {
				case "Compare", "Less", "Before", "After", "Cmp":
					args := slices.Clone(n.Args)
					if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && fn.Signature().Recv() != nil {
						args = append(args, sel.X)
					}
					if len(args) == 2 {
						a, b = args[0], args[1]
					}
				}
			}
			if a != nil && (fl.tainted(a) && kept(b) || fl.tainted(b) && kept(a)) {
				is = true
			}
			return true
		})
		read = append(read, fl.exprRoots(g.cond)...)
	}
	if !is {
		return false, false
	}
	for _, r := range fl.exprRoots(rhs) {
		if !slices.Contains(read, r) {
			return true, false
		}
	}
	return true, true
}

// assignedIn reports whether body assigns v.
func assignedIn(info *types.Info, body ast.Node, v *types.Var) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if id, ok := ast.Unparen(l).(*ast.Ident); ok && info.ObjectOf(id) == v {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func isError(t types.Type) bool {
	return t != nil && types.Identical(t, types.Universe.Lookup("error").Type())
}

func isString(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

// inTestFile reports whether n is in a _test.go file.
func (c *checker) inTestFile(n ast.Node) bool {
	return strings.HasSuffix(c.pass.Fset.Position(n.Pos()).Filename, "_test.go")
}
