//! Front end of interleave: reads a model file (a Python `multiprocessing`
//! program), checks it stays inside the supported subset, and lowers it to
//! the resolved IR of [`interleave_machine::ir`].
//!
//! ```
//! let program = interleave_lang::parse("m.py", "# expect: none\nx = 1\nprint(x)\n").unwrap();
//! assert_eq!(program.globals, ["x"]);
//! assert_eq!(program.main.len(), 2);
//! ```
//!
//! Everything outside the subset is rejected with a [`Diagnostic`] that
//! names `path:line:col`, the construct, and what to write instead;
//! nothing is silently ignored.
//!
//! # Expectations
//!
//! Comment lines `# expect: KIND, KIND` (anywhere, any number) name the
//! findings the model should have; kinds are those in [`expect::KINDS`],
//! or `none`. They are merged, sorted and deduplicated into
//! [`Program::expect`].
//!
//! # Limitations
//!
//! - Only module-level `def`s with plain parameters and constant defaults;
//!   no classes, lambdas, decorators, nested functions, `*args`/`**kwargs`.
//! - Imports only of `multiprocessing`, `time`, `os`, `sys`, `ast`,
//!   `queue`, and only at module level.
//! - Functions can be called only by their own name (or passed as
//!   `Process(target=f)`); a variable holding a function cannot be called.
//! - No sets, generators, set/dict comprehensions, walrus, `del`,
//!   `match`, `nonlocal`, slice steps, bytes, complex numbers, bitwise
//!   operators; list comprehensions have a single `for`.
//! - A function defined twice (the tutorial does this) is two functions:
//!   module-level code uses the `def` above it, function bodies the last.
//! - A comprehension variable shares the slot of an equally named
//!   variable of the enclosing scope (Python gives it its own scope).
//! - Methods and attributes are checked only by name against
//!   [`interleave_machine::ir::METHODS`] / [`interleave_machine::ir::ATTRS`],
//!   not by receiver type.

mod diag;
pub mod expect;
mod lower;
mod lower_call;
mod lower_expr;
mod lower_stmt;
mod names;
mod scope;
mod source;

use std::path::Path;

use interleave_machine::ir::Program;
use ruff_python_ast::token::TokenKind;
use ruff_text_size::Ranged;

pub use diag::{render_at, Diagnostic};
use source::Source;

/// Stack for parsing and lowering: deeply nested input must not overflow.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Reads and lowers the model file at `path`.
#[allow(clippy::result_large_err, reason = "the public API returns Diagnostic by value; it is built once per run")]
pub fn load(path: &Path) -> Result<Program, Diagnostic> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => parse(&shown, &source),
        Err(e) => Err(Diagnostic::without_span(
            &shown,
            format!("cannot read model file: {e}"),
            Some("check the path; a model is a `.py` file, e.g. models/tutorial.py".into()),
        )),
    }
}

/// Parses and lowers `source`; `path` is used in messages only.
#[allow(clippy::result_large_err, reason = "the public API returns Diagnostic by value; it is built once per run")]
pub fn parse(path: &str, source: &str) -> Result<Program, Diagnostic> {
    let (path_owned, source_owned) = (path.to_string(), source.to_string());
    let worker = std::thread::Builder::new()
        .name("interleave-lang".into())
        .stack_size(STACK_SIZE)
        .spawn(move || parse_here(&path_owned, &source_owned));
    match worker {
        Ok(handle) => handle.join().unwrap_or_else(|_| Err(internal_error(path))),
        Err(_) => parse_here(path, source),
    }
}

#[allow(clippy::result_large_err, reason = "the public API returns Diagnostic by value; it is built once per run")]
fn parse_here(path: &str, text: &str) -> Result<Program, Diagnostic> {
    let src = Source::new(path, text);
    let parsed = ruff_python_parser::parse_module(text).map_err(|e| *syntax_error(&src, &e))?;
    let comments = parsed.tokens().iter().filter(|t| t.kind() == TokenKind::Comment).map(|t| t.range());
    let expect = expect::collect(&src, comments).map_err(|d| *d)?;
    let mut program = lower::lower_module(&src, parsed.suite()).map_err(|d| *d)?;
    program.expect = expect;
    Ok(program)
}

fn internal_error(path: &str) -> Diagnostic {
    let help = "this is a bug in interleave; please report it with the model file".to_string();
    Diagnostic::without_span(path, "internal error while reading the model", Some(help))
}

fn syntax_error(src: &Source, e: &ruff_python_parser::ParseError) -> Box<Diagnostic> {
    let help = "the model must be valid Python 3: check it with `python3 -m py_compile FILE`";
    src.diag(e.location, format!("syntax error: {}", e.error), "here", Some(help.to_string()))
}
