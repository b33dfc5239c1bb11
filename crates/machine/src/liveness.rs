//! Dead-variable reset: which locals (and, for the module's code, which
//! globals) may still be read after each instruction.
//!
//! A variable that is never read again cannot change what a process does,
//! yet its value splits states: two states that differ only in a dead loop
//! index are the same program. After every step the interpreter clears the
//! dead variables of the process that moved ([`Live::keep`]), so such
//! states merge. This is classic backward liveness over the flat code; an
//! exception may reach any handler a frame has pushed, so what a pushed
//! handler reads stays live too.

use crate::code::{Code, Compiled, Instr, MODULE};
use crate::value::{pickled_size, Value};

/// A set of variable slots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slots(Vec<u64>);

impl Slots {
    fn new(n: u32) -> Slots {
        Slots(vec![0; (n as usize).div_ceil(64)])
    }

    pub fn contains(&self, i: u32) -> bool {
        self.0.get(i as usize / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn insert(&mut self, i: u32) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }

    fn remove(&mut self, i: u32) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    /// Adds `other`; answers whether anything was new.
    fn union(&mut self, other: &Slots) -> bool {
        let mut changed = false;
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            let n = *a | *b;
            changed |= n != *a;
            *a = n;
        }
        changed
    }
}

/// Liveness of one function's code: the variables live before each
/// instruction.
#[derive(Clone, Debug, Default)]
pub struct CodeLive {
    pub locals: Vec<Slots>,
    /// Globals (for the module's code only; empty for functions).
    pub globals: Vec<Slots>,
}

/// Liveness of a whole program.
#[derive(Clone, Debug, Default)]
pub struct Live {
    pub funcs: Vec<CodeLive>,
    pub module: CodeLive,
    /// Globals some function reads: live everywhere, in every process.
    pub read_by_functions: Slots,
    /// Under symmetry, for each function only children run: liveness
    /// without the output-only uses (see [`crate::symmetry`]).
    pub reduced: Vec<Option<Reduced>>,
}

/// Liveness of a child-only function's locals under symmetry.
#[derive(Clone, Debug, Default)]
pub struct Reduced {
    /// Reads that can change what happens.
    pub strict: Vec<Slots>,
    /// Those and the items of `put()`, whose size still counts.
    pub sized: Vec<Slots>,
}

pub(crate) fn successors(pc: usize, instr: &Instr) -> Vec<usize> {
    match instr {
        Instr::Jump(t) => vec![*t as usize],
        Instr::JumpIfFalse(t)
        | Instr::JumpIfTrue(t)
        | Instr::JumpIfFalseOrPop(t)
        | Instr::JumpIfTrueOrPop(t)
        | Instr::ForIter(t)
        | Instr::SetupExcept(t) => vec![pc + 1, *t as usize],
        Instr::Return | Instr::Raise | Instr::RaiseAssert => vec![],
        _ => vec![pc + 1],
    }
}

/// Backward liveness of the slots `uses_defs` names: for each instruction,
/// the slots it reads and the slot it overwrites without reading.
fn solve(code: &Code, n: u32, uses_defs: impl Fn(usize, &Instr) -> (Option<u32>, Option<u32>)) -> Vec<Slots> {
    let len = code.instrs.len();
    let mut live = vec![Slots::new(n); len];
    let succ: Vec<Vec<usize>> = code
        .instrs
        .iter()
        .enumerate()
        .map(|(pc, i)| successors(pc, i).into_iter().filter(|s| *s < len).collect())
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..len).rev() {
            let mut out = Slots::new(n);
            for s in &succ[pc] {
                out.union(&live[*s]);
            }
            let (used, defined) = uses_defs(pc, &code.instrs[pc]);
            if let Some(d) = defined {
                out.remove(d);
            }
            if let Some(u) = used {
                out.insert(u);
            }
            changed |= live[pc].union(&out);
        }
    }
    live
}

fn local_uses_defs(_: usize, i: &Instr) -> (Option<u32>, Option<u32>) {
    match i {
        Instr::LoadLocal(l) | Instr::TakeLocal(l) => (Some(*l), None),
        Instr::StoreLocal(l) => (None, Some(*l)),
        _ => (None, None),
    }
}

