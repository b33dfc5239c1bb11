//! What every scenario shares: main starts its children one by one, then
//! joins them; a child runs its own steps and exits.
//!
//! A child is identified by its position only, so sorting the children of
//! one kind is a symmetry of the model (see `Representative` in each
//! scenario). For that, main reaps *any* exited child instead of joining
//! `procs[j]` in list order: the same outcomes and findings, and with
//! symmetry far fewer states (see the README: the one abstraction here).

/// A child process's life; `S` is where its code stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Child<S> {
    NotStarted,
    Running(S),
    /// Exited, not yet joined (a zombie).
    Exited,
    Reaped,
}

/// Where main stands. `Tail(k, sold)`: the scenario's own step `k` after
/// the joins; `sold` is the ticket scenarios' count of winners taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Main {
    Setup(u8),
    Starting(u8),
    Joining(u8),
    Tail(u8, u8),
    Done,
}

/// Who moves: main, a child, or a child's queue feeder thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    Main,
    Child(usize),
    Feeder(usize),
}

/// Main's start or join step, if it is one. `p.start()` starts a child
/// not started yet: of the first kind (`kids[..split]`) while there is one,
/// then of the second; `first(second_kind)` is where its code starts.
/// `p.join()` reaps an exited child and blocks while none has exited.
/// Returns the next `Main`, or `None` when main is blocked or past these
/// phases.
pub fn start_or_join<S>(main: Main, kids: &mut [Child<S>], split: usize, first: impl Fn(bool) -> S) -> Option<Main> {
    let n = kids.len() as u8;
    match main {
        Main::Starting(k) => {
            let second = k as usize >= split;
            let range = if second { split..kids.len() } else { 0..split };
            let i = range.clone().find(|&i| matches!(kids[i], Child::NotStarted))?;
            kids[i] = Child::Running(first(second));
            Some(if k + 1 == n { Main::Joining(0) } else { Main::Starting(k + 1) })
        }
        Main::Joining(j) => {
            let i = kids.iter().position(|c| matches!(c, Child::Exited))?;
            kids[i] = Child::Reaped;
            Some(if j + 1 == n { Main::Tail(0, 0) } else { Main::Joining(j + 1) })
        }
        _ => None,
    }
}

/// Sorts `kids[range]` into a canonical order and returns where each old
/// position went (`to[old] == new`), for rewriting stored child ids.
pub fn sort_kids<S: Ord + Copy>(kids: &mut [Child<S>], range: std::ops::Range<usize>, to: &mut [usize]) {
    let mut order: Vec<usize> = range.clone().collect();
    order.sort_by_key(|&i| kids[i]);
    let old: Vec<Child<S>> = order.iter().map(|&i| kids[i]).collect();
    for (k, &i) in order.iter().enumerate() {
        to[i] = range.start + k;
        kids[range.start + k] = old[k];
    }
}
