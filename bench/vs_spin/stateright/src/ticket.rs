//! models/ticket_nolock.py (N buyers, no lock) and models/ticket_tutorial.py
//! (N / 2 readers without the lock, N / 2 buyers with it). The ticket file
//! is truncated at `open(.., 'w')` and written when closed; a reader of the
//! empty file crashes in `eval('')`; winners put their number into a Queue,
//! whose feeder thread moves it into the pipe; main joins everyone, counts
//! the queue and asserts on the count.

use crate::children::{sort_kids, start_or_join, Actor, Child, Main};
use stateright::{Model, Property, Representative};

pub struct Ticket {
    /// Children `0..readers` are readers, the rest buyers.
    pub readers: usize,
    pub buyers: usize,
    pub locked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum File {
    Absent,
    /// Truncated by `open(.., 'w')`, not flushed yet.
    Empty,
    One,
    Zero,
}

/// Where a child's code stands: before the step named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// Before `open(TICKET_FILE)` (or, for a locked buyer, `with lock:`).
    Ready,
    /// A locked buyer holding the lock, before `open(TICKET_FILE)`.
    Locked,
    /// Before `f.read()`.
    Opened,
    /// Before `open(TICKET_FILE, 'w')`.
    Truncating,
    /// Before the close that flushes `{'ticket': 0}`.
    Flushing,
    /// Before `winners.put(i)`.
    Putting,
    /// The item is in the feeder's buffer; the lock (if any) still held
    /// unless `released`.
    Put { released: bool, fed: bool },
    /// A locked buyer that found the ticket sold, before the release.
    Releasing,
    /// Before the process exit.
    AtExit,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    main: Main,
    file: File,
    lock: bool,
    /// The queue's pipe: the putting children's positions (their `i`).
    pipe: Vec<u8>,
    kids: Vec<Child<Step>>,
    /// How many of `kids` are readers: a constant, here because
    /// `Representative` sees the state only.
    readers: u8,
}

impl Representative for State {
    /// Sorts readers among readers and buyers among buyers, renaming the
    /// buyers' numbers in the pipe to match.
    fn representative(&self) -> Self {
        let mut s = self.clone();
        let (n, readers) = (s.kids.len(), s.readers as usize);
        let mut to = vec![0; n];
        sort_kids(&mut s.kids, 0..readers, &mut to);
        sort_kids(&mut s.kids, readers..n, &mut to);
        for item in &mut s.pipe {
            *item = to[*item as usize] as u8;
        }
        s
    }
}

impl Ticket {
    fn n(&self) -> usize {
        self.readers + self.buyers
    }

    fn main_step(&self, s: &mut State) -> bool {
        if let Some(m) = start_or_join(s.main, &mut s.kids, self.readers, |_| Step::Ready) {
            s.main = m;
            return true;
        }
        s.main = match s.main {
            Main::Setup(0) => {
                s.file = File::Empty; // open(TICKET_FILE, 'w')
                Main::Setup(1)
            }
            Main::Setup(_) => {
                s.file = File::One; // close: {'ticket': 1}
                Main::Starting(0)
            }
            // while not winners.empty():
            Main::Tail(0, sold) if s.pipe.is_empty() => Main::Tail(2, sold),
            Main::Tail(0, sold) => Main::Tail(1, sold),
            Main::Tail(1, sold) => {
                s.pipe.remove(0); // winners.get(); sold += 1
                Main::Tail(0, sold + 1)
            }
            Main::Tail(2, sold) => Main::Tail(3, sold), // open(TICKET_FILE)
            Main::Tail(3, sold) => Main::Tail(4, sold), // f.read(); print; assert
            Main::Tail(_, _) => Main::Done,             // exit
            _ => return false,
        };
        true
    }

    fn child_step(&self, s: &mut State, i: usize) -> bool {
        let Child::Running(step) = s.kids[i] else { return false };
        let reader = i < self.readers;
        let next = match step {
            Step::Ready if self.locked && !reader => {
                if s.lock {
                    return false;
                }
                s.lock = true;
                Step::Locked
            }
            Step::Ready | Step::Locked => Step::Opened,
            // f.read(); eval(text): a crash on the empty file ends the process.
            Step::Opened if reader || s.file != File::One => {
                if self.locked && !reader {
                    Step::Releasing
                } else {
                    Step::AtExit
                }
            }
            Step::Opened => Step::Truncating,
            Step::Truncating => {
                s.file = File::Empty;
                Step::Flushing
            }
            Step::Flushing => {
                s.file = File::Zero;
                Step::Putting
            }
            Step::Putting => Step::Put { released: !self.locked, fed: false },
            Step::Put { released: false, fed } => {
                s.lock = false;
                if fed {
                    Step::AtExit
                } else {
                    Step::Put { released: true, fed }
                }
            }
            // Unlocked: the buyer has nothing left but its exit, which waits
            // for the feeder, so the feeder's move is its next step.
            Step::Put { released: true, fed: false } if !self.locked => {
                s.pipe.push(i as u8);
                Step::AtExit
            }
            Step::Put { .. } => return false,
            Step::Releasing => {
                s.lock = false;
                Step::AtExit
            }
            Step::AtExit => {
                s.kids[i] = Child::Exited;
                return true;
            }
        };
        s.kids[i] = Child::Running(next);
        true
    }

    /// A locked buyer's feeder thread moves its item into the pipe, racing
    /// the buyer's release of the lock.
    fn feeder_step(&self, s: &mut State, i: usize) -> bool {
        let Child::Running(Step::Put { released, fed: false }) = s.kids[i] else { return false };
        s.pipe.push(i as u8);
        let next = if released { Step::AtExit } else { Step::Put { released, fed: true } };
        s.kids[i] = Child::Running(next);
        true
    }
}

impl Model for Ticket {
    type State = State;
    type Action = Actor;

    fn init_states(&self) -> Vec<State> {
        vec![State {
            main: Main::Setup(0),
            file: File::Absent,
            lock: false,
            pipe: vec![],
            kids: vec![Child::NotStarted; self.n()],
            readers: self.readers as u8,
        }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Actor>) {
        actions.push(Actor::Main);
        for (i, c) in s.kids.iter().enumerate() {
            if let Child::Running(step) = c {
                actions.push(Actor::Child(i));
                if self.locked && matches!(step, Step::Put { fed: false, .. }) {
                    actions.push(Actor::Feeder(i));
                }
            }
        }
    }

    fn next_state(&self, s: &State, a: Actor) -> Option<State> {
        let mut next = s.clone();
        let moved = match a {
            Actor::Main => self.main_step(&mut next),
            Actor::Child(i) => self.child_step(&mut next, i),
            Actor::Feeder(i) => self.feeder_step(&mut next, i),
        };
        moved.then_some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // A child about to read the truncated file: its eval('') raises.
            Property::always("no crash", |_: &Ticket, s: &State| {
                s.file != File::Empty || !s.kids.iter().any(|c| matches!(c, Child::Running(Step::Opened)))
            }),
            // nolock: assert sold <= 1; tutorial: assert sold == 1.
            Property::always("main's assert holds", |m: &Ticket, s: &State| match s.main {
                Main::Tail(4, sold) => sold == 1 || (!m.locked && sold == 0),
                _ => true,
            }),
            crate::explore_everything(),
        ]
    }
}
