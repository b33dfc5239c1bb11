//! The collapsed visited set against the plainest one there is: a vector
//! of whole states compared by `==`. Every state of a small program's full
//! graph (no reductions) is offered to both in the same order, twice; the
//! collapsed store must give the same index and newness every time, and
//! give each state back equal to what was stored.

use interleave_explore::moves;
use interleave_explore::store::Store;
use interleave_machine::compile::compile;
use interleave_machine::system::State;
use interleave_machine::Machine;

/// A lock, a queue, a manager dict, a file and lost-update bookkeeping:
/// every kind of part a collapsed state is made of.
const SRC: &str = concat!(
    "from multiprocessing import Process, Lock, Queue, Manager\n\n",
    "def work(lock, q, d, i):\n",
    "    t = d['n']\n",
    "    with lock:\n",
    "        d['n'] = t + 1\n",
    "    q.put(i)\n",
    "    with open('log.txt', 'a') as f:\n",
    "        f.write(str(i))\n\n",
    "if __name__ == '__main__':\n",
    "    lock = Lock()\n",
    "    q = Queue()\n",
    "    m = Manager()\n",
    "    d = m.dict({'n': 0})\n",
    "    ps = [Process(target=work, args=(lock, q, d, i)) for i in range(2)]\n",
    "    for p in ps:\n",
    "        p.start()\n",
    "    for p in ps:\n",
    "        p.join()\n",
    "    print(d['n'], q.get(), q.get())\n",
);

#[test]
fn collapsed_store_agrees_with_whole_states() {
    let program = interleave_lang::parse("t.py", SRC).unwrap_or_else(|d| panic!("{}", d.render()));
    let code = compile(&program).unwrap();
    let m = Machine::new(&program, &code).with_symmetry(false).with_por(false);
    // the reference: whole states found by linear search; every successor
    // as the search makes it (a state reached again is a separately made
    // copy, with parts of its own), with the index and newness it must get
    let mut all: Vec<State> = vec![m.initial_state().unwrap()];
    let mut offers: Vec<(State, usize, bool)> = vec![(all[0].clone(), 0, true)];
    let mut k = 0;
    while k < all.len() {
        for (_, t) in moves(&m, &all[k]).unwrap() {
            match all.iter().position(|s| *s == t) {
                Some(i) => offers.push((t, i, false)),
                None => {
                    all.push(t.clone());
                    offers.push((t, all.len() - 1, true));
                }
            }
        }
        k += 1;
    }
    assert!(all.len() > 100, "the program should have a real graph, not {} states", all.len());
    assert!(offers.iter().filter(|o| !o.2).count() > 100, "and states reached again");
    for (compact, wide) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut store = Store::new(compact, wide);
        for (n, (s, i, new)) in offers.iter().enumerate() {
            assert_eq!(store.insert(s.clone()), (*i, *new), "offer {n} (compact: {compact}, wide: {wide})");
        }
        assert_eq!(store.len(), all.len());
        if !compact {
            for (i, s) in all.iter().enumerate() {
                assert_eq!(&store.get(i), s, "state {i} comes back whole (wide: {wide})");
            }
            // every state offered again, in reverse: found, never new
            for (i, s) in all.iter().enumerate().rev() {
                assert_eq!(store.insert(s.clone()), (i, false));
            }
        }
    }
}