fn global_uses_defs(_: usize, i: &Instr) -> (Option<u32>, Option<u32>) {
    match i {
        Instr::LoadGlobal(g) => (Some(*g), None),
        Instr::StoreGlobal(g) => (None, Some(*g)),
        _ => (None, None),
    }
}

impl Live {
    pub fn of(c: &Compiled) -> Live {
        let mut read_by_functions = Slots::new(c.nglobals);
        for f in &c.funcs {
            for i in &f.instrs {
                if let Instr::LoadGlobal(g) = i {
                    read_by_functions.insert(*g);
                }
            }
        }
        let funcs = c
            .funcs
            .iter()
            .map(|f| CodeLive { locals: solve(f, f.nlocals, local_uses_defs), globals: vec![] })
            .collect();
        let module = CodeLive {
            locals: solve(&c.module, c.module.nlocals, local_uses_defs),
            globals: solve(&c.module, c.nglobals, global_uses_defs),
        };
        Live { funcs, module, read_by_functions, reduced: vec![] }
    }

    /// Adds the liveness used under symmetry: in functions only children
    /// run, a read that only reaches a `print` does not count, and one
    /// that only gives a `put()` its item counts for the item's size only,
    /// when no `get()` result is ever used.
    pub fn with_reduced(mut self, c: &Compiled) -> Live {
        use crate::symmetry::{print_only, put_item, queue_items_unseen, run_by_main};
        let (by_main, unseen) = (run_by_main(c), queue_items_unseen(c));
        self.reduced = c
            .funcs
            .iter()
            .zip(by_main)
            .map(|(f, main)| {
                let table = |sized: bool| {
                    solve(f, f.nlocals, |pc, i| match local_uses_defs(pc, i) {
                        (Some(_), d) if print_only(f, pc) => (None, d),
                        (Some(_), d) if unseen && !sized && put_item(f, pc) => (None, d),
                        other => other,
                    })
                };
                (!main).then(|| Reduced { strict: table(false), sized: table(true) })
            })
            .collect();
        self
    }

    /// Whether the dead-variable reset keeps local `i` (holding `v`) of a
    /// frame paused at `pc` with handlers `blocks` pushed. Under symmetry
    /// a value that only its size can still matter for is kept only when
    /// `None` would not have the same size.
    pub fn keep_local(&self, func: u32, pc: u32, blocks: &[(u32, u32)], i: u32, v: &Value, symmetry: bool) -> bool {
        let reduced = if symmetry { self.reduced.get(func as usize).and_then(Option::as_ref) } else { None };
        let Some(r) = reduced else { return self.local_live(func, pc, blocks, i) };
        let live = |t: &[Slots]| {
            let at = |at: u32| t.get(at as usize).is_some_and(|l| l.contains(i));
            at(pc) || blocks.iter().any(|(h, _)| at(*h))
        };
        live(&r.strict) || (live(&r.sized) && pickled_size(v) != pickled_size(&Value::None))
    }

    fn code(&self, func: u32) -> &CodeLive {
        if func == MODULE {
            &self.module
        } else {
            &self.funcs[func as usize]
        }
    }

    /// Whether local `i` of a frame paused at `pc`, with handlers `blocks`
    /// pushed, may still be read.
    pub fn local_live(&self, func: u32, pc: u32, blocks: &[(u32, u32)], i: u32) -> bool {
        let c = self.code(func);
        let live_at = |at: u32| c.locals.get(at as usize).is_some_and(|l| l.contains(i));
        live_at(pc) || blocks.iter().any(|(h, _)| live_at(*h))
    }

    /// Whether global `g` may still be read by a process whose module frame
    /// (if it has one: only the main process) is paused at `pc` with
    /// handlers `blocks` pushed.
    pub fn global_live(&self, module_frame: Option<(u32, &[(u32, u32)])>, g: u32) -> bool {
        if self.read_by_functions.contains(g) {
            return true;
        }
        let Some((pc, blocks)) = module_frame else { return false };
        let live_at = |at: u32| self.module.globals.get(at as usize).is_some_and(|l| l.contains(g));
        live_at(pc) || blocks.iter().any(|(h, _)| live_at(*h))
    }
}
