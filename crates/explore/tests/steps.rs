//! Remembered steps (`Limits::remember_steps`): a step recalled by the
//! numbers of what it read must give the search exactly what running it
//! again gives. Every small model, searched without reductions (where
//! steps are remembered) with and without remembering, on one and two
//! threads, must give the same states, transitions, depth, outcomes and
//! findings, traces included.

use std::path::Path;

use std::collections::HashMap;

use interleave_explore::store::{StepKey, Store, Taken};
use interleave_explore::{explore, moves, Explored, Limits};
use interleave_machine::compile::compile;
use interleave_machine::interp::{Ctx, Event};
use interleave_machine::reads::{recording, Reads};
use interleave_machine::shared_ptr::Shared;
use interleave_machine::system::{Actor, Applied};
use interleave_machine::world::LocTrack;
use interleave_machine::Machine;

fn summary(e: &Explored) -> String {
    let s = &e.stats;
    format!(
        "exhaustive {} states {} transitions {} depth {}\noutcomes {:?}\nfindings {:#?}\nwarnings {:#?}",
        e.exhaustive, s.states, s.transitions, s.depth, e.outcomes, e.findings, e.warnings
    )
}

/// Runs `check` on each small model, with the machine without reductions.
fn each_small_model(mut check: impl FnMut(&Path, &Machine<'_>)) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/small");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.retain(|f| f.extension().is_some_and(|x| x == "py"));
    assert!(files.len() >= 30, "the small models are missing from {}", dir.display());
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let program =
            interleave_lang::parse(&f.display().to_string(), &src).unwrap_or_else(|d| panic!("{}", d.render()));
        let code = compile(&program).unwrap();
        check(f, &Machine::new(&program, &code).with_symmetry(false).with_por(false));
    }
}

#[test]
fn recalled_steps_give_what_running_them_gives() {
    let mut recalled_somewhere = false;
    each_small_model(|f, m| {
        let run = |remember_steps: bool, threads: usize, hash_compaction: bool| {
            let limits = Limits { remember_steps, threads, hash_compaction, max_states: 200_000, ..Limits::default() };
            explore(m, &limits).unwrap()
        };
        let plain = run(false, 1, false);
        assert!(plain.stats.transitions > 0, "{}", f.display());
        let expect = summary(&plain);
        // over the full store a recalled step gives only numbers; under
        // hash compaction it gives the state
        for (threads, hash_compaction) in [(1, false), (2, false), (1, true)] {
            let got = summary(&run(true, threads, hash_compaction));
            assert_eq!(
                got,
                expect,
                "{} on {threads} thread(s), compaction {hash_compaction}: remembered steps changed the search",
                f.display()
            );
        }
        recalled_somewhere |= plain.stats.transitions > plain.stats.states;
    });
    assert!(recalled_somewhere, "some model must reach states again, so that steps are recalled");
}

/// Two unlocked increments, two unlocked copies of a value onto itself
/// (a lost update that leaves the dict as it was, so the same step in the
/// same world may lose an update or not), a process that starts another,
/// and a crash in the step of the last write: steps that change the
/// world, start processes and report events, a lost update and a crash in
/// one step.
const SRC: &str = concat!(
    "from multiprocessing import Process, Manager\n\n",
    "def grand(d):\n",
    "    d['g'] = 1\n\n",
    "def work(d):\n",
    "    t = d['n']\n",
    "    d['n'] = t + 1\n",
    "    c = Process(target=grand, args=(d,))\n",
    "    c.start()\n",
    "    c.join()\n",
    "    u = d['k']\n",
    "    d['k'] = u\n",
    "    raise ValueError('done')\n\n",
    "if __name__ == '__main__':\n",
    "    m = Manager()\n",
    "    d = m.dict({'n': 0, 'g': 0, 'k': 0})\n",
    "    ps = [Process(target=work, args=(d,)) for i in range(2)]\n",
    "    for p in ps:\n",
    "        p.start()\n",
    "    for p in ps:\n",
    "        p.join()\n",
    "    print(d['n'])\n",
);

/// Every step of every state of a small program, run, and recalled from
/// what the same step did first, in another state with the same numbers
/// (or remembered now, when it is the first): the recalled step gives the
/// same state and the same events. The lost-update bookkeeping is not
/// among what a step reads, so a step first done on one bookkeeping is
/// recalled on another, and its lost updates must follow the one it is
/// recalled on. Over narrow keys steps are kept by the whole world; over
/// wide ones by what each read (see `by_number`).
#[test]
fn a_recalled_step_is_the_step() {
    let program = interleave_lang::parse("t.py", SRC).unwrap_or_else(|d| panic!("{}", d.render()));
    let code = compile(&program).unwrap();
    let m = Machine::new(&program, &code).with_symmetry(false).with_por(false);
    let (recalled, elsewhere, lost_differs, started, blocked) = by_whole_world(&m);
    assert!(
        recalled > 100 && elsewhere > 10 && lost_differs > 0 && started > 0 && blocked > 0,
        "recalled {recalled} (on other bookkeeping {elsewhere}, with other lost updates {lost_differs}), \
         starts {started}, blocked {blocked}"
    );
    let c = by_number(&m);
    assert!(
        c.recalled > 100 && c.other_world > 10 && c.other_track > 10 && c.started > 0 && c.blocked > 0,
        "by number: {c:?}"
    );
}

