//! When are child processes interchangeable? Decided once, from the code.
//!
//! Symmetry reduction ([`crate::canon`]) stores one state per class of
//! states that differ only in which of several alike children is which. It
//! is sound only where the program cannot tell its children apart by
//! anything but what they do. [`analyse`] accepts a program when:
//!
//! - it cannot observe when a child exits other than by joining it
//!   ([`Compiled::exit_unobservable`]: no `is_alive()`, `exitcode`,
//!   `active_children()`, `terminate()`, `kill()`, main never sleeps, only
//!   main creates processes);
//! - it never asks who a process is: no `current_process()`, no
//!   `os.getpid()`;
//! - a process handle (the value of `Process(...)`) is only ever stored in
//!   a variable and then only started, joined, given `daemon = ...`, or
//!   appended to a list; such a list is only appended to and iterated by
//!   *join-all loops* `for x in L: x.join()` whose body is that one join and
//!   whose variable is dead after the loop. So no handle is ever printed,
//!   compared, indexed, passed to a child or to a function, and the order
//!   of such a list can only matter to the join-all loops.
//!
//! A join-all loop cannot tell the order of its list: with every join of an
//! exited child passed at once ([`crate::canon`]), main sits at the first
//! running child of the list, and leaves the loop exactly when all of them
//! have exited, with the same locals whatever the order (its variable is
//! dead afterwards).
//!
//! The same module finds the *output-only* uses of a variable, which the
//! dead-variable reset may ignore under symmetry (see
//! [`crate::liveness::Live::keep_local`]): a child's `print` (its output is
//! not part of any outcome, and formatting a value with `str()` or an
//! f-string field without a format spec never raises), and the item of a
//! `put()` when no `get()` result is ever used (only the item's size can
//! matter then: whether it fits the pipe).

use crate::code::{Code, Compiled, Instr, MODULE};
use crate::ir::Builtin;

/// A variable: a module global, or a local of a function (or of the
/// module's code, for compiler temporaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Global(u32),
    Local(u32, u32),
}

/// A recognised `for x in L: x.join()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinLoop {
    pub func: u32,
    /// The pc of its `join()` call.
    pub join_pc: u32,
    /// The loop variable.
    pub var: Slot,
}

/// What symmetry may rely on, from the code alone.
#[derive(Clone, Debug, Default)]
pub struct SymInfo {
    /// Children of main started from one function are interchangeable.
    pub eligible: bool,
    /// Lists of process handles whose order nothing can observe.
    pub free_lists: Vec<Slot>,
    /// Globals that may hold a handle or a list of handles (the only
    /// places besides main's frames where one can be).
    pub handle_globals: Vec<u32>,
    pub join_loops: Vec<JoinLoop>,
}

fn units(c: &Compiled) -> impl Iterator<Item = (u32, &Code)> {
    c.funcs.iter().enumerate().map(|(i, f)| (i as u32, f)).chain(std::iter::once((MODULE, &c.module)))
}

pub(crate) fn loaded(func: u32, i: &Instr) -> Option<Slot> {
    match i {
        Instr::LoadLocal(l) | Instr::TakeLocal(l) => Some(Slot::Local(func, *l)),
        Instr::LoadGlobal(g) => Some(Slot::Global(*g)),
        _ => None,
    }
}

fn stored(func: u32, i: &Instr) -> Option<Slot> {
    match i {
        Instr::StoreLocal(l) => Some(Slot::Local(func, *l)),
        Instr::StoreGlobal(g) => Some(Slot::Global(*g)),
        _ => None,
    }
}

fn is_method(i: Option<&Instr>, names: &[&str], n: u32) -> bool {
    matches!(i, Some(Instr::CallMethod { name, nargs, kw }) if names.contains(&&**name) && *nargs == n && kw.is_empty())
}

/// Whether a variable is dead at `pc` (nothing reads it on any path).
fn dead_at(c: &Compiled, func: u32, pc: u32, var: Slot) -> bool {
    match var {
        Slot::Local(f, l) => f == func && !c.live.local_live(func, pc, &[], l),
        Slot::Global(g) => func == MODULE && !c.live.global_live(Some((pc, &[])), g),
    }
}

