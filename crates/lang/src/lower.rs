//! The lowering driver: collects imports, functions and globals, then
//! lowers every function body and the module-level code.

use std::collections::HashMap;

use interleave_machine::ir::{Builtin, Expr, ExprKind, Function, Param, Program, Stmt};
use ruff_python_ast::{self as ast, Stmt as AStmt};
use ruff_text_size::{Ranged, TextRange};

use crate::diag::{suggest, Diagnostic};
use crate::names::{self, Module};
use crate::scope::{self, Bindings};
use crate::source::Source;

/// Diagnostics are boxed inside the crate to keep `Result`s small.
pub(crate) type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// What an imported name stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Imported {
    Module(Module),
    Member(Builtin),
}

/// What a name refers to at one place in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resolved {
    Local(u32),
    Global(u32),
    Function(u32),
    Builtin(Builtin),
    Module(Module),
    /// `__name__`, always `'__main__'` in a model.
    DunderName,
}

/// The locals of the function being lowered.
pub(crate) struct FnScope {
    pub(crate) locals: Vec<String>,
    pub(crate) declared_global: Vec<String>,
}

impl FnScope {
    pub(crate) fn local(&self, name: &str) -> Option<u32> {
        if self.declared_global.iter().any(|n| n == name) {
            return None;
        }
        self.locals.iter().position(|n| n == name).map(|i| i as u32)
    }
}

pub(crate) struct Lowerer<'s> {
    pub(crate) src: &'s Source,
    pub(crate) imports: HashMap<String, Imported>,
    /// Each `def` of a name with its start offset, in file order (a
    /// name may be defined again further down, as in the tutorial).
    pub(crate) functions: HashMap<String, Vec<(u32, u32)>>,
    pub(crate) params: Vec<Vec<Param>>,
    pub(crate) globals: Vec<String>,
    pub(crate) scope: Option<FnScope>,
    pub(crate) loop_depth: u32,
    pub(crate) depth: u32,
    /// Start offset of the module-level statement being lowered; `None`
    /// inside a function body.
    pub(crate) position: Option<u32>,
}

/// Lowers a parsed module to a program (without its expectations).
pub(crate) fn lower_module(src: &Source, suite: &[AStmt]) -> Result<Program> {
    let mut l = Lowerer {
        src,
        imports: HashMap::new(),
        functions: HashMap::new(),
        params: Vec::new(),
        globals: Vec::new(),
        scope: None,
        loop_depth: 0,
        depth: 0,
        position: None,
    };
    l.collect_imports(suite)?;
    l.collect_functions(suite)?;
    l.collect_globals(suite);
    let functions = l.lower_functions(suite)?;
    let main = l.lower_main(suite)?;
    Ok(Program {
        path: src.path.clone(),
        source: src.text.clone(),
        functions,
        globals: l.globals,
        main,
        expect: Vec::new(),
    })
}