/// A process that never started one has no children to look for: its
/// steps, its exit included, read no other process's table entry, so a
/// step remembered by what it read is not learned again for each state of
/// the others (each child's exit read every entry before).
#[test]
fn a_child_that_starts_none_reads_no_other_entry() {
    const WORKERS: &str = "from multiprocessing import Process, Lock

def work(i, lock):
    with lock:
        print(i)

if __name__ == '__main__':
    lock = Lock()
    ps = [Process(target=work, args=(i, lock)) for i in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
";
    let program = interleave_lang::parse("t.py", WORKERS).unwrap_or_else(|d| panic!("{}", d.render()));
    let code = compile(&program).unwrap();
    let m = Machine::new(&program, &code).with_symmetry(false).with_por(false);
    let mut seen = vec![m.initial_state().unwrap()];
    let (mut k, mut child_steps, mut exits) = (0, 0, 0);
    while k < seen.len() {
        let s = seen[k].clone();
        for a in m.actors(&s) {
            let Actor::Proc(p) = a else { continue };
            let mut t = s.clone();
            let (applied, read) = recording(|| m.apply(&mut t, a, &mut Ctx::default()));
            if applied.unwrap() != Applied::Progress {
                continue;
            }
            if p != 0 {
                child_steps += 1;
                exits += (!t.world.procs.untracked()[p as usize].alive()) as usize;
                assert!(
                    read.metas & !(1 << p) == 0 && !read.has(Reads::ALL_METAS),
                    "state {k}: process {p}'s step read the table entries {:#b} (all: {})",
                    read.metas,
                    read.has(Reads::ALL_METAS)
                );
            }
            if !seen.contains(&t) {
                seen.push(t);
            }
        }
        k += 1;
    }
    assert!(child_steps > 30 && exits > 10, "{child_steps} child steps, {exits} exits");
}

/// Every step of every state of every small model, run and recalled by
/// number (see `by_number`): what a step reads is found as it runs, so a
/// read the world does not note would show here as a recalled step that
/// differs from the step.
#[test]
fn a_step_recalled_by_what_it_read_is_the_step() {
    let mut total = Counts::default();
    each_small_model(|_, m| {
        let c = by_number(m);
        total.recalled += c.recalled;
        total.other_world += c.other_world;
    });
    // most recalls come from a state with other objects or process table:
    // what the whole-world key could not recall
    assert!(total.recalled > 10_000 && total.other_world * 2 > total.recalled, "{total:?}");
}

/// The numbers of a state's list of objects and of its process table.
type World = (u32, u32);

#[derive(Debug, Default)]
struct Counts {
    recalled: usize,
    /// Recalled in a state whose objects and process table differ from
    /// those of every state the step was learned in.
    other_world: usize,
    /// Recalled on other lost-update bookkeeping than every state it was
    /// learned in.
    other_track: usize,
    started: usize,
    blocked: usize,
}

/// The search without reductions: each stored state by number, each step
/// recalled by the numbers of what it read, or run (its reads noted) and
/// learned; checked against running it, in every state, up to 20,000.
fn by_number(m: &Machine<'_>) -> Counts {
    let mut store = Store::new(false, true);
    let keyer = store.keyer();
    store.insert(m.initial_state().unwrap());
    // the objects-and-process-table and bookkeeping numbers of the states
    // each origin's steps were learned in
    let mut learned: HashMap<(Actor, u32), Vec<(World, u32)>> = HashMap::new();
    let mut c = Counts::default();
    let mut k = 0;
    while k < store.len().min(20_000) {
        let s = store.get(k);
        let u = store.unexpanded(k);
        keyer.mine(|mine| {
            let n = keyer.numbers(&u, mine);
            let by_number = keyer.actors(m, &n, mine);
            assert_eq!(by_number.as_deref(), (!m.finished(&s)).then(|| m.actors(&s)).as_deref(), "state {k}: actors");
            for p in 0..s.procs.len() as u32 {
                assert_eq!(keyer.line(m, &n, p, mine), m.current_line(&s, p), "state {k}: the line of process {p}");
            }
            for a in m.actors(&s) {
                let mut t = s.clone();
                let mut ctx = Ctx::keeping_track_ops();
                let (applied, read) = recording(|| m.apply(&mut t, a, &mut ctx));
                let moved = applied.unwrap() == Applied::Progress;
                let ops = ctx.track_ops.take().unwrap();
                let from = (a, n.proc_of(a));
                let taken = match keyer.take(&n, a, mine) {
                    Taken::Unknown => {
                        learned.entry(from).or_default().push((n.world(), n.track()));
                        let done = keyer.learn(&n, a, read, moved.then_some((&t, &ctx.events[..], ops)), mine);
                        assert_eq!(done.is_some(), moved, "state {k}, {a}: learned as moving or not");
                        done.map(|d| keyer.replay_numbers(&n, a, &d, mine))
                    }
                    Taken::Blocked => {
                        assert!(!moved, "state {k}, {a}: a move recalled as blocked");
                        c.blocked += 1;
                        None
                    }
                    Taken::Moved(numbers, ev) => {
                        assert!(moved, "state {k}, {a}: a blocked step recalled as a move");
                        let seen = &learned[&from];
                        c.recalled += 1;
                        c.other_world += seen.iter().all(|(w, _)| *w != n.world()) as usize;
                        c.other_track += seen.iter().all(|(_, tr)| *tr != n.track()) as usize;
                        Some((numbers, ev))
                    }
                };
                if let Some((numbers, ev)) = taken {
                    c.started += (t.procs.len() > s.procs.len()) as usize;
                    let ev = ev.as_deref().unwrap_or_default();
                    assert_eq!(ev, &ctx.events[..], "state {k}, {a}: the recalled events differ");
                    let (i, _) = store.insert(t);
                    assert_eq!(store.insert_stored(numbers), (i, false), "state {k}, {a}: the recalled numbers differ");
                }
            }
        });
        k += 1;
    }
    c
}

/// The same over narrow keys, steps kept by the whole world
/// (`Keyer::step_key`): recalled, recalled on other bookkeeping, with
/// other lost updates there, steps that start a process, blocked.
fn by_whole_world(m: &Machine<'_>) -> (usize, usize, usize, usize, usize) {
    let mut store = Store::new(false, false);
    let keyer = store.keyer();
    store.insert(m.initial_state().unwrap());
    // the bookkeeping each remembered step was first done on
    let mut first: HashMap<StepKey, Shared<Vec<LocTrack>>> = HashMap::new();
    let (mut k, mut recalled, mut elsewhere, mut lost_differs, mut started, mut blocked) = (0, 0, 0, 0, 0, 0);
    while k < store.len() {
        // as the search has it: rebuilt from the store, every part numbered
        let s = store.get(k);
        for a in m.actors(&s) {
            let key = keyer.step_key(&s, a).expect("a stored state's parts are numbered");
            let mut t = s.clone();
            let mut ctx = Ctx::keeping_track_ops();
            let moved = m.apply(&mut t, a, &mut ctx).unwrap() == Applied::Progress;
            let ops = ctx.track_ops.take().unwrap();
            let Some(was) = keyer.recalled(&key) else {
                keyer.remember(key, s.procs.len(), moved.then_some((&t, &ctx.events[..], ops)));
                first.insert(key, s.world.track.clone());
                if moved {
                    store.insert(t);
                }
                continue;
            };
            recalled += 1;
            let track = &first[&key];
            elsewhere += (*track != s.world.track) as usize;
            match was {
                Some(done) => {
                    assert!(moved, "state {k}, {a}: a blocked step recalled as a move");
                    let (u, ev) = keyer.replay(&s, &key, &done);
                    assert_eq!(u, t, "state {k}, {a}: the recalled state differs");
                    assert_eq!(ev, ctx.events, "state {k}, {a}: the recalled events differ");
                    // the same step on its first bookkeeping
                    let mut then = s.clone();
                    then.world.track = track.clone();
                    let (_, ev_then) = keyer.replay(&then, &key, &done);
                    let lost = |e: &[Event]| e.iter().filter(|e| matches!(e, Event::LostUpdate { .. })).count();
                    lost_differs += (lost(&ev_then) != lost(&ev)) as usize;
                    started += (u.procs.len() > s.procs.len()) as usize;
                    store.insert(t);
                }
                None => {
                    assert!(!moved, "state {k}, {a}: a move recalled as blocked");
                    blocked += 1;
                }
            }
        }
        k += 1;
    }
    // the program's graph, as the explorer's own successors give it
    let all: usize = (0..store.len()).map(|i| moves(m, &store.get(i)).unwrap().len()).sum();
    assert!(all > 100, "a real graph, not {all} moves");
    (recalled, elsewhere, lost_differs, started, blocked)
}