/// The join-all loop starting at `pc` (`LoadX L; GetIter; ...`), if it is one.
fn join_loop_at(c: &Compiled, func: u32, code: &Code, pc: usize) -> Option<JoinLoop> {
    let at = |k: usize| code.instrs.get(pc + k);
    let (Some(Instr::GetIter), Some(Instr::ForIter(end))) = (at(1), at(2)) else { return None };
    let var = stored(func, at(3)?)?;
    let ok = loaded(func, at(4)?) == Some(var)
        && !matches!(at(4), Some(Instr::TakeLocal(_)))
        && is_method(at(5), &["join"], 0)
        && matches!(at(6), Some(Instr::Swap))
        && stored(func, at(7)?) == Some(var)
        && matches!(at(8), Some(Instr::Pop))
        && matches!(at(9), Some(Instr::Jump(t)) if *t as usize == pc + 2)
        && *end as usize == pc + 10
        && dead_at(c, func, *end, var);
    ok.then_some(JoinLoop { func, join_pc: (pc + 5) as u32, var })
}

/// The variables `Process(...)` is stored into; `None` if a new process
/// handle goes anywhere else (into a list, an argument, ...).
fn handle_variables(c: &Compiled) -> Option<Vec<Slot>> {
    let mut handles: Vec<Slot> = vec![];
    for (func, code) in units(c) {
        for (pc, i) in code.instrs.iter().enumerate() {
            if let Instr::CallBuiltin(Builtin::Process, ..) = i {
                let s = stored(func, code.instrs.get(pc + 1)?)?;
                if !handles.contains(&s) {
                    handles.push(s);
                }
            }
        }
    }
    Some(handles)
}

/// The handle variables, the handle lists and the join-all loops.
fn handle_flow(c: &Compiled) -> Option<(Vec<Slot>, Vec<Slot>, Vec<JoinLoop>)> {
    let mut handles = handle_variables(c)?;
    let (mut lists, mut loops) = (vec![], vec![]);
    // twice: a loop variable is a handle variable, which may be appended
    for _ in 0..2 {
        for (func, code) in units(c) {
            for pc in 0..code.instrs.len() {
                let Some(l) = loaded(func, &code.instrs[pc]) else { continue };
                let next = code.instrs.get(pc + 1).and_then(|i| loaded(func, i));
                if next.is_some_and(|v| handles.contains(&v)) && is_method(code.instrs.get(pc + 2), &["append"], 1) {
                    if !lists.contains(&l) {
                        lists.push(l);
                    }
                } else if lists.contains(&l) {
                    if let Some(jl) = join_loop_at(c, func, code, pc) {
                        if !handles.contains(&jl.var) {
                            handles.push(jl.var);
                        }
                        if !loops.contains(&jl) {
                            loops.push(jl);
                        }
                    }
                }
            }
        }
    }
    Some((handles, lists, loops))
}

