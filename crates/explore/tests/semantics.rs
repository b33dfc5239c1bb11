//! Semantic unit tests: one per fact of DESIGN.md "Semantics", each a tiny
//! real Python program whose exact outcome set or finding kinds follow from
//! CPython's `multiprocessing` semantics (Linux, fork start method).

use std::collections::BTreeSet;

use interleave_explore::{explore, Explored, Limits};
use interleave_machine::compile::compile;
use interleave_machine::finding::Kind;
use interleave_machine::Machine;

fn run(src: &str) -> Explored {
    let program = interleave_lang::parse("t.py", src).unwrap_or_else(|d| panic!("{}", d.render()));
    let code = compile(&program).unwrap_or_else(|e| panic!("{e}"));
    let m = Machine::new(&program, &code);
    let e = explore(&m, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(e.exhaustive, "the search of a tiny model must be exhaustive");
    e
}

/// Main's printed lines of every finished run.
fn outputs(e: &Explored) -> BTreeSet<Vec<String>> {
    e.outcomes.iter().map(|o| o.main_output.clone()).collect()
}

/// (printed lines, exit status) of every finished run.
fn outcomes(e: &Explored) -> BTreeSet<(Vec<String>, i64)> {
    e.outcomes.iter().map(|o| (o.main_output.clone(), o.exit)).collect()
}

fn kinds(e: &Explored) -> BTreeSet<Kind> {
    e.findings.iter().map(|f| f.kind).collect()
}

fn warning_kinds(e: &Explored) -> BTreeSet<Kind> {
    e.warnings.iter().map(|f| f.kind).collect()
}

fn set<const N: usize>(ks: [Kind; N]) -> BTreeSet<Kind> {
    ks.into_iter().collect()
}

/// Runs whose output is exactly these lines, each given as one string with
/// lines separated by '|'.
fn outs(lines: &[&str]) -> BTreeSet<Vec<String>> {
    lines.iter().map(|l| if l.is_empty() { vec![] } else { l.split('|').map(str::to_string).collect() }).collect()
}

fn ok(lines: &[&str]) -> BTreeSet<(Vec<String>, i64)> {
    outs(lines).into_iter().map(|o| (o, 0)).collect()
}

fn messages(e: &Explored, k: Kind) -> Vec<String> {
    e.findings.iter().filter(|f| f.kind == k).map(|f| f.message.clone()).collect()
}

fn no_findings(e: &Explored) {
    assert!(
        e.findings.is_empty(),
        "unexpected findings: {:#?}",
        e.findings.iter().map(|f| (&f.kind, &f.message)).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------- Manager

#[test]
fn manager_proxy_call_is_one_atomic_step() {
    let e = run(r#"
from multiprocessing import Process, Manager


def f(d, name):
    got = d.setdefault('winner', name)
    d['saw_' + name] = got


if __name__ == '__main__':
    m = Manager()
    d = m.dict()
    a = Process(target=f, args=(d, 'a'))
    b = Process(target=f, args=(d, 'b'))
    a.start()
    b.start()
    a.join()
    b.join()
    print(d['winner'])
    print(d['saw_a'])
    print(d['saw_b'])
"#);
    // setdefault is one server-side call: exactly one process installs its
    // name and both see that same winner; nobody overwrites it.
    assert_eq!(outcomes(&e), ok(&["a|a|a", "b|b|b"]));
    no_findings(&e);
}

#[test]
fn aug_assign_on_manager_proxy_is_two_steps() {
    let e = run(r#"
from multiprocessing import Process, Manager


def f(d):
    d['n'] -= 1


if __name__ == '__main__':
    m = Manager()
    d = m.dict()
    d['n'] = 10
    a = Process(target=f, args=(d,))
    b = Process(target=f, args=(d,))
    a.start()
    b.start()
    a.join()
    b.join()
    print(d['n'])
"#);
    // __getitem__ then __setitem__: two proxy calls, so both can read 10.
    assert_eq!(outcomes(&e), ok(&["8", "9"]));
    assert_eq!(kinds(&e), set([Kind::LostUpdate]));

    let e = run(r#"
from multiprocessing import Process, Manager, Lock


def f(d, lock):
    with lock:
        d['n'] -= 1


if __name__ == '__main__':
    m = Manager()
    d = m.dict()
    d['n'] = 10
    lock = Lock()
    a = Process(target=f, args=(d, lock))
    b = Process(target=f, args=(d, lock))
    a.start()
    b.start()
    a.join()
    b.join()
    print(d['n'])
"#);
    assert_eq!(outcomes(&e), ok(&["8"]));
    no_findings(&e);
}

// ---------------------------------------------------------------- Value

#[test]
fn value_plus_equals_is_read_then_write() {
    let e = run(r#"
from multiprocessing import Process, Value


def f(v):
    v.value += 1


if __name__ == '__main__':
    v = Value('i', 0)
    a = Process(target=f, args=(v,))
    b = Process(target=f, args=(v,))
    a.start()
    b.start()
    a.join()
    b.join()
    print(v.value)
"#);
    // `v.value += 1` takes the Value's lock for the read and again for the
    // write, not around both.
    assert_eq!(outcomes(&e), ok(&["1", "2"]));
    assert_eq!(kinds(&e), set([Kind::LostUpdate]));
}

#[test]
fn value_get_lock_makes_increment_atomic() {
    let e = run(r#"
from multiprocessing import Process, Value


def f(v):
    with v.get_lock():
        v.value += 1


if __name__ == '__main__':
    v = Value('i', 0)
    a = Process(target=f, args=(v,))
    b = Process(target=f, args=(v,))
    a.start()
    b.start()
    a.join()
    b.join()
    print(v.value)
"#);
    assert_eq!(outcomes(&e), ok(&["2"]));
    no_findings(&e);
}

// ---------------------------------------------------------------- files

#[test]
fn open_w_truncates_before_write_lands() {
    let e = run(r#"
from multiprocessing import Process


def writer():
    with open('f.txt', 'w') as f:
        f.write('new')


if __name__ == '__main__':
    with open('f.txt', 'w') as f:
        f.write('old')
    w = Process(target=writer)
    w.start()
    with open('f.txt') as f:
        text = f.read()
    print('[' + text + ']')
    w.join()
"#);
    // O_TRUNC happens in open(); 'new' sits in the buffer until close.
    assert_eq!(outcomes(&e), ok(&["[old]", "[]", "[new]"]));
    no_findings(&e);
}

#[test]
fn two_truncating_writers_leave_the_longer_tail() {
    let e = run(r#"
from multiprocessing import Process


def writer(text):
    with open('f.txt', 'w') as f:
        f.write(text)


if __name__ == '__main__':
    a = Process(target=writer, args=('abcd',))
    b = Process(target=writer, args=('xy',))
    a.start()
    b.start()
    a.join()
    b.join()
    with open('f.txt') as f:
        print(f.read())
"#);
    // Each handle writes at its own offset 0 (no O_APPEND): after both
    // truncated, 'abcd' then 'xy' leaves 'xycd'.
    assert_eq!(outcomes(&e), ok(&["abcd", "xy", "xycd"]));
    no_findings(&e);
}

#[test]
fn reader_of_truncated_file_crashes_in_eval() {
    let e = run(r#"
from multiprocessing import Process


def writer():
    with open('f.txt', 'w') as f:
        f.write(str({'n': 2}))


if __name__ == '__main__':
    with open('f.txt', 'w') as f:
        f.write(str({'n': 1}))
    w = Process(target=writer)
    w.start()
    with open('f.txt') as f:
        d = eval(f.read())
    print(d['n'])
    w.join()
"#);
    // eval('') raises SyntaxError; main dies with exit status 1 (after
    // joining the writer at exit).
    assert_eq!(
        outcomes(&e),
        [(vec!["1".to_string()], 0), (vec!["2".to_string()], 0), (vec![], 1)].into_iter().collect()
    );
    assert_eq!(kinds(&e), set([Kind::Crash]));
    assert!(messages(&e, Kind::Crash).iter().all(|m| m.contains("SyntaxError")), "{:?}", messages(&e, Kind::Crash));
}

// ---------------------------------------------------------------- locks

#[test]
fn lock_blocks_until_released() {
    let e = run(r#"
from multiprocessing import Process, Lock, Value


def child(lock, v):
    with lock:
        v.value = v.value * 10 + 2


if __name__ == '__main__':
    lock = Lock()
    v = Value('i', 0)
    lock.acquire()
    p = Process(target=child, args=(lock, v))
    p.start()
    v.value = 1
    lock.release()
    p.join()
    print(v.value)
"#);
    // The child can only read after main wrote 1 and released.
    assert_eq!(outcomes(&e), ok(&["12"]));
    no_findings(&e);
}

#[test]
fn lock_may_be_released_by_another_process() {
    let e = run(r#"
from multiprocessing import Process, Lock


def child(lock):
    lock.release()


if __name__ == '__main__':
    lock = Lock()
    lock.acquire()
    p = Process(target=child, args=(lock,))
    p.start()
    lock.acquire()
    print('reacquired')
    lock.release()
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&["reacquired"]));
    no_findings(&e);
}

#[test]
fn lock_stays_held_when_its_holder_is_killed() {
    let e = run(r#"
from multiprocessing import Process, Lock
import time


def child(lock):
    lock.acquire()
    while True:
        time.sleep(1)


if __name__ == '__main__':
    lock = Lock()
    p = Process(target=child, args=(lock,))
    p.start()
    time.sleep(0.1)
    p.terminate()
    p.join()
    lock.acquire()
    print('got it')
"#);
    // Killed before acquiring: main gets the lock. Killed after: nobody
    // ever releases it.
    assert_eq!(outcomes(&e), ok(&["got it"]));
    assert_eq!(kinds(&e), set([Kind::Deadlock]));
}

#[test]
fn lock_released_twice_raises_value_error() {
    let e = run(r#"
from multiprocessing import Lock

if __name__ == '__main__':
    lock = Lock()
    lock.acquire()
    lock.release()
    lock.release()
    print('unreachable')
"#);
    assert_eq!(outcomes(&e), [(vec![], 1)].into_iter().collect());
    assert_eq!(kinds(&e), set([Kind::Crash]));
    let ms = messages(&e, Kind::Crash);
    assert!(ms.iter().all(|m| m.contains("ValueError") && m.contains("released too many times")), "{ms:?}");
}

#[test]
fn rlock_is_reentrant() {
    let e = run(r#"
from multiprocessing import Process, RLock, Value


def child(r, v):
    with r:
        v.value = 1


if __name__ == '__main__':
    r = RLock()
    v = Value('i', 0)
    r.acquire()
    r.acquire()
    p = Process(target=child, args=(r, v))
    p.start()
    r.release()
    print(v.value)
    r.release()
    p.join()
    print(v.value)
"#);
    // Acquired twice by main, released once: still held, the child waits.
    assert_eq!(outcomes(&e), ok(&["0|1"]));
    no_findings(&e);
}

#[test]
fn rlock_release_by_non_owner_raises() {
    let e = run(r#"
from multiprocessing import Process, RLock


def child(r):
    r.release()


if __name__ == '__main__':
    r = RLock()
    r.acquire()
    p = Process(target=child, args=(r,))
    p.start()
    p.join()
    print(p.exitcode)
    r.release()
"#);
    // CPython: AssertionError: attempt to release recursive lock not owned by thread
    assert_eq!(outcomes(&e), ok(&["1"]));
    assert_eq!(kinds(&e), set([Kind::Assertion]));
    let ms = messages(&e, Kind::Assertion);
    assert!(ms.iter().all(|m| m.contains("AssertionError") && m.contains("not owned")), "{ms:?}");
}

// ---------------------------------------------------------------- semaphore, event

#[test]
fn semaphore_admits_at_most_n() {
    let e = run(r#"
from multiprocessing import Process, Semaphore, Value


def worker(sem, inside, peak):
    with sem:
        with inside.get_lock():
            inside.value += 1
            if inside.value > peak.value:
                peak.value = inside.value
        with inside.get_lock():
            inside.value -= 1


if __name__ == '__main__':
    sem = Semaphore(2)
    inside = Value('i', 0)
    peak = Value('i', 0)
    ps = [Process(target=worker, args=(sem, inside, peak)) for i in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(peak.value)
"#);
    assert_eq!(outcomes(&e), ok(&["1", "2"]));
    no_findings(&e);
}

#[test]
fn event_wait_blocks_until_set() {
    let e = run(r#"
from multiprocessing import Process, Event, Value


def child(ev, v):
    ev.wait()
    v.value = v.value + 10


if __name__ == '__main__':
    ev = Event()
    v = Value('i', 0)
    p = Process(target=child, args=(ev, v))
    p.start()
    v.value = 1
    ev.set()
    p.join()
    print(v.value)
"#);
    assert_eq!(outcomes(&e), ok(&["11"]));
    no_findings(&e);

    let e = run(r#"
from multiprocessing import Process, Event


def child(ev):
    ev.wait()


if __name__ == '__main__':
    ev = Event()
    p = Process(target=child, args=(ev,))
    p.start()
    p.join()
    print('unreachable')
"#);
    assert!(e.outcomes.is_empty());
    assert_eq!(kinds(&e), set([Kind::Deadlock]));
}

// ---------------------------------------------------------------- queues

#[test]
fn queue_put_blocks_when_full() {
    let e = run(r#"
from multiprocessing import Queue

if __name__ == '__main__':
    q = Queue(1)
    q.put(1)
    q.put(2)
    print('unreachable')
"#);
    assert!(e.outcomes.is_empty());
    assert_eq!(kinds(&e), set([Kind::Deadlock]));

    let e = run(r#"
from multiprocessing import Process, Queue


def consumer(q):
    q.get()
    q.get()


if __name__ == '__main__':
    q = Queue(1)
    p = Process(target=consumer, args=(q,))
    p.start()
    q.put(1)
    q.put(2)
    print('both put')
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&["both put"]));
    no_findings(&e);
}

#[test]
fn queue_get_blocks_when_empty() {
    let e = run(r#"
from multiprocessing import Queue

if __name__ == '__main__':
    q = Queue()
    q.get()
    print('unreachable')
"#);
    assert!(e.outcomes.is_empty());
    assert_eq!(kinds(&e), set([Kind::Deadlock]));

    let e = run(r#"
from multiprocessing import Process, Queue


def producer(q):
    q.put('x')


if __name__ == '__main__':
    q = Queue()
    p = Process(target=producer, args=(q,))
    p.start()
    print(q.get())
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&["x"]));
    no_findings(&e);
}

#[test]
fn queue_keeps_order_per_producer() {
    let e = run(r#"
from multiprocessing import Process, Queue


def producer(q):
    q.put(1)
    q.put(2)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=producer, args=(q,))
    p.start()
    a = q.get()
    b = q.get()
    print(a, b)
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&["1 2"]));
    no_findings(&e);

    let e = run(r#"
from multiprocessing import Process, Queue


def producer(q, x):
    q.put(x)


if __name__ == '__main__':
    q = Queue()
    p1 = Process(target=producer, args=(q, 1))
    p2 = Process(target=producer, args=(q, 2))
    p1.start()
    p2.start()
    a = q.get()
    b = q.get()
    print(a, b)
    p1.join()
    p2.join()
"#);
    assert_eq!(outcomes(&e), ok(&["1 2", "2 1"]));
    no_findings(&e);
}

#[test]
fn empty_can_be_true_right_after_own_put() {
    let e = run(r#"
from multiprocessing import Queue

if __name__ == '__main__':
    q = Queue()
    q.put(1)
    print(q.empty())
    print(q.get())
"#);
    // The feeder thread may not have written the item into the pipe yet.
    assert_eq!(outcomes(&e), ok(&["True|1", "False|1"]));
    no_findings(&e);
}

#[test]
fn qsize_is_a_snapshot() {
    let e = run(r#"
from multiprocessing import Process, Queue


def producer(q):
    q.put(1)
    q.put(2)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=producer, args=(q,))
    p.start()
    print(q.qsize())
    q.get()
    q.get()
    print(q.qsize())
    p.join()
"#);
    // qsize is the semaphore count, raised by put() itself.
    assert_eq!(outputs(&e), outs(&["0|0", "1|0", "2|0"]));
    assert_eq!(outcomes(&e), ok(&["0|0", "1|0", "2|0"]));
    no_findings(&e);
}

#[test]
fn unread_large_item_deadlocks_join() {
    let e = run(r#"
from multiprocessing import Process, Queue


def child(q):
    q.put('x' * 100000)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=child, args=(q,))
    p.start()
    p.join()
    s = q.get()
    print(len(s))
"#);
    // The child's feeder cannot push 100000 bytes into a 64 KiB pipe, so the
    // child never exits and join() waits for ever.
    assert!(e.outcomes.is_empty(), "{:?}", e.outcomes);
    assert_eq!(kinds(&e), set([Kind::Deadlock]));
}

#[test]
fn item_that_fits_the_pipe_does_not_block_exit() {
    let e = run(r#"
from multiprocessing import Process, Queue


def child(q):
    q.put('x' * 1000)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=child, args=(q,))
    p.start()
    p.join()
    s = q.get()
    print(len(s))
"#);
    assert_eq!(outcomes(&e), ok(&["1000"]));
    no_findings(&e);
}

#[test]
fn process_killed_inside_get_leaves_read_lock_held() {
    let e = run(r#"
from multiprocessing import Process, Queue
import time


def consumer(q):
    q.get()


if __name__ == '__main__':
    q = Queue()
    c1 = Process(target=consumer, args=(q,))
    c1.start()
    time.sleep(0.1)
    c1.terminate()
    c1.join()
    c2 = Process(target=consumer, args=(q,))
    c2.start()
    q.put('item')
    c2.join()
    print('done')
"#);
    // c1 killed before get(): c2 gets the item. c1 killed while waiting in
    // get() (holding q._rlock): c2 waits for the lock for ever.
    assert_eq!(outcomes(&e), ok(&["done"]));
    assert_eq!(kinds(&e), set([Kind::Deadlock]));
}

#[test]
fn task_done_more_often_than_put_raises_value_error() {
    let e = run(r#"
from multiprocessing import JoinableQueue

if __name__ == '__main__':
    q = JoinableQueue()
    q.put(1)
    q.get()
    q.task_done()
    q.task_done()
    print('unreachable')
"#);
    assert_eq!(outcomes(&e), [(vec![], 1)].into_iter().collect());
    assert_eq!(kinds(&e), set([Kind::Crash]));
    let ms = messages(&e, Kind::Crash);
    assert!(ms.iter().all(|m| m.contains("ValueError") && m.contains("task_done() called too many times")), "{ms:?}");
}

#[test]
fn joinable_join_waits_until_every_item_is_done() {
    let e = run(r#"
from multiprocessing import Process, JoinableQueue, Value


def worker(q, v):
    x = q.get()
    v.value = x
    q.task_done()


if __name__ == '__main__':
    q = JoinableQueue()
    v = Value('i', 0)
    p = Process(target=worker, args=(q, v))
    p.start()
    q.put(5)
    q.join()
    print(v.value)
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&["5"]));
    no_findings(&e);

    let e = run(r#"
from multiprocessing import Process, JoinableQueue


def worker(q):
    q.get()


if __name__ == '__main__':
    q = JoinableQueue()
    p = Process(target=worker, args=(q,))
    p.start()
    q.put(5)
    q.join()
    print('unreachable')
"#);
    assert!(e.outcomes.is_empty());
    assert_eq!(kinds(&e), set([Kind::Deadlock]));
}

// ---------------------------------------------------------------- processes

const SPINNER: &str = r#"
from multiprocessing import Process
import time


def child():
    while True:
        time.sleep(1)


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.STOP()
    print(p.is_alive())
    p.join()
    print(p.exitcode)
"#;

#[test]
fn is_alive_can_be_true_or_false_right_after_terminate() {
    let e = run(&SPINNER.replace("STOP", "terminate"));
    assert_eq!(outcomes(&e), ok(&["True|-15", "False|-15"]));
    no_findings(&e);
}

#[test]
fn terminated_process_exit_code_is_minus_15() {
    let e = run(r#"
from multiprocessing import Process
import time


def child():
    while True:
        time.sleep(1)


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.terminate()
    p.join()
    print(p.exitcode)
"#);
    assert_eq!(outcomes(&e), ok(&["-15"]));
    no_findings(&e);
}

#[test]
fn killed_process_exit_code_is_minus_9() {
    let e = run(&SPINNER.replace("STOP", "kill"));
    assert_eq!(outcomes(&e), ok(&["True|-9", "False|-9"]));
    no_findings(&e);
}

#[test]
fn sys_exit_sets_the_exit_code() {
    let e = run(r#"
from multiprocessing import Process
import sys


def child():
    sys.exit(3)


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.join()
    print(p.exitcode)
    sys.exit(4)
"#);
    assert_eq!(outcomes(&e), [(vec!["3".to_string()], 4)].into_iter().collect());
    no_findings(&e);

    // SystemExit with no code is a clean exit (code None -> 0), and a
    // terminate() after the process ended leaves its exit code alone.
    let e = run(r#"
from multiprocessing import Process
import sys


def child():
    sys.exit()


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.join()
    p.terminate()
    print(p.exitcode)
"#);
    assert_eq!(outcomes(&e), ok(&["0"]));
    no_findings(&e);
}

#[test]
fn uncaught_exception_gives_exit_code_1() {
    let e = run(r#"
from multiprocessing import Process


def child():
    raise ValueError('boom')


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.join()
    print(p.exitcode)
    raise KeyError('k')
"#);
    assert_eq!(outcomes(&e), [(vec!["1".to_string()], 1)].into_iter().collect());
    assert_eq!(kinds(&e), set([Kind::Crash]));
}

#[test]
fn daemon_child_is_terminated_when_main_code_ends() {
    let e = run(r#"
from multiprocessing import Process
import time


def worker():
    while True:
        time.sleep(1)


if __name__ == '__main__':
    p = Process(target=worker, daemon=True)
    p.start()
    time.sleep(0.1)
    print('main done')
"#);
    assert_eq!(outcomes(&e), ok(&["main done"]));
    no_findings(&e);
}

#[test]
fn daemon_process_may_not_have_children() {
    // Beyond the listed facts. CPython's BaseProcess.start() asserts
    // `not _current_process._config.get('daemon')`: a daemon's start() raises
    // AssertionError('daemonic processes are not allowed to have children'),
    // so the daemon dies with exit code 1 (checked with CPython 3.11).
    let e = run(r#"
from multiprocessing import Process


def leaf():
    pass


def mid():
    g = Process(target=leaf)
    g.start()
    g.join()


if __name__ == '__main__':
    p = Process(target=mid, daemon=True)
    p.start()
    p.join()
    print(p.exitcode)
"#);
    assert_eq!(outcomes(&e), ok(&["1"]));
    assert_eq!(kinds(&e), set([Kind::Assertion]));
    let ms = messages(&e, Kind::Assertion);
    assert!(ms.iter().all(|m| m.contains("daemonic processes are not allowed to have children")), "{ms:?}");
}

#[test]
fn non_daemon_child_that_never_ends_hangs() {
    let e = run(r#"
from multiprocessing import Process
import time


def worker():
    while True:
        time.sleep(1)


if __name__ == '__main__':
    p = Process(target=worker)
    p.start()
    time.sleep(0.1)
    print('main done')
"#);
    assert!(e.outcomes.is_empty(), "{:?}", e.outcomes);
    assert_eq!(kinds(&e), set([Kind::Hang]));
}

#[test]
fn main_waits_at_exit_for_non_daemon_children() {
    // A child blocked for ever keeps main from exiting.
    let e = run(r#"
from multiprocessing import Process, Event


def worker(ev):
    ev.wait()


if __name__ == '__main__':
    ev = Event()
    p = Process(target=worker, args=(ev,))
    p.start()
    print('main done')
"#);
    assert!(e.outcomes.is_empty(), "{:?}", e.outcomes);
    assert_eq!(kinds(&e), set([Kind::Deadlock]));

    // Every process runs the exit join: a middle process that does not
    // join its own child still ends only after it.
    let e = run(r#"
from multiprocessing import Process, Value
import time


def grandchild(v):
    time.sleep(0.1)
    v.value = 1


def middle(v):
    g = Process(target=grandchild, args=(v,))
    g.start()


if __name__ == '__main__':
    v = Value('i', 0)
    m = Process(target=middle, args=(v,))
    m.start()
    m.join()
    print(v.value)
"#);
    assert_eq!(outcomes(&e), ok(&["1"]));
    no_findings(&e);
}

#[test]
fn exited_child_is_a_zombie_until_reaped() {
    let e = run(r#"
from multiprocessing import Process
import time


def child():
    pass


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    time.sleep(0.1)
    p.join()
"#);
    assert_eq!(outcomes(&e), ok(&[""]));
    no_findings(&e);
    assert_eq!(warning_kinds(&e), set([Kind::Zombie]));

    let e = run(r#"
from multiprocessing import Process
import time


def child():
    pass


if __name__ == '__main__':
    p = Process(target=child)
    p.start()
    p.join()
    time.sleep(0.1)
"#);
    assert_eq!(outcomes(&e), ok(&[""]));
    no_findings(&e);
    assert!(e.warnings.is_empty(), "{:?}", e.warnings.iter().map(|w| &w.message).collect::<Vec<_>>());
}

#[test]
fn child_outliving_a_killed_parent_is_an_orphan() {
    // The middle process waits on an event nobody sets (no sleep, so no
    // zombie warning either); SIGTERM skips its exit-time join.
    let e = run(r#"
from multiprocessing import Process, Event
import time


def grandchild():
    time.sleep(0.1)


def middle(ev):
    g = Process(target=grandchild)
    g.start()
    ev.wait()


if __name__ == '__main__':
    ev = Event()
    m = Process(target=middle, args=(ev,))
    m.start()
    time.sleep(0.1)
    m.terminate()
    m.join()
    print(m.exitcode)
"#);
    assert_eq!(outcomes(&e), ok(&["-15"]));
    no_findings(&e);
    assert_eq!(warning_kinds(&e), set([Kind::Orphan]));

    // With a sleeping middle, the grandchild can also exit first and stay a
    // zombie of the middle, which never joins it: both warnings are right.
    let e = run(r#"
from multiprocessing import Process
import time


def grandchild():
    time.sleep(0.1)


def middle():
    g = Process(target=grandchild)
    g.start()
    while True:
        time.sleep(1)


if __name__ == '__main__':
    m = Process(target=middle)
    m.start()
    time.sleep(0.1)
    m.terminate()
    m.join()
    print(m.exitcode)
"#);
    assert_eq!(outcomes(&e), ok(&["-15"]));
    no_findings(&e);
    assert_eq!(warning_kinds(&e), set([Kind::Orphan, Kind::Zombie]));
}

// ---------------------------------------------------------------- scheduling points

const INCREMENT: &str = r#"
from multiprocessing import Process, Value
import time


def f(v):
    SLEEP
    x = v.value
    SLEEP
    v.value = x + 1


if __name__ == '__main__':
    v = Value('i', 0)
    a = Process(target=f, args=(v,))
    b = Process(target=f, args=(v,))
    a.start()
    SLEEP
    b.start()
    a.join()
    b.join()
    print(v.value)
"#;

#[test]
fn time_sleep_does_not_change_what_is_possible() {
    let plain = run(&INCREMENT.replace("SLEEP", "pass"));
    let slept = run(&INCREMENT.replace("SLEEP", "time.sleep(0.1)"));
    assert_eq!(outcomes(&plain), ok(&["1", "2"]));
    assert_eq!(outcomes(&slept), outcomes(&plain));
    assert_eq!(kinds(&slept), kinds(&plain));
}

#[test]
fn local_work_is_not_a_scheduling_point() {
    let plain = run(&INCREMENT.replace("SLEEP", "pass"));
    let busy = run(&INCREMENT.replace("SLEEP", "y = 3\n    y = y * 7 - 1\n    y = y + len('abc')"));
    assert_eq!(outcomes(&busy), outcomes(&plain));
    assert_eq!(kinds(&busy), kinds(&plain));
    assert_eq!(busy.stats.states, plain.stats.states);
}

// ---------------------------------------------------------------- exit

#[test]
fn main_uncaught_exception_still_joins_children() {
    let e = run(r#"
from multiprocessing import Process, Value
import time


def child(v):
    time.sleep(0.1)
    v.value = 1


if __name__ == '__main__':
    v = Value('i', 0)
    p = Process(target=child, args=(v,))
    p.start()
    raise ValueError('boom')
"#);
    assert_eq!(outcomes(&e), [(vec![], 1)].into_iter().collect());
    assert_eq!(kinds(&e), set([Kind::Crash]));

    // The exit join also happens after an uncaught exception: a child that
    // never ends keeps main from exiting.
    let e = run(r#"
from multiprocessing import Process, Event


def child(ev):
    ev.wait()


if __name__ == '__main__':
    ev = Event()
    p = Process(target=child, args=(ev,))
    p.start()
    raise ValueError('boom')
"#);
    assert!(e.outcomes.is_empty(), "{:?}", e.outcomes);
    assert_eq!(kinds(&e), set([Kind::Crash, Kind::Deadlock]));
}

#[test]
fn process_names_follow_cpython_counter() {
    const SRC: &str = r#"
from multiprocessing import Process, Queue, Manager


def leaf():
    pass


def mid(q):
    g = Process(target=leaf)
    q.put(g.name)
    g.start()
    g.join()


if __name__ == '__main__':
    MANAGER
    q = Queue()
    p = Process(target=mid, args=(q,))
    print(p.name)
    p.start()
    print(q.get())
    p.join()
    r = Process(target=leaf)
    print(r.name)
"#;
    let e = run(&SRC.replace("MANAGER", "pass"));
    assert_eq!(outcomes(&e), ok(&["Process-1|Process-1:1|Process-2"]));
    no_findings(&e);

    // Manager() starts its server process (SyncManager-1), which takes a number.
    let e = run(&SRC.replace("MANAGER", "m = Manager()"));
    assert_eq!(outcomes(&e), ok(&["Process-2|Process-2:1|Process-3"]));
    no_findings(&e);
}