impl Lowerer<'_> {
    /// Imports anywhere at module level (also inside `if` blocks).
    fn collect_imports(&mut self, suite: &[AStmt]) -> Result<()> {
        for stmt in module_level(suite) {
            match stmt {
                AStmt::Import(i) => self.import(i)?,
                AStmt::ImportFrom(i) => self.import_from(i)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn import(&mut self, stmt: &ast::StmtImport) -> Result<()> {
        for alias in &stmt.names {
            let module = self.module(alias.name.as_str(), alias.range())?;
            let name = alias.asname.as_ref().unwrap_or(&alias.name);
            if alias.asname.is_none() && name.contains('.') {
                return Err(self.unknown_module(alias.name.as_str(), alias.range()));
            }
            self.imports.insert(name.to_string(), Imported::Module(module));
        }
        Ok(())
    }

    fn import_from(&mut self, stmt: &ast::StmtImportFrom) -> Result<()> {
        let Some(module_name) = stmt.module.as_ref().filter(|_| stmt.level == 0) else {
            return Err(self.src.unsupported(
                stmt.range(),
                "relative import",
                "import one of the supported modules by name",
            ));
        };
        let module = self.module(module_name.as_str(), module_name.range())?;
        for alias in &stmt.names {
            if alias.name.as_str() == "*" {
                return Err(self.src.unsupported(
                    alias.range(),
                    "`import *`",
                    "import the names you use: `from multiprocessing import Process, Lock`",
                ));
            }
            let member = self.member(module, alias.name.as_str(), alias.name.range())?;
            let name = alias.asname.as_ref().unwrap_or(&alias.name);
            self.imports.insert(name.to_string(), Imported::Member(member));
        }
        Ok(())
    }

    fn module(&self, name: &str, range: TextRange) -> Result<Module> {
        Module::from_name(name).ok_or_else(|| self.unknown_module(name, range))
    }

    fn unknown_module(&self, name: &str, range: TextRange) -> Box<Diagnostic> {
        let help = format!("supported modules: {}", names::MODULES.join(", "));
        self.src.diag(range, format!("unsupported module '{name}'"), "cannot be modelled", Some(help))
    }

    /// A member of a supported module, e.g. `multiprocessing.Lock`.
    pub(crate) fn member(&self, module: Module, name: &str, range: TextRange) -> Result<Builtin> {
        module.member(name).ok_or_else(|| {
            let known = module.members().iter().map(|(n, _)| *n);
            let help = match suggest(name, known) {
                Some(s) => format!("did you mean '{s}'?"),
                None => format!(
                    "supported members of {}: {}",
                    module.name(),
                    module.members().iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            };
            self.src.diag(range, format!("unsupported name '{}.{name}'", module.name()), "not modelled", Some(help))
        })
    }

    fn collect_functions(&mut self, suite: &[AStmt]) -> Result<()> {
        for stmt in suite {
            if let AStmt::FunctionDef(f) = stmt {
                let params = self.signature(f)?;
                let def = (u32::from(f.range().start()), self.params.len() as u32);
                self.functions.entry(f.name.to_string()).or_default().push(def);
                self.params.push(params);
            }
        }
        Ok(())
    }

    /// Module globals: names bound at module level (outside `def`s) and
    /// names that functions declare `global`.
    fn collect_globals(&mut self, suite: &[AStmt]) {
        let names = Bindings::of(suite).bound.into_iter().chain(scope::globals_declared_in_functions(suite));
        for name in names {
            if !self.globals.contains(&name) {
                self.globals.push(name);
            }
        }
    }

    fn lower_functions(&mut self, suite: &[AStmt]) -> Result<Vec<Function>> {
        let mut out = Vec::new();
        for f in suite.iter().filter_map(|s| if let AStmt::FunctionDef(f) = s { Some(f) } else { None }) {
            let index = out.len();
            out.push(self.function(f, index)?);
        }
        Ok(out)
    }

    fn function(&mut self, f: &ast::StmtFunctionDef, index: usize) -> Result<Function> {
        let params = self.params[index].clone();
        let bindings = Bindings::of(&f.body);
        self.check_global_params(f, &params, &bindings)?;
        let mut locals: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
        for name in bindings.bound {
            if !locals.contains(&name) && !bindings.declared_global.contains(&name) {
                locals.push(name);
            }
        }
        self.scope = Some(FnScope { locals, declared_global: bindings.declared_global });
        self.loop_depth = 0;
        let body = self.block(&f.body);
        let scope = self.scope.take().expect("scope set above");
        Ok(Function {
            name: f.name.to_string(),
            params,
            locals: scope.locals,
            body: body?,
            span: self.src.span(f.range()),
        })
    }

    fn check_global_params(&self, f: &ast::StmtFunctionDef, params: &[Param], b: &Bindings) -> Result<()> {
        match params.iter().find(|p| b.declared_global.contains(&p.name)) {
            Some(p) => Err(self.src.diag(
                f.name.range(),
                format!("parameter '{}' is declared global", p.name),
                "in this function",
                Some("rename the parameter or drop the `global` declaration".into()),
            )),
            None => Ok(()),
        }
    }

    /// Module-level code: everything but `def`s and imports, in order.
    fn lower_main(&mut self, suite: &[AStmt]) -> Result<Vec<Stmt>> {
        self.scope = None;
        self.loop_depth = 0;
        let mut main = Vec::new();
        for stmt in suite.iter().filter(|s| !matches!(s, AStmt::FunctionDef(_))) {
            self.position = Some(u32::from(stmt.range().start()));
            main.extend(self.stmts(std::iter::once(stmt))?);
        }
        self.position = None;
        Ok(main)
    }

    /// What `name` refers to here, by Python's rules: local, global,
    /// function of the file, imported name, builtin.
    pub(crate) fn resolve(&self, name: &str) -> Option<Resolved> {
        if name == "__name__" {
            return Some(Resolved::DunderName);
        }
        if let Some(i) = self.scope.as_ref().and_then(|s| s.local(name)) {
            return Some(Resolved::Local(i));
        }
        if let Some(i) = self.global(name) {
            return Some(Resolved::Global(i));
        }
        if let Some(i) = self.function_named(name) {
            return Some(Resolved::Function(i));
        }
        match self.imports.get(name) {
            Some(Imported::Module(m)) => Some(Resolved::Module(*m)),
            Some(Imported::Member(b)) => Some(Resolved::Builtin(*b)),
            None => names::builtin(name).map(Resolved::Builtin),
        }
    }

    /// The `def` a name refers to here: in module-level code the latest one
    /// above the statement (else the first one), in a function body the
    /// last one in the file (bodies run after all `def`s have run).
    fn function_named(&self, name: &str) -> Option<u32> {
        let defs = self.functions.get(name)?;
        let chosen = match self.position {
            Some(at) => defs.iter().rev().find(|(start, _)| *start < at).or(defs.first()),
            None => defs.last(),
        };
        chosen.map(|(_, i)| *i)
    }

    pub(crate) fn global(&self, name: &str) -> Option<u32> {
        self.globals.iter().position(|n| n == name).map(|i| i as u32)
    }

    /// "unknown name" with a "did you mean" when a close name exists.
    pub(crate) fn unknown_name(&self, name: &str, range: TextRange) -> Box<Diagnostic> {
        let mut candidates: Vec<&str> = names::builtin_names().collect();
        candidates.extend(self.scope.iter().flat_map(|s| s.locals.iter().map(String::as_str)));
        candidates.extend(self.globals.iter().map(String::as_str));
        candidates.extend(self.functions.keys().map(String::as_str));
        candidates.extend(self.imports.keys().map(String::as_str));
        let help = match suggest(name, candidates) {
            Some(s) => format!("did you mean '{s}'?"),
            None => "assign it first, define it with `def`, or import it from a supported module".to_string(),
        };
        self.src.diag(range, format!("unknown name '{name}'"), "not defined", Some(help))
    }

    pub(crate) fn expr_at(&self, kind: ExprKind, range: TextRange) -> Expr {
        Expr { kind, span: self.src.span(range) }
    }
}

/// Statements at module level outside any `def`, including those nested in
/// `if`/`for`/`while`/`with`/`try` blocks.
fn module_level(suite: &[AStmt]) -> Vec<&AStmt> {
    let mut out = Vec::new();
    let mut stack: Vec<&AStmt> = suite.iter().rev().collect();
    while let Some(stmt) = stack.pop() {
        out.push(stmt);
        let mut children: Vec<&AStmt> = Vec::new();
        match stmt {
            AStmt::If(s) => {
                children.extend(s.body.iter());
                s.elif_else_clauses.iter().for_each(|c| children.extend(c.body.iter()));
            }
            AStmt::For(s) => children.extend(s.body.iter().chain(s.orelse.iter())),
            AStmt::While(s) => children.extend(s.body.iter().chain(s.orelse.iter())),
            AStmt::With(s) => children.extend(s.body.iter()),
            AStmt::Try(s) => {
                children.extend(s.body.iter());
                s.handlers.iter().for_each(|ast::ExceptHandler::ExceptHandler(h)| children.extend(h.body.iter()));
                children.extend(s.orelse.iter().chain(s.finalbody.iter()));
            }
            _ => {}
        }
        stack.extend(children.into_iter().rev());
    }
    out
}