/// Whether every read of a handle variable or a handle list is one the
/// module documentation allows.
fn handles_stay_put(c: &Compiled, handles: &[Slot], lists: &[Slot], loops: &[JoinLoop]) -> bool {
    for (func, code) in units(c) {
        for (pc, i) in code.instrs.iter().enumerate() {
            let Some(s) = loaded(func, i) else { continue };
            let (take, next) = (matches!(i, Instr::TakeLocal(_)), code.instrs.get(pc + 1));
            let next_slot = next.and_then(|n| loaded(func, n));
            let appends = |l: Option<Slot>| is_method(code.instrs.get(pc + 2), &["append"], 1) && l.is_some();
            let ok = if handles.contains(&s) {
                let prev = pc.checked_sub(1).and_then(|p| loaded(func, &code.instrs[p]));
                !take
                    && (is_method(next, &["start", "join"], 0)
                        || matches!(next, Some(Instr::SetAttr(a)) if &**a == "daemon")
                        || (prev.is_some_and(|l| lists.contains(&l)) && is_method(next, &["append"], 1)))
            } else if lists.contains(&s) {
                !take
                    && ((next_slot.is_some_and(|v| handles.contains(&v)) && appends(next_slot))
                        || loops.iter().any(|l| l.func == func && l.join_pc as usize == pc + 5))
            } else {
                true
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// Decides whether symmetry applies, and finds the handle lists and
/// join-all loops. Needs the liveness and the exit condition computed.
pub fn analyse(c: &Compiled) -> SymInfo {
    let asks_who = |i: &Instr| matches!(i, Instr::CallBuiltin(Builtin::CurrentProcess | Builtin::Getpid, ..));
    if !c.exit_unobservable || units(c).any(|(_, code)| code.instrs.iter().any(asks_who)) {
        return SymInfo::default();
    }
    let Some((handles, lists, loops)) = handle_flow(c) else { return SymInfo::default() };
    if !handles_stay_put(c, &handles, &lists, &loops) {
        return SymInfo::default();
    }
    let handle_globals = handles
        .iter()
        .chain(&lists)
        .filter_map(|s| match s {
            Slot::Global(g) => Some(*g),
            Slot::Local(..) => None,
        })
        .collect();
    SymInfo { eligible: true, free_lists: lists, handle_globals, join_loops: loops }
}

/// Functions main may run (its module code and what that calls); the
/// others run only in children.
pub fn run_by_main(c: &Compiled) -> Vec<bool> {
    let mut seen = vec![false; c.funcs.len()];
    let mut todo = vec![&c.module];
    while let Some(code) = todo.pop() {
        for i in &code.instrs {
            if let Instr::CallFunc(f, _) = i {
                if !seen[*f as usize] {
                    seen[*f as usize] = true;
                    todo.push(&c.funcs[*f as usize]);
                }
            }
        }
    }
    seen
}

/// Whether the value loaded at `pc` only reaches a `print` (through
/// f-string fields without a format spec and concatenation), which can
/// neither raise nor, in a child, change an outcome.
pub fn print_only(code: &Code, pc: usize) -> bool {
    // the values pushed since the load: whether each carries the loaded one
    let mut stack = vec![true];
    for i in code.instrs.iter().skip(pc + 1).take(64) {
        match i {
            Instr::Const(_) | Instr::LoadLocal(_) | Instr::LoadGlobal(_) => stack.push(false),
            Instr::FormatValue(None) if !stack.is_empty() => {}
            Instr::Concat(n) => {
                let keep = stack.len().saturating_sub(*n as usize);
                let carried = stack.drain(keep..).any(|t| t);
                stack.push(carried);
            }
            Instr::CallBuiltin(Builtin::Print, n, kw) => {
                let keep = stack.len().saturating_sub(*n as usize + kw.len());
                stack.truncate(keep);
                return !stack.contains(&true);
            }
            _ => return false,
        }
        if stack.is_empty() {
            return false;
        }
    }
    false
}

/// Whether no `get()` result is ever used (each is dropped at once), so a
/// queue item's value can never be seen, only its size.
pub fn queue_items_unseen(c: &Compiled) -> bool {
    units(c).all(|(_, code)| {
        code.instrs.iter().enumerate().all(|(pc, i)| {
            let at = |k: usize| code.instrs.get(pc + k);
            !is_method(Some(i), &["get", "get_nowait"], 0)
                || (matches!(at(1), Some(Instr::Swap))
                    && matches!(at(2), Some(Instr::StoreLocal(_) | Instr::StoreGlobal(_) | Instr::Pop))
                    && matches!(at(3), Some(Instr::Pop)))
        })
    }) && units(c).all(|(_, code)| {
        // a get() with arguments (block, timeout) is not looked at closely
        !code.instrs.iter().any(|i| {
            matches!(i, Instr::CallMethod { name, nargs, kw } if matches!(&**name, "get" | "get_nowait") && (*nargs > 0 || !kw.is_empty()))
        })
    })
}

/// Whether the value loaded at `pc` is the only argument of a `put()`.
pub fn put_item(code: &Code, pc: usize) -> bool {
    is_method(code.instrs.get(pc + 1), &["put", "put_nowait"], 1)
}
