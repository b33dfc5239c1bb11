//! The intermediate representation a model file is lowered to.
//!
//! `lang` builds it from Python source; `machine` compiles it to flat code
//! and runs it. Names are already resolved (local, global, function,
//! builtin), so the interpreter never looks a name up by string, and every
//! node keeps the [`Span`] it came from so traces and errors can point at
//! the source.

use std::sync::Arc;

/// A place in the model file: byte range plus 1-based line and column of
/// its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

/// A whole model: its functions and the module-level code that the main
/// process runs.
#[derive(Clone, Debug)]
pub struct Program {
    /// Path as given by the user, used in messages.
    pub path: String,
    /// The source text (traces quote it).
    pub source: Arc<str>,
    pub functions: Vec<Function>,
    /// Names assigned at module level, indexed by [`Expr::Global`] slots.
    pub globals: Vec<String>,
    /// Module-level statements, run by the main process.
    pub main: Vec<Stmt>,
    /// Expectation header (`# expect: ...`).
    pub expect: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    /// Every local variable name; `params` come first, in order.
    /// [`Expr::Local`] and [`Target::Local`] index into this.
    pub locals: Vec<String>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    Expr(Expr),
    /// `a = b = value`: every target gets the value, left to right.
    Assign(Vec<Target>, Expr),
    /// `target op= value`: the target is read once and written once
    /// (for a Manager proxy these are two separate atomic steps).
    AugAssign(Target, BinOp, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `for target in iter: body else: orelse`
    For(Target, Expr, Vec<Stmt>, Vec<Stmt>),
    Break,
    Continue,
    Return(Option<Expr>),
    Pass,
    Assert(Expr, Option<Expr>),
    /// `with a as x, b: body`
    With(Vec<(Expr, Option<Target>)>, Vec<Stmt>),
    Try(Try),
    /// `raise` (re-raise) or `raise E` / `raise E('msg')`.
    Raise(Option<Expr>),
}

#[derive(Clone, Debug)]
pub struct Try {
    pub body: Vec<Stmt>,
    pub handlers: Vec<Handler>,
    pub orelse: Vec<Stmt>,
    pub finally: Vec<Stmt>,
}

#[derive(Clone, Debug)]
pub struct Handler {
    /// The exception types caught; empty means a bare `except:` or
    /// `except BaseException:`, which catch everything, `SystemExit` too.
    pub types: Vec<ExcType>,
    pub name: Option<Target>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Target {
    Local(u32, Span),
    Global(u32, Span),
    /// `obj[index] = ...`
    Subscript(Box<Expr>, Box<Expr>, Span),
    /// `obj.attr = ...` (`p.daemon = True`, `v.value = 3`)
    Attr(Box<Expr>, String, Span),
    /// `a, b = ...`
    Tuple(Vec<Target>, Span),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Const),
    Local(u32),
    Global(u32),
    /// A function of the file, by index into [`Program::functions`]
    /// (used as `Process(target=f)`).
    Function(u32),
    /// A builtin or module member used as a value, e.g. `Process` passed
    /// around; rare, calls use [`ExprKind::Call`] with [`Callee::Builtin`].
    Builtin(Builtin),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    /// One comparison; `a < b < c` is lowered to `a < b and b < c` only when
    /// `b` has no side effect, otherwise rejected.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// `a and b` / `a or b`, short-circuit, yields an operand.
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `a if cond else b`: (cond, a, b)
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
    Subscript(Box<Expr>, Box<Expr>),
    /// `s[lo:hi]` on str, list, tuple.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    Attr(Box<Expr>, String),
    Call(Callee, Vec<Expr>, Vec<(String, Expr)>),
    /// f-string: literal parts and formatted values (with an optional
    /// format spec such as `>3` or `.2f`).
    FString(Vec<FPart>),
    /// `[elt for target in iter if cond]`
    ListComp(Box<Expr>, Target, Box<Expr>, Vec<Expr>),
}

#[derive(Clone, Debug)]
pub enum FPart {
    Lit(String),
    Value(Expr, Option<String>),
}

#[derive(Clone, Debug)]
pub enum Callee {
    Function(u32),
    Builtin(Builtin),
    /// `receiver.name(...)`, dispatched on the receiver's runtime type.
    Method(Box<Expr>, String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Const {
    None,
    Bool(bool),
    Int(i64),
    /// A float literal, kept as `f64::to_bits`. Floats are only modelled as
    /// durations (`time.sleep(0.2)`, `timeout=1.5`); arithmetic on them is
    /// a model error.
    Float(u64),
    Str(Arc<str>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    FloorDiv,
    /// `/` on ints gives a float in Python; only exact division is modelled
    /// (the result must be an integer), otherwise a model error.
    Div,
    Mod,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
    Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

/// Everything callable that is not a function of the file: Python builtins
/// and the members of the supported modules (`multiprocessing`, `time`,
/// `os`, `sys`, `ast`, `queue`). `lang` maps each import alias to these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    // Python builtins
    Print,
    Str,
    Int,
    Bool,
    Len,
    Range,
    List,
    Tuple,
    Dict,
    Repr,
    Min,
    Max,
    Sum,
    Sorted,
    Abs,
    Enumerate,
    Isinstance,
    Eval,
    Open,
    // exceptions that can be raised or caught by name
    Exception(ExcType),
    // multiprocessing
    Process,
    Lock,
    RLock,
    Semaphore,
    BoundedSemaphore,
    Event,
    Queue,
    JoinableQueue,
    Manager,
    Value,
    CurrentProcess,
    ActiveChildren,
    // os, time, sys, ast
    Getpid,
    Sleep,
    SysExit,
    LiteralEval,
}

/// The exception types a model can raise, catch or crash with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExcType {
    Exception,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    ZeroDivisionError,
    AssertionError,
    RuntimeError,
    SyntaxError,
    NameError,
    FileNotFoundError,
    /// `queue.Empty`
    Empty,
    /// `queue.Full`
    Full,
    SystemExit,
}

impl ExcType {
    pub const ALL: [ExcType; 14] = [
        ExcType::Exception,
        ExcType::ValueError,
        ExcType::KeyError,
        ExcType::IndexError,
        ExcType::TypeError,
        ExcType::ZeroDivisionError,
        ExcType::AssertionError,
        ExcType::RuntimeError,
        ExcType::SyntaxError,
        ExcType::NameError,
        ExcType::FileNotFoundError,
        ExcType::Empty,
        ExcType::Full,
        ExcType::SystemExit,
    ];

    /// The Python name, as a traceback prints it.
    pub fn name(self) -> &'static str {
        match self {
            ExcType::Exception => "Exception",
            ExcType::ValueError => "ValueError",
            ExcType::KeyError => "KeyError",
            ExcType::IndexError => "IndexError",
            ExcType::TypeError => "TypeError",
            ExcType::ZeroDivisionError => "ZeroDivisionError",
            ExcType::AssertionError => "AssertionError",
            ExcType::RuntimeError => "RuntimeError",
            ExcType::SyntaxError => "SyntaxError",
            ExcType::NameError => "NameError",
            ExcType::FileNotFoundError => "FileNotFoundError",
            ExcType::Empty => "queue.Empty",
            ExcType::Full => "queue.Full",
            ExcType::SystemExit => "SystemExit",
        }
    }

    /// Whether `except self:` catches an exception of type `raised`.
    pub fn catches(self, raised: ExcType) -> bool {
        self == raised || (self == ExcType::Exception && raised != ExcType::SystemExit)
    }
}

/// Method names the interpreter knows, on any receiver type. `lang` rejects
/// a call of any other method as a likely typo.
pub const METHODS: &[&str] = &[
    // locks, semaphores, events
    "acquire",
    "release",
    "get_lock",
    "set",
    "clear",
    "is_set",
    "wait",
    // queues
    "put",
    "get",
    "put_nowait",
    "get_nowait",
    "qsize",
    "empty",
    "full",
    "task_done",
    "join",
    "close",
    "join_thread",
    // processes and managers
    "start",
    "terminate",
    "kill",
    "is_alive",
    "dict",
    "list",
    "Lock",
    "RLock",
    "Queue",
    "Value",
    "shutdown",
    // files
    "read",
    "write",
    "readline",
    "flush",
    // lists, dicts, strings (also on Manager proxies)
    "append",
    "pop",
    "insert",
    "extend",
    "remove",
    "index",
    "count",
    "keys",
    "values",
    "items",
    "update",
    "setdefault",
    "copy",
    "format",
    "upper",
    "lower",
    "strip",
    "split",
    "startswith",
    "endswith",
    "replace",
];

/// Attribute names the interpreter knows (`p.pid`, `v.value`, ...).
pub const ATTRS: &[&str] = &["pid", "name", "daemon", "exitcode", "value", "ident"];
