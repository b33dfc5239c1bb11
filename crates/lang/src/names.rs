//! The names a model can use without defining them: Python builtins and the
//! members of the supported modules.

use interleave_machine::ir::{Builtin, ExcType};

/// A module a model may import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Module {
    Multiprocessing,
    Time,
    Os,
    Sys,
    Ast,
    Queue,
}

pub(crate) const MODULES: &[&str] = &["multiprocessing", "time", "os", "sys", "ast", "queue"];

impl Module {
    pub(crate) fn from_name(name: &str) -> Option<Module> {
        Some(match name {
            "multiprocessing" => Module::Multiprocessing,
            "time" => Module::Time,
            "os" => Module::Os,
            "sys" => Module::Sys,
            "ast" => Module::Ast,
            "queue" => Module::Queue,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Module::Multiprocessing => "multiprocessing",
            Module::Time => "time",
            Module::Os => "os",
            Module::Sys => "sys",
            Module::Ast => "ast",
            Module::Queue => "queue",
        }
    }

    /// The members of this module a model may use.
    pub(crate) fn members(self) -> &'static [(&'static str, Builtin)] {
        match self {
            Module::Multiprocessing => MULTIPROCESSING,
            Module::Time => &[("sleep", Builtin::Sleep)],
            Module::Os => &[("getpid", Builtin::Getpid)],
            Module::Sys => &[("exit", Builtin::SysExit)],
            Module::Ast => &[("literal_eval", Builtin::LiteralEval)],
            Module::Queue => {
                &[("Empty", Builtin::Exception(ExcType::Empty)), ("Full", Builtin::Exception(ExcType::Full))]
            }
        }
    }

    pub(crate) fn member(self, name: &str) -> Option<Builtin> {
        self.members().iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

const MULTIPROCESSING: &[(&str, Builtin)] = &[
    ("Process", Builtin::Process),
    ("Lock", Builtin::Lock),
    ("RLock", Builtin::RLock),
    ("Semaphore", Builtin::Semaphore),
    ("BoundedSemaphore", Builtin::BoundedSemaphore),
    ("Event", Builtin::Event),
    ("Queue", Builtin::Queue),
    ("JoinableQueue", Builtin::JoinableQueue),
    ("Manager", Builtin::Manager),
    ("Value", Builtin::Value),
    ("current_process", Builtin::CurrentProcess),
    ("active_children", Builtin::ActiveChildren),
];

/// Python builtins that are always available.
pub(crate) const BUILTINS: &[(&str, Builtin)] = &[
    ("print", Builtin::Print),
    ("str", Builtin::Str),
    ("int", Builtin::Int),
    ("bool", Builtin::Bool),
    ("len", Builtin::Len),
    ("range", Builtin::Range),
    ("list", Builtin::List),
    ("tuple", Builtin::Tuple),
    ("dict", Builtin::Dict),
    ("repr", Builtin::Repr),
    ("min", Builtin::Min),
    ("max", Builtin::Max),
    ("sum", Builtin::Sum),
    ("sorted", Builtin::Sorted),
    ("abs", Builtin::Abs),
    ("enumerate", Builtin::Enumerate),
    ("isinstance", Builtin::Isinstance),
    ("eval", Builtin::Eval),
    ("open", Builtin::Open),
];

/// A Python builtin function or exception class by name.
pub(crate) fn builtin(name: &str) -> Option<Builtin> {
    if let Some((_, b)) = BUILTINS.iter().find(|(n, _)| *n == name) {
        return Some(*b);
    }
    exception(name).map(Builtin::Exception)
}

/// A builtin exception class by its Python name (`queue.Empty` is reached
/// through the `queue` module instead).
pub(crate) fn exception(name: &str) -> Option<ExcType> {
    ExcType::ALL.into_iter().filter(|t| !matches!(t, ExcType::Empty | ExcType::Full)).find(|t| t.name() == name)
}

/// Every builtin name, for "did you mean" suggestions.
pub(crate) fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .map(|(n, _)| *n)
        .chain(ExcType::ALL.into_iter().filter(|t| !matches!(t, ExcType::Empty | ExcType::Full)).map(ExcType::name))
}
