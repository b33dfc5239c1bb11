//! The partial-order reduction of a child's tail (`interleave_machine::por`):
//! which programs it applies to, and that it keeps what they can show. One
//! tiny Python program per rule.

use std::collections::BTreeSet;

use interleave_explore::{explore, Limits};
use interleave_machine::compile::compile;
use interleave_machine::finding::Kind;
use interleave_machine::Machine;

/// Buyers that read a shared dict, put their number into a queue and exit;
/// main joins them all, then counts the items.
const WORKER: &str =
    "from multiprocessing import Process, Manager, Queue\n\ndef work(d, q, i):\n    t = d['n']\n    d['n'] = t + 1\n    q.put(i)\n\n";

const MAIN: &str = concat!(
    "if __name__ == '__main__':\n",
    "    m = Manager()\n",
    "    d = m.dict({'n': 0})\n",
    "    q = Queue()\n",
    "    procs = []\n",
    "    for i in range(3):\n",
    "        p = Process(target=work, args=(d, q, i))\n",
    "        p.start()\n",
    "        procs.append(p)\n",
    "    for p in procs:\n",
    "        p.join()\n",
    "    n = 0\n",
    "    while not q.empty():\n",
    "        q.get()\n",
    "        n += 1\n",
    "    print(d['n'], n)\n",
);

fn program(worker: &str, main: &str) -> (interleave_machine::ir::Program, interleave_machine::code::Compiled) {
    let src = format!("{worker}{main}");
    let program = interleave_lang::parse("t.py", &src).unwrap_or_else(|d| panic!("{}\n{src}", d.render()));
    let code = compile(&program).unwrap();
    (program, code)
}

fn eligible(worker: &str, main: &str) -> bool {
    program(worker, main).1.por.eligible
}

struct Seen {
    outcomes: BTreeSet<(Vec<String>, i64)>,
    kinds: BTreeSet<Kind>,
    states: u64,
}

/// What the search sees with the reduction on and off (symmetry on).
fn both(worker: &str, main: &str) -> [Seen; 2] {
    let (program, code) = program(worker, main);
    [true, false].map(|on| {
        let m = Machine::new(&program, &code).with_symmetry(true).with_por(on);
        let e = explore(&m, &Limits::default()).unwrap();
        assert!(e.exhaustive);
        for f in &e.findings {
            let actors = interleave_machine::system::parse_token(&f.replay).unwrap();
            let r = Machine::new(&program, &code).replay(&actors).unwrap();
            assert_eq!(r.steps, f.trace, "{}", f.replay);
        }
        Seen {
            outcomes: e.outcomes.iter().map(|o| (o.main_output.clone(), o.exit)).collect(),
            kinds: e.findings.iter().map(|f| f.kind).collect(),
            states: e.stats.states,
        }
    })
}

#[test]
fn the_tutorial_shape_is_reduced_and_keeps_its_outcomes() {
    assert!(eligible(WORKER, MAIN));
    let [on, off] = both(WORKER, MAIN);
    assert_eq!(on.outcomes, off.outcomes);
    assert_eq!(on.kinds, off.kinds);
    // lost updates: 1, 2 or 3 increments survive; every buyer's item arrives
    let want: BTreeSet<(Vec<String>, i64)> = (1..=3).map(|n| (vec![format!("{n} 3")], 0)).collect();
    assert_eq!(on.outcomes, want);
    assert!(on.states < off.states, "with the reduction {} states, without {}", on.states, off.states);
}

#[test]
fn a_queue_someone_may_read_early_turns_it_off() {
    // a child reads a queue
    assert!(!eligible(&WORKER.replace("q.put(i)", "q.put(i)\n    q.empty()"), MAIN));
    // main reads it before leaving the join-all loop
    assert!(!eligible(WORKER, &MAIN.replace("    for p in procs:\n", "    q.empty()\n    for p in procs:\n")));
    // main puts into it before then
    assert!(!eligible(WORKER, &MAIN.replace("    for p in procs:\n", "    q.put(0)\n    for p in procs:\n")));
    // main calls a function before then
    let helper = "def helper():\n    return 1\n\n";
    assert!(!eligible(
        &format!("{WORKER}{helper}"),
        &MAIN.replace("    procs = []\n", "    procs = []\n    helper()\n")
    ));
}

#[test]
fn a_child_that_loops_or_is_not_listed_turns_it_off() {
    // a child with a loop (its steps could lie on a cycle)
    assert!(!eligible(&WORKER.replace("    q.put(i)\n", "    for k in range(2):\n        q.put(k)\n"), MAIN));
    // a child started but not appended next to its start
    let unlisted = MAIN.replace(
        "    for p in procs:\n",
        "    x = Process(target=work, args=(d, q, 9))\n    x.start()\n    x.join()\n    for p in procs:\n",
    );
    assert!(!eligible(WORKER, &unlisted));
    // no join-all loop at all
    assert!(!eligible(WORKER, &MAIN.replace("    for p in procs:\n        p.join()\n", "")));
}

#[test]
fn a_bounded_queue_is_not_reduced() {
    let bounded = MAIN.replace("q = Queue()", "q = Queue(1)");
    assert!(eligible(WORKER, &bounded), "the program qualifies; the queue does not");
    let [on, off] = both(WORKER, &bounded);
    assert_eq!(on.outcomes, off.outcomes);
    assert_eq!(on.kinds, off.kinds);
    // a full bounded queue blocks the other buyers' puts until main drains
    // it after its joins: a deadlock, with or without the reduction
    assert!(on.kinds.contains(&Kind::Deadlock));
}

/// Items too big for the pipe together: whichever child's item does not
/// fit cannot exit, and main waits for it forever. The reduction writes
/// the items in one order only; the deadlock is the same in every order.
#[test]
fn a_full_pipe_deadlocks_with_and_without_the_reduction() {
    let big = WORKER.replace("q.put(i)", "q.put('x' * 40000)");
    assert!(eligible(&big, MAIN));
    let [on, off] = both(&big, MAIN);
    assert_eq!(on.outcomes, off.outcomes);
    assert_eq!(on.kinds, off.kinds);
    assert!(on.kinds.contains(&Kind::Deadlock));
    assert!(on.outcomes.is_empty(), "no run ends: {:?}", on.outcomes);
    // one big item fits: every run ends
    let one = MAIN.replace("range(3)", "range(1)");
    let [on, off] = both(&big, &one);
    assert_eq!(on.outcomes, off.outcomes);
    assert!(!on.kinds.contains(&Kind::Deadlock));
}

/// When main keeps the items, their order in the pipe shows: the feeders
/// are not reordered then, and every order of arrival is still an outcome.
#[test]
fn kept_items_keep_every_order() {
    let keep = MAIN.replace("        q.get()\n        n += 1\n", "        n = n * 10 + q.get() + 1\n");
    assert!(eligible(WORKER, &keep));
    let [on, off] = both(WORKER, &keep);
    assert_eq!(on.outcomes, off.outcomes);
    let orders: BTreeSet<String> =
        on.outcomes.iter().map(|(out, _)| out[0].split(' ').nth(1).unwrap().to_string()).collect();
    assert_eq!(orders.len(), 6, "every order of the three items: {orders:?}");
}
