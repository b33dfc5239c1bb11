//! Symmetry: when the explorer may treat alike children as interchangeable,
//! and that it keeps what the program can see. One tiny Python program per
//! rule of `interleave_machine::symmetry`.

use std::collections::BTreeSet;

use interleave_explore::{explore, Limits};
use interleave_machine::compile::compile;
use interleave_machine::Machine;

const HEAD: &str = "from multiprocessing import Process, Manager, Queue, current_process\n\n\
def work(d, i):\n    temp = d['n']\n    d['n'] = temp + 1\n\n\
if __name__ == '__main__':\n    m = Manager()\n    d = m.dict({'n': 0})\n";

/// The tutorial's shape: start in a loop, append, join in a loop.
const TUTORIAL: &str = "    procs = []\n    for i in range(3):\n        p = Process(target=work, args=(d, i))\n        p.start()\n        procs.append(p)\n    for p in procs:\n        p.join()\n    print(d['n'])\n";

fn eligible(main: &str) -> bool {
    let src = format!("{HEAD}{main}");
    let program = interleave_lang::parse("t.py", &src).unwrap_or_else(|d| panic!("{}", d.render()));
    compile(&program).unwrap().sym.eligible
}

/// Outcomes and state count with symmetry on and off.
fn both(main: &str) -> [(BTreeSet<Vec<String>>, u64); 2] {
    let src = format!("{HEAD}{main}");
    let program = interleave_lang::parse("t.py", &src).unwrap();
    let code = compile(&program).unwrap();
    [true, false].map(|on| {
        let m = Machine::new(&program, &code).with_symmetry(on);
        let e = explore(&m, &Limits::default()).unwrap();
        assert!(e.exhaustive);
        (e.outcomes.iter().map(|o| o.main_output.clone()).collect(), e.stats.states)
    })
}

#[test]
fn the_tutorial_shape_is_symmetric_and_keeps_its_outcomes() {
    assert!(eligible(TUTORIAL));
    let [on, off] = both(TUTORIAL);
    assert_eq!(on.0, off.0);
    let want: BTreeSet<Vec<String>> = ["1", "2", "3"].iter().map(|n| vec![n.to_string()]).collect();
    assert_eq!(on.0, want);
    assert!(on.1 < off.1, "symmetry stored {} states, without it {}", on.1, off.1);
}

#[test]
fn a_handle_that_goes_anywhere_else_turns_symmetry_off() {
    // appended without a variable
    assert!(!eligible(
        "    procs = []\n    for i in range(2):\n        procs.append(Process(target=work, args=(d, i)))\n    for p in procs:\n        p.start()\n    for p in procs:\n        p.join()\n"
    ));
    // its name read
    assert!(!eligible(&TUTORIAL.replace("print(d['n'])", "print(procs[0].name)")));
    // the list indexed, printed, measured
    assert!(!eligible(&TUTORIAL.replace("print(d['n'])", "procs[0].join()")));
    assert!(!eligible(&TUTORIAL.replace("print(d['n'])", "print(procs)")));
    assert!(!eligible(&TUTORIAL.replace("print(d['n'])", "print(len(procs))")));
    // the loop variable read after the loop (it names the last child)
    assert!(!eligible(&TUTORIAL.replace("print(d['n'])", "p.join()")));
    // a timed join
    assert!(!eligible(&TUTORIAL.replace("p.join()", "p.join(1)")));
    // who am I
    assert!(!eligible(&format!("{TUTORIAL}    print(current_process().name)\n")));
}

#[test]
fn a_child_that_prints_its_number_is_still_alike() {
    let main = TUTORIAL.replace("p = Process(target=work", "p = Process(target=show");
    let src_head = HEAD.replace(
        "if __name__",
        "def show(d, i):\n    temp = d['n']\n    d['n'] = temp + 1\n    print(f'worker {i}')\n\nif __name__",
    );
    let src = format!("{src_head}{main}");
    let program = interleave_lang::parse("t.py", &src).unwrap();
    let code = compile(&program).unwrap();
    assert!(code.sym.eligible);
    let states = |on: bool| {
        let m = Machine::new(&program, &code).with_symmetry(on);
        let e = explore(&m, &Limits::default()).unwrap();
        (e.outcomes.iter().map(|o| o.main_output.clone()).collect::<BTreeSet<_>>(), e.stats.states)
    };
    let (on, off) = (states(true), states(false));
    assert_eq!(on.0, off.0);
    // the workers differ only by the number they print: as many states as
    // workers that print nothing
    let [plain, _] = both(TUTORIAL);
    assert_eq!(on.1, plain.1);
}

#[test]
fn queue_items_keep_their_value_when_a_get_is_used() {
    let src = String::from(
        "from multiprocessing import Process, Queue\n\n\
def put(q, i):\n    q.put(i)\n\n\
if __name__ == '__main__':\n    q = Queue()\n    procs = []\n    for i in range(2):\n        p = Process(target=put, args=(q, i))\n        p.start()\n        procs.append(p)\n    for p in procs:\n        p.join()\n    print(sorted([q.get(), q.get()]))\n"
    );
    let program = interleave_lang::parse("t.py", &src).unwrap();
    let code = compile(&program).unwrap();
    let m = Machine::new(&program, &code).with_symmetry(true);
    let e = explore(&m, &Limits::default()).unwrap();
    let outs: Vec<Vec<String>> = e.outcomes.iter().map(|o| o.main_output.clone()).collect();
    assert_eq!(outs, vec![vec!["[0, 1]".to_string()]]);
}

#[test]
fn an_item_too_big_for_the_pipe_is_kept_even_if_no_get_is_used() {
    // the children cannot exit before their items are in the pipe, and
    // main joins them before it drains the queue: a deadlock, which needs
    // the item's size although its value is never looked at
    let src = "from multiprocessing import Process, Queue\n\n\
def put(q, i):\n    s = 'x' * 70000\n    q.put(s)\n    print(f'put {i}')\n\n\
if __name__ == '__main__':\n    q = Queue()\n    procs = []\n    for i in range(2):\n        p = Process(target=put, args=(q, i))\n        p.start()\n        procs.append(p)\n    for p in procs:\n        p.join()\n    while not q.empty():\n        q.get()\n";
    let program = interleave_lang::parse("t.py", src).unwrap();
    let code = compile(&program).unwrap();
    assert!(code.sym.eligible);
    for on in [true, false] {
        let m = Machine::new(&program, &code).with_symmetry(on);
        let e = explore(&m, &Limits::default()).unwrap();
        let kinds: Vec<_> = e.findings.iter().map(|f| f.kind.name()).collect();
        assert_eq!(kinds, vec!["deadlock"], "symmetry {on}");
    }
}
