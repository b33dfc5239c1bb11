//! models/manager_counter_nolock.py and manager_counter_locked.py: N
//! workers each read the Manager dict's `num`, decrement it locally and
//! write it back (two steps), without or inside a blocking Lock with the
//! tutorial's `time.sleep` in the middle. Main starts them, joins them and
//! prints `d['num']` (one more dict read).

use crate::children::{sort_kids, start_or_join, Actor, Child, Main};
use stateright::{Model, Property, Representative};

pub struct Counter {
    pub n: usize,
    pub locked: bool,
}

/// Where a worker's code stands: before the step named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Before `temp = d['num']` (unlocked) or `lock.acquire()` (locked).
    Ready,
    /// Holding the lock, before the read.
    Locked,
    /// `temp` read and decremented: before the write (unlocked) or the sleep.
    Read(u8),
    /// Before the write (locked).
    Slept(u8),
    /// Before `lock.release()`; `temp` still lives in the frame.
    Wrote(u8),
    /// The function returned: before the process exit.
    AtExit,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    main: Main,
    num: u8,
    lock: bool,
    kids: Vec<Child<Step>>,
}

impl Representative for State {
    fn representative(&self) -> Self {
        let mut s = self.clone();
        let mut to = vec![0; s.kids.len()];
        sort_kids(&mut s.kids, 0..self.kids.len(), &mut to);
        s
    }
}

impl Counter {
    fn main_step(&self, s: &mut State) -> bool {
        let n = self.n;
        if let Some(m) = start_or_join(s.main, &mut s.kids, n, |_| Step::Ready) {
            s.main = m;
            return true;
        }
        match s.main {
            Main::Tail(0, _) => s.main = Main::Done, // print(d['num']): one dict read, then exit
            _ => return false,
        }
        true
    }

    fn child_step(&self, s: &mut State, i: usize) -> bool {
        let Child::Running(step) = s.kids[i] else { return false };
        let next = match (step, self.locked) {
            (Step::Ready, false) => Step::Read(s.num - 1),
            (Step::Read(t), false) => {
                s.num = t;
                Step::AtExit
            }
            (Step::Ready, true) if s.lock => return false,
            (Step::Ready, true) => {
                s.lock = true;
                Step::Locked
            }
            (Step::Locked, _) => Step::Read(s.num - 1),
            (Step::Read(t), true) => Step::Slept(t),
            (Step::Slept(t), _) => {
                s.num = t;
                Step::Wrote(t)
            }
            (Step::Wrote(_), _) => {
                s.lock = false;
                Step::AtExit
            }
            (Step::AtExit, _) => {
                s.kids[i] = Child::Exited;
                return true;
            }
        };
        s.kids[i] = Child::Running(next);
        true
    }
}

impl Model for Counter {
    type State = State;
    type Action = Actor;

    fn init_states(&self) -> Vec<State> {
        vec![State { main: Main::Starting(0), num: 100, lock: false, kids: vec![Child::NotStarted; self.n] }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Actor>) {
        actions.push(Actor::Main);
        actions.extend((0..self.n).filter(|&i| matches!(s.kids[i], Child::Running(_))).map(Actor::Child));
    }

    fn next_state(&self, s: &State, a: Actor) -> Option<State> {
        let mut next = s.clone();
        let moved = match a {
            Actor::Main => self.main_step(&mut next),
            Actor::Child(i) => self.child_step(&mut next, i),
            Actor::Feeder(_) => false,
        };
        moved.then_some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // The lost update: found for the unlocked counter, never for the locked one.
            Property::always("every decrement counts", |m: &Counter, s: &State| {
                s.main != Main::Done || s.num as usize == 100 - m.n
            }),
            crate::explore_everything(),
        ]
    }
}
