//! The semantics of interleave: the IR a model is lowered to, values,
//! shared objects, and the interpreter that steps one process at a time.
//!
//! ```text
//! ir::Program --compile--> code::Compiled --Machine--> State --step(actor)--> State'
//! ```
//!
//! A [`system::State`] is the whole program at a scheduling point: the
//! [`world::World`] (shared objects, files, process table) and each
//! process's private [`interp::Proc`] (frames, globals, open files). An
//! [`system::Actor`] is who moves next: a process, a process's queue feeder
//! thread, or the delivery of a pending signal. Engines differ only in how
//! they pick actors.
//!
//! # Limitations
//! - Local lists and dicts have value semantics: two names never alias one
//!   list inside a process (across processes CPython copies them anyway).
//! - Floats exist only as durations (`time.sleep(0.5)`, `timeout=`).
//! - Pids are fake (`1000 + index`); a model that prints pids has outcomes
//!   no real run reproduces.
//! - The Manager's server process is not a modelled process: proxies always
//!   answer, also after the main process has ended.

mod builtins;
pub mod canon;
pub mod code;
pub mod compile;
mod exec;
pub mod finding;
pub mod footprint;
pub mod interp;
pub mod ir;
pub mod liveness;
pub mod por;
pub mod reads;
mod shared;
pub mod shared_ptr;
pub mod symmetry;
pub mod system;
pub mod trace;
pub mod value;
pub mod view;
pub mod world;

pub use interp::Machine;

/// A problem with the model itself (unsupported use of Python found while
/// compiling or running it), reported at a source position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    pub span: ir::Span,
    pub message: String,
}

impl ModelError {
    pub fn new(span: ir::Span, message: &str) -> ModelError {
        ModelError { span, message: message.to_string() }
    }
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.span.line, self.message)
    }
}

impl std::error::Error for ModelError {}
