//! Which names a block binds, following Python's rules: a name assigned
//! anywhere in a function body is local to it unless declared `global`.

use ruff_python_ast::visitor::{walk_except_handler, walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{Comprehension, ExceptHandler, Expr, Stmt};

/// Names bound in a block, in order of first appearance, and the names it
/// declares `global`.
#[derive(Default)]
pub(crate) struct Bindings {
    pub(crate) bound: Vec<String>,
    pub(crate) declared_global: Vec<String>,
}

impl Bindings {
    /// The bindings of `body`, not descending into `def`/`class` bodies
    /// (module level skips them; nested ones are rejected later).
    pub(crate) fn of(body: &[Stmt]) -> Bindings {
        let mut b = Bindings::default();
        for stmt in body {
            b.visit_stmt(stmt);
        }
        b
    }

    fn bind(&mut self, name: &str) {
        if !self.bound.iter().any(|n| n == name) {
            self.bound.push(name.to_string());
        }
    }

    fn bind_target(&mut self, target: &Expr) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str()),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.bind_target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.bind_target(e)),
            Expr::Starred(s) => self.bind_target(&s.value),
            _ => {}
        }
    }
}

impl<'a> Visitor<'a> for Bindings {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::Global(g) => {
                for name in &g.names {
                    if !self.declared_global.iter().any(|n| n == name.id.as_str()) {
                        self.declared_global.push(name.id.to_string());
                    }
                }
            }
            Stmt::Assign(a) => a.targets.iter().for_each(|t| self.bind_target(t)),
            Stmt::AugAssign(a) => self.bind_target(&a.target),
            Stmt::AnnAssign(a) => self.bind_target(&a.target),
            Stmt::For(f) => self.bind_target(&f.target),
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(t) = &item.optional_vars {
                        self.bind_target(t);
                    }
                }
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if matches!(expr, Expr::Lambda(_)) {
            return;
        }
        if let Expr::Named(n) = expr {
            self.bind_target(&n.target);
        }
        walk_expr(self, expr);
    }

    fn visit_comprehension(&mut self, comprehension: &'a Comprehension) {
        self.bind_target(&comprehension.target);
        ruff_python_ast::visitor::walk_comprehension(self, comprehension);
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.bind(name.id.as_str());
        }
        walk_except_handler(self, handler);
    }
}

/// Names declared `global` inside any function of the module: they are
/// module globals even if only a function assigns them.
pub(crate) fn globals_declared_in_functions(suite: &[Stmt]) -> Vec<String> {
    suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(Bindings::of(&f.body).declared_global),
            _ => None,
        })
        .flatten()
        .collect()
}
