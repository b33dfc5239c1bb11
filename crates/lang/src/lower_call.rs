//! Lowering of calls (own functions, builtins, methods) and f-strings.

use interleave_machine::ir::{Builtin, Callee, Expr, ExprKind, FPart, METHODS};
use ruff_python_ast::{self as ast, Expr as AExpr};
use ruff_text_size::{Ranged, TextRange};

use crate::diag::suggest;
use crate::lower::{Lowerer, Resolved, Result};

impl Lowerer<'_> {
    pub(crate) fn call(&mut self, c: &ast::ExprCall) -> Result<ExprKind> {
        self.check_plain_args(&c.arguments)?;
        match &*c.func {
            AExpr::Name(n) => self.call_name(n, c),
            AExpr::Attribute(a) => self.call_attr(a, c),
            other => {
                let help = "call a function of the file, a builtin, or a method: `f(x)`, `q.put(x)`".to_string();
                Err(self.src.diag(other.range(), "unsupported callee", "cannot call this", Some(help)))
            }
        }
    }

    fn check_plain_args(&self, args: &ast::Arguments) -> Result<()> {
        if let Some(s) = args.args.iter().find(|a| a.is_starred_expr()) {
            return Err(self.src.unsupported(s.range(), "`*args` in a call", "pass the arguments one by one"));
        }
        if let Some(k) = args.keywords.iter().find(|k| k.arg.is_none()) {
            return Err(self.src.unsupported(k.range(), "`**kwargs` in a call", "pass keyword arguments by name"));
        }
        Ok(())
    }

    fn call_name(&mut self, n: &ast::ExprName, c: &ast::ExprCall) -> Result<ExprKind> {
        match self.resolve(n.id.as_str()) {
            Some(Resolved::Function(i)) => self.call_function(i, n.id.as_str(), c),
            Some(Resolved::Builtin(b)) => self.call_builtin(b, c),
            Some(Resolved::Local(_) | Resolved::Global(_)) => {
                let help = "call the function by its own name; passing functions around is only supported as `Process(target=f)`".to_string();
                Err(self.src.diag(
                    n.range,
                    format!("calling the variable '{}'", n.id),
                    "a variable, not a function",
                    Some(help),
                ))
            }
            Some(Resolved::Module(_) | Resolved::DunderName) => Err(self.src.diag(
                n.range,
                format!("'{}' is not callable", n.id),
                "not a function",
                Some("call a member, e.g. `time.sleep(1)`".into()),
            )),
            None => Err(self.unknown_name(n.id.as_str(), n.range)),
        }
    }

    fn call_builtin(&mut self, b: Builtin, c: &ast::ExprCall) -> Result<ExprKind> {
        let args = self.call_args(c)?;
        let kwargs = self.call_kwargs(c)?;
        Ok(ExprKind::Call(Callee::Builtin(b), args, kwargs))
    }

    fn call_args(&mut self, c: &ast::ExprCall) -> Result<Vec<Expr>> {
        c.arguments.args.iter().map(|a| self.expr(a)).collect()
    }

    fn call_kwargs(&mut self, c: &ast::ExprCall) -> Result<Vec<(String, Expr)>> {
        let mut out = Vec::new();
        for k in &c.arguments.keywords {
            let name = k.arg.as_ref().map(|a| a.to_string()).unwrap_or_default();
            out.push((name, self.expr(&k.value)?));
        }
        Ok(out)
    }

    fn call_attr(&mut self, a: &ast::ExprAttribute, c: &ast::ExprCall) -> Result<ExprKind> {
        if let Some(m) = self.module_of(&a.value) {
            let b = self.member(m, a.attr.as_str(), a.attr.range())?;
            return self.call_builtin(b, c);
        }
        let name = a.attr.as_str();
        if !METHODS.contains(&name) {
            let help = match suggest(name, METHODS.iter().copied()) {
                Some(s) => format!("did you mean '{s}'?"),
                None => "see the supported methods in README.md".to_string(),
            };
            return Err(self.src.diag(a.attr.range(), format!("unknown method '{name}'"), "not modelled", Some(help)));
        }
        let receiver = Box::new(self.expr(&a.value)?);
        let args = self.call_args(c)?;
        let kwargs = self.call_kwargs(c)?;
        Ok(ExprKind::Call(Callee::Method(receiver, name.to_string()), args, kwargs))
    }

    /// A call of a function of the file: keywords become positions, gaps
    /// before the last given argument take the default, trailing defaults
    /// are left for the machine.
    fn call_function(&mut self, index: u32, fname: &str, c: &ast::ExprCall) -> Result<ExprKind> {
        let params = self.params[index as usize].clone();
        if c.arguments.args.len() > params.len() {
            let msg = format!("{fname}() takes {} arguments but {} were given", params.len(), c.arguments.args.len());
            return Err(self.src.diag(c.range(), msg, "too many arguments", Some(signature_help(fname, &params))));
        }
        let mut slots: Vec<Option<Expr>> = self.call_args(c)?.into_iter().map(Some).collect();
        slots.resize(params.len(), None);
        for k in &c.arguments.keywords {
            let name = k.arg.as_ref().map(|a| a.as_str()).unwrap_or_default();
            let pos = self.keyword_position(fname, &params, name, k.range())?;
            if slots[pos].is_some() {
                let msg = format!("{fname}() got multiple values for argument '{name}'");
                return Err(self.src.diag(k.range(), msg, "given twice", Some(signature_help(fname, &params))));
            }
            slots[pos] = Some(self.expr(&k.value)?);
        }
        let args = self.fill_defaults(fname, &params, slots, c.range())?;
        Ok(ExprKind::Call(Callee::Function(index), args, Vec::new()))
    }

    fn keyword_position(
        &self,
        fname: &str,
        params: &[interleave_machine::ir::Param],
        name: &str,
        range: TextRange,
    ) -> Result<usize> {
        params.iter().position(|p| p.name == name).ok_or_else(|| {
            let help = match suggest(name, params.iter().map(|p| p.name.as_str())) {
                Some(s) => format!("did you mean '{s}'?"),
                None => signature_help(fname, params),
            };
            self.src.diag(range, format!("{fname}() has no parameter '{name}'"), "unknown keyword", Some(help))
        })
    }

    fn fill_defaults(
        &self,
        fname: &str,
        params: &[interleave_machine::ir::Param],
        slots: Vec<Option<Expr>>,
        range: TextRange,
    ) -> Result<Vec<Expr>> {
        let given = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let mut args = Vec::new();
        for (i, (slot, p)) in slots.into_iter().zip(params).enumerate() {
            match (slot, &p.default) {
                (Some(e), _) => args.push(e),
                (None, Some(d)) if i < given => args.push(d.clone()),
                (None, Some(_)) => {}
                (None, None) => {
                    let msg = format!("{fname}() missing argument '{}'", p.name);
                    return Err(self.src.diag(range, msg, "in this call", Some(signature_help(fname, params))));
                }
            }
        }
        Ok(args)
    }

    pub(crate) fn fstring(&mut self, f: &ast::ExprFString) -> Result<ExprKind> {
        let mut parts = Vec::new();
        for part in f.value.iter() {
            match part {
                ast::FStringPart::Literal(s) => push_lit(&mut parts, &s.value),
                ast::FStringPart::FString(fs) => self.fstring_elements(&fs.elements, &mut parts)?,
            }
        }
        Ok(ExprKind::FString(parts))
    }

    fn fstring_elements(&mut self, elements: &ast::InterpolatedStringElements, parts: &mut Vec<FPart>) -> Result<()> {
        for element in elements {
            match element {
                ast::InterpolatedStringElement::Literal(l) => push_lit(parts, &l.value),
                ast::InterpolatedStringElement::Interpolation(i) => parts.push(self.interpolation(i)?),
            }
        }
        Ok(())
    }

    fn interpolation(&mut self, i: &ast::InterpolatedElement) -> Result<FPart> {
        if i.debug_text.is_some() {
            return Err(self.src.unsupported(i.range, "f-string `=` specifier", "write the name out: f'x={x!r}'"));
        }
        let value = self.expr(&i.expression)?;
        let value = match i.conversion {
            ast::ConversionFlag::None | ast::ConversionFlag::Str => value,
            ast::ConversionFlag::Repr => {
                let span = value.span;
                Expr { kind: ExprKind::Call(Callee::Builtin(Builtin::Repr), vec![value], Vec::new()), span }
            }
            ast::ConversionFlag::Ascii => return Err(self.src.unsupported(i.range, "`!a` conversion", "use `!r`")),
        };
        let spec = i.format_spec.as_deref().map(|s| self.format_spec(s)).transpose()?;
        Ok(FPart::Value(value, spec))
    }

    fn format_spec(&self, spec: &ast::InterpolatedStringFormatSpec) -> Result<String> {
        let mut text = String::new();
        for element in &spec.elements {
            match element {
                ast::InterpolatedStringElement::Literal(l) => text.push_str(&l.value),
                ast::InterpolatedStringElement::Interpolation(i) => {
                    return Err(self.src.unsupported(
                        i.range,
                        "computed format spec",
                        "write the spec literally, e.g. f'{x:>3}'",
                    ));
                }
            }
        }
        Ok(text)
    }
}

fn push_lit(parts: &mut Vec<FPart>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(FPart::Lit(prev)) = parts.last_mut() {
        prev.push_str(text);
    } else {
        parts.push(FPart::Lit(text.to_string()));
    }
}

fn signature_help(fname: &str, params: &[interleave_machine::ir::Param]) -> String {
    let list: Vec<String> =
        params.iter().map(|p| if p.default.is_some() { format!("{}=...", p.name) } else { p.name.clone() }).collect();
    format!("the signature is {fname}({})", list.join(", "))
}
