//! Lowering of expressions and assignment targets.

use std::sync::Arc;

use interleave_machine::ir::{BinOp, CmpOp, Const, Expr, ExprKind, Target, UnaryOp, ATTRS};
use ruff_python_ast::{self as ast, Expr as AExpr, Number};
use ruff_text_size::{Ranged, TextRange};

use crate::diag::suggest;
use crate::lower::{Lowerer, Resolved, Result};

/// Deeper nesting is rejected rather than risking the stack.
const MAX_DEPTH: u32 = 200;

impl Lowerer<'_> {
    pub(crate) fn expr(&mut self, e: &AExpr) -> Result<Expr> {
        if self.depth >= MAX_DEPTH {
            let help = "split the expression into several assignments".to_string();
            return Err(self.src.diag(e.range(), "expression nested too deeply", "here", Some(help)));
        }
        self.depth += 1;
        let kind = self.expr_kind(e);
        self.depth -= 1;
        Ok(self.expr_at(kind?, e.range()))
    }

    fn boxed(&mut self, e: &AExpr) -> Result<Box<Expr>> {
        Ok(Box::new(self.expr(e)?))
    }

    fn exprs(&mut self, es: &[AExpr]) -> Result<Vec<Expr>> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr_kind(&mut self, e: &AExpr) -> Result<ExprKind> {
        Ok(match e {
            AExpr::BoolOp(b) => self.bool_op(b)?,
            AExpr::BinOp(b) => {
                ExprKind::Binary(self.bin_op(b.op, b.range)?, self.boxed(&b.left)?, self.boxed(&b.right)?)
            }
            AExpr::UnaryOp(u) => self.unary(u)?,
            AExpr::If(i) => ExprKind::IfElse(self.boxed(&i.test)?, self.boxed(&i.body)?, self.boxed(&i.orelse)?),
            AExpr::Dict(d) => self.dict(d)?,
            AExpr::ListComp(c) => self.list_comp(c)?,
            AExpr::Compare(c) => self.compare(c)?,
            AExpr::Call(c) => self.call(c)?,
            AExpr::FString(f) => self.fstring(f)?,
            AExpr::StringLiteral(s) => ExprKind::Const(Const::Str(Arc::from(s.value.to_str()))),
            AExpr::NumberLiteral(n) => self.number(n)?,
            AExpr::BooleanLiteral(b) => ExprKind::Const(Const::Bool(b.value)),
            AExpr::NoneLiteral(_) => ExprKind::Const(Const::None),
            AExpr::Attribute(a) => self.attribute(a)?,
            AExpr::Subscript(s) => self.subscript(s)?,
            AExpr::Name(n) => self.name(n.id.as_str(), n.range)?,
            AExpr::List(l) => ExprKind::List(self.exprs(&l.elts)?),
            AExpr::Tuple(t) => ExprKind::Tuple(self.exprs(&t.elts)?),
            other => return Err(self.unsupported_expr(other)),
        })
    }

    fn unsupported_expr(&self, e: &AExpr) -> Box<crate::Diagnostic> {
        let (what, help) = match e {
            AExpr::Lambda(_) => ("lambda", "define a function with `def` at module level and use its name"),
            AExpr::Named(_) => ("assignment expression (:=)", "assign in a separate statement"),
            AExpr::Set(_) => ("set literal", "use a list or a dict"),
            AExpr::SetComp(_) | AExpr::DictComp(_) => {
                ("set/dict comprehension", "use a list comprehension or a for loop")
            }
            AExpr::Generator(_) => ("generator expression", "use a list comprehension: [x for x in items]"),
            AExpr::Await(_) => ("await", "use multiprocessing instead of asyncio"),
            AExpr::Yield(_) | AExpr::YieldFrom(_) => ("yield", "return a list instead of yielding"),
            AExpr::TString(_) => ("t-string", "use an f-string"),
            AExpr::BytesLiteral(_) => ("bytes literal", "use a str literal"),
            AExpr::EllipsisLiteral(_) => ("`...`", "use None or `pass`"),
            AExpr::Starred(_) => ("starred expression", "pass or unpack the items one by one"),
            AExpr::Slice(_) => ("slice", "slices are only supported in subscripts: s[a:b]"),
            _ => ("this expression", "see the supported subset in README.md"),
        };
        self.src.unsupported(e.range(), what, help)
    }

    fn bool_op(&mut self, b: &ast::ExprBoolOp) -> Result<ExprKind> {
        let mut values = b.values.iter();
        let first = values.next().map(|v| self.expr(v)).transpose()?;
        let Some(mut acc) = first else {
            return Ok(ExprKind::Const(Const::Bool(b.op == ast::BoolOp::And)));
        };
        for v in values {
            let rhs = Box::new(self.expr(v)?);
            let kind = match b.op {
                ast::BoolOp::And => ExprKind::And(Box::new(acc), rhs),
                ast::BoolOp::Or => ExprKind::Or(Box::new(acc), rhs),
            };
            acc = self.expr_at(kind, TextRange::new(b.range.start(), v.range().end()));
        }
        Ok(acc.kind)
    }

    pub(crate) fn bin_op(&self, op: ast::Operator, range: TextRange) -> Result<BinOp> {
        use ast::Operator as O;
        Ok(match op {
            O::Add => BinOp::Add,
            O::Sub => BinOp::Sub,
            O::Mult => BinOp::Mul,
            O::FloorDiv => BinOp::FloorDiv,
            O::Div => BinOp::Div,
            O::Mod => BinOp::Mod,
            O::Pow => BinOp::Pow,
            other => {
                let what = format!("operator `{}`", other.as_str());
                return Err(self.src.unsupported(range, &what, "supported operators: + - * / // % **"));
            }
        })
    }

    fn unary(&mut self, u: &ast::ExprUnaryOp) -> Result<ExprKind> {
        let op = match u.op {
            ast::UnaryOp::Not => UnaryOp::Not,
            ast::UnaryOp::USub => UnaryOp::Neg,
            ast::UnaryOp::UAdd => UnaryOp::Pos,
            ast::UnaryOp::Invert => {
                return Err(self.src.unsupported(u.range, "operator `~`", "use `-x - 1` or `not x`"))
            }
        };
        let operand = self.expr(&u.operand)?;
        Ok(match (op, &operand.kind) {
            (UnaryOp::Neg, ExprKind::Const(Const::Int(i))) if i.checked_neg().is_some() => {
                ExprKind::Const(Const::Int(-i))
            }
            (UnaryOp::Neg, ExprKind::Const(Const::Float(f))) => {
                ExprKind::Const(Const::Float((-f64::from_bits(*f)).to_bits()))
            }
            _ => ExprKind::Unary(op, Box::new(operand)),
        })
    }

    fn number(&self, n: &ast::ExprNumberLiteral) -> Result<ExprKind> {
        match &n.value {
            Number::Int(i) => match i.as_i64() {
                Some(v) => Ok(ExprKind::Const(Const::Int(v))),
                None => Err(self.src.diag(
                    n.range,
                    "integer literal too large",
                    "does not fit in 64 bits",
                    Some("use integers between -2**63 and 2**63-1".into()),
                )),
            },
            Number::Float(f) => Ok(ExprKind::Const(Const::Float(f.to_bits()))),
            Number::Complex { .. } => {
                Err(self.src.unsupported(n.range, "complex number", "use int (or float for durations)"))
            }
        }
    }

    fn dict(&mut self, d: &ast::ExprDict) -> Result<ExprKind> {
        let mut items = Vec::new();
        for item in &d.items {
            let Some(key) = &item.key else {
                return Err(self.src.unsupported(
                    item.value.range(),
                    "dict unpacking (**)",
                    "list the items, or use `.update()`",
                ));
            };
            items.push((self.expr(key)?, self.expr(&item.value)?));
        }
        Ok(ExprKind::Dict(items))
    }

    fn list_comp(&mut self, c: &ast::ExprListComp) -> Result<ExprKind> {
        let [gen] = &c.generators[..] else {
            return Err(self.src.unsupported(c.range, "comprehension with several `for`s", "use nested for loops"));
        };
        if gen.is_async {
            return Err(self.src.unsupported(gen.range, "async comprehension", "use a plain `for`"));
        }
        let iter = self.boxed(&gen.iter)?;
        let target = self.target(&gen.target)?;
        let ifs = self.exprs(&gen.ifs)?;
        Ok(ExprKind::ListComp(self.boxed(&c.elt)?, target, iter, ifs))
    }

    /// `a < b < c` becomes `a < b and b < c` when each middle operand is a
    /// name or constant (evaluating it twice is then harmless).
    fn compare(&mut self, c: &ast::ExprCompare) -> Result<ExprKind> {
        for middle in c.comparators.iter().take(c.comparators.len().saturating_sub(1)) {
            if !matches!(
                middle,
                AExpr::Name(_)
                    | AExpr::NumberLiteral(_)
                    | AExpr::StringLiteral(_)
                    | AExpr::BooleanLiteral(_)
                    | AExpr::NoneLiteral(_)
            ) {
                return Err(self.src.unsupported(
                    middle.range(),
                    "chained comparison with a computed middle operand",
                    "assign the middle value to a variable first, or split with `and`",
                ));
            }
        }
        let mut left: &AExpr = &c.left;
        let mut acc: Option<Expr> = None;
        for (op, right) in c.ops.iter().zip(c.comparators.iter()) {
            let range = TextRange::new(left.range().start(), right.range().end());
            let kind = ExprKind::Compare(cmp_op(*op), self.boxed(left)?, self.boxed(right)?);
            let cmp = self.expr_at(kind, range);
            acc = Some(match acc {
                None => cmp,
                Some(prev) => self.expr_at(
                    ExprKind::And(Box::new(prev), Box::new(cmp)),
                    TextRange::new(c.range.start(), range.end()),
                ),
            });
            left = right;
        }
        match acc {
            Some(e) => Ok(e.kind),
            None => self.expr_kind(&c.left),
        }
    }

    fn name(&self, name: &str, range: TextRange) -> Result<ExprKind> {
        Ok(match self.resolve(name) {
            Some(Resolved::Local(i)) => ExprKind::Local(i),
            Some(Resolved::Global(i)) => ExprKind::Global(i),
            Some(Resolved::Function(i)) => ExprKind::Function(i),
            Some(Resolved::Builtin(b)) => ExprKind::Builtin(b),
            Some(Resolved::DunderName) => ExprKind::Const(Const::Str(Arc::from("__main__"))),
            Some(Resolved::Module(m)) => {
                let help = format!("use a member such as `{}.{}`", name, m.members()[0].0);
                return Err(self.src.diag(range, format!("module '{name}' used as a value"), "a module", Some(help)));
            }
            None => return Err(self.unknown_name(name, range)),
        })
    }

    /// The module a name stands for here, unless a variable shadows it.
    pub(crate) fn module_of(&self, e: &AExpr) -> Option<crate::names::Module> {
        match e {
            AExpr::Name(n) => match self.resolve(n.id.as_str()) {
                Some(Resolved::Module(m)) => Some(m),
                _ => None,
            },
            _ => None,
        }
    }

    /// A builtin named statically: `ValueError`, `queue.Empty`, `mp.Lock`.
    pub(crate) fn static_builtin(&self, e: &AExpr) -> Result<Option<interleave_machine::ir::Builtin>> {
        match e {
            AExpr::Name(n) => Ok(match self.resolve(n.id.as_str()) {
                Some(Resolved::Builtin(b)) => Some(b),
                None => return Err(self.unknown_name(n.id.as_str(), n.range)),
                _ => None,
            }),
            AExpr::Attribute(a) => match self.module_of(&a.value) {
                Some(m) => Ok(Some(self.member(m, a.attr.as_str(), a.attr.range())?)),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    fn attribute(&mut self, a: &ast::ExprAttribute) -> Result<ExprKind> {
        if let Some(m) = self.module_of(&a.value) {
            return Ok(ExprKind::Builtin(self.member(m, a.attr.as_str(), a.attr.range())?));
        }
        self.check_attr(a)?;
        Ok(ExprKind::Attr(self.boxed(&a.value)?, a.attr.to_string()))
    }

    fn check_attr(&self, a: &ast::ExprAttribute) -> Result<()> {
        let name = a.attr.as_str();
        if ATTRS.contains(&name) {
            return Ok(());
        }
        let help = match suggest(name, ATTRS.iter().copied()) {
            Some(s) => format!("did you mean '{s}'?"),
            None => format!("supported attributes: {}", ATTRS.join(", ")),
        };
        Err(self.src.diag(a.attr.range(), format!("unknown attribute '{name}'"), "not modelled", Some(help)))
    }

    fn subscript(&mut self, s: &ast::ExprSubscript) -> Result<ExprKind> {
        let value = self.boxed(&s.value)?;
        if let AExpr::Slice(sl) = &*s.slice {
            if let Some(step) = &sl.step {
                return Err(self.src.unsupported(step.range(), "slice step", "use `s[a:b]` without a step"));
            }
            let lo = sl.lower.as_deref().map(|e| self.boxed(e)).transpose()?;
            let hi = sl.upper.as_deref().map(|e| self.boxed(e)).transpose()?;
            return Ok(ExprKind::Slice(value, lo, hi));
        }
        Ok(ExprKind::Subscript(value, self.boxed(&s.slice)?))
    }

    /// An assignment target (also `for` targets, `with ... as`, comprehensions).
    pub(crate) fn target(&mut self, t: &AExpr) -> Result<Target> {
        let span = self.src.span(t.range());
        Ok(match t {
            AExpr::Name(n) => self.name_target(n.id.as_str(), n.range)?,
            AExpr::Tuple(tu) => Target::Tuple(self.targets(&tu.elts)?, span),
            AExpr::List(l) => Target::Tuple(self.targets(&l.elts)?, span),
            AExpr::Subscript(s) if matches!(&*s.slice, AExpr::Slice(_)) => {
                return Err(self.src.unsupported(s.range, "slice assignment", "assign items one by one"));
            }
            AExpr::Subscript(s) => Target::Subscript(self.boxed(&s.value)?, self.boxed(&s.slice)?, span),
            AExpr::Attribute(a) if self.module_of(&a.value).is_some() => {
                return Err(self.src.unsupported(
                    a.range,
                    "assignment to a module attribute",
                    "use a module-level variable",
                ));
            }
            AExpr::Attribute(a) => {
                self.check_attr(a)?;
                Target::Attr(self.boxed(&a.value)?, a.attr.to_string(), span)
            }
            AExpr::Starred(_) => {
                return Err(self.src.unsupported(
                    t.range(),
                    "starred assignment",
                    "unpack a fixed number of items: `a, b = pair`",
                ))
            }
            other => {
                let help = "assign to a name, `x[i]`, `obj.attr`, or a tuple of these".to_string();
                return Err(self.src.diag(
                    other.range(),
                    "cannot assign to this expression",
                    "not a target",
                    Some(help),
                ));
            }
        })
    }

    fn targets(&mut self, ts: &[AExpr]) -> Result<Vec<Target>> {
        ts.iter().map(|t| self.target(t)).collect()
    }
}

fn cmp_op(op: ast::CmpOp) -> CmpOp {
    use ast::CmpOp as C;
    match op {
        C::Eq => CmpOp::Eq,
        C::NotEq => CmpOp::Ne,
        C::Lt => CmpOp::Lt,
        C::LtE => CmpOp::Le,
        C::Gt => CmpOp::Gt,
        C::GtE => CmpOp::Ge,
        C::Is => CmpOp::Is,
        C::IsNot => CmpOp::IsNot,
        C::In => CmpOp::In,
        C::NotIn => CmpOp::NotIn,
    }
}
