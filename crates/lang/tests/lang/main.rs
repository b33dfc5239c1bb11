//! Integration tests of the front end, one module per topic.

mod diagnostics;
mod expect;
mod lowering;
mod models;
mod resolve;
mod robustness;
mod tutorial;

use interleave_lang::{parse, Diagnostic};
use interleave_machine::ir::{Function, Program};

pub fn ok(src: &str) -> Program {
    match parse("t.py", src) {
        Ok(p) => p,
        Err(d) => panic!("unexpected diagnostic:\n{}", d.render()),
    }
}

pub fn err(src: &str) -> Diagnostic {
    match parse("t.py", src) {
        Ok(p) => panic!("expected a diagnostic, got {p:#?}"),
        Err(d) => d,
    }
}

pub fn func<'a>(p: &'a Program, name: &str) -> &'a Function {
    p.functions.iter().find(|f| f.name == name).expect("function exists")
}
