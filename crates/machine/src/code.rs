//! Flat code: what the interpreter runs. [`crate::compile`] produces it from
//! the IR. A stack machine keeps a process's whole position in a few
//! integers and vectors, so a state can be hashed and compared.

use std::sync::Arc;

use crate::ir::{BinOp, Builtin, CmpOp, ExcType, UnaryOp};
use crate::value::Value;

#[derive(Clone, Debug)]
pub enum Instr {
    Const(Value),
    LoadLocal(u32),
    StoreLocal(u32),
    LoadGlobal(u32),
    StoreGlobal(u32),
    Pop,
    /// a -> a a
    Dup,
    /// a b -> b a
    Swap,
    BuildTuple(u32),
    BuildList(u32),
    BuildDict(u32),
    /// seq -> item0 .. itemN-1 (tuple unpacking), item0 on top
    Unpack(u32),
    Binary(BinOp),
    Unary(UnaryOp),
    Compare(CmpOp),
    Jump(u32),
    /// pops the condition
    JumpIfFalse(u32),
    JumpIfTrue(u32),
    /// `and`: if top is false jump keeping it, else pop it
    JumpIfFalseOrPop(u32),
    /// `or`
    JumpIfTrueOrPop(u32),
    /// obj idx -> value
    GetItem,
    /// value obj idx -> obj' (the container after the store; the compiler
    /// writes it back to the variable it came from, value semantics).
    /// With `true`, this is such a write-back through a chain like
    /// `d['k'][0] = 1`: on a Manager proxy it does nothing, as in Python,
    /// where the proxy returned a copy.
    SetItem(bool),
    /// obj lo hi -> slice (None for a missing bound)
    Slice,
    GetAttr(Arc<str>),
    /// value obj -> obj'
    SetAttr(Arc<str>),
    /// args.. -> result
    CallFunc(u32, u32),
    /// args.. kwvalues.. -> result
    CallBuiltin(Builtin, u32, Arc<[Arc<str>]>),
    /// receiver args.. kwvalues.. -> receiver' result. The compiler stores
    /// `receiver'` back when the receiver is a place (`xs.append(1)`), or
    /// drops it (a mutation of a temporary is lost, as in Python).
    CallMethod {
        name: Arc<str>,
        nargs: u32,
        kw: Arc<[Arc<str>]>,
    },
    /// Moves a local out, leaving None (accumulators, no copy on write).
    TakeLocal(u32),
    /// value -> str, with an optional format spec (f-strings)
    FormatValue(Option<Arc<str>>),
    /// n strings -> their concatenation
    Concat(u32),
    Return,
    /// iterable -> iterator
    GetIter,
    /// iterator -> iterator item, or pops it and jumps when exhausted
    ForIter(u32),
    /// On an exception, unwind the stack to its current depth, push the
    /// exception and jump to the handler.
    SetupExcept(u32),
    PopBlock,
    /// exc -> exc bool
    ExcMatch(Arc<[ExcType]>),
    /// exception value or type -> (raises)
    Raise,
    /// message-or-None -> (raises AssertionError)
    RaiseAssert,
    /// ctx -> entered value (acquires a lock; a file or manager enters as itself)
    WithEnter,
    /// ctx -> (releases / closes)
    WithExit,
}

/// One function's code, with the source line of each instruction.
#[derive(Clone, Debug, Default)]
pub struct Code {
    pub instrs: Vec<Instr>,
    pub lines: Vec<u32>,
    /// Local slots: the function's variables and then compiler temporaries.
    pub nlocals: u32,
    pub nparams: u32,
    pub name: String,
}

/// The compiled program: one [`Code`] per function, then the module code.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub funcs: Vec<Code>,
    pub module: Code,
    pub nglobals: u32,
    /// Constant default values per function parameter (`None` = required).
    pub defaults: Vec<Vec<Option<Value>>>,
    /// Which variables each instruction may still read.
    pub live: crate::liveness::Live,
    /// No part of the program can observe when a child exits, other than
    /// by waiting for it: the condition of [`crate::Machine::exit_merge`].
    pub exit_unobservable: bool,
    /// Whether and how children may be treated as interchangeable.
    pub sym: crate::symmetry::SymInfo,
    /// What the partial-order reduction may rely on ([`crate::por`]).
    pub por: crate::por::PorInfo,
}

impl Compiled {
    /// Code of a function, or of the module for [`MODULE`].
    pub fn code(&self, func: u32) -> &Code {
        if func == MODULE {
            &self.module
        } else {
            &self.funcs[func as usize]
        }
    }
}

/// Function index of the module-level code.
pub const MODULE: u32 = u32::MAX;
