# Process basics: a child reports its own name and pid; main checks them against p.name and p.pid.
# Every interleaving prints the same lines.
# expect: none
from multiprocessing import Process, Queue, current_process
import os


def report(q):
    me = current_process()
    q.put((me.name, os.getpid()))


if __name__ == '__main__':
    q = Queue()
    p = Process(target=report, args=(q,), name='reporter')
    p.start()
    name, pid = q.get()
    print(f'child name: {name}')
    print(f'name matches p.name: {name == p.name}')
    print(f'pid matches p.pid: {pid == p.pid}')
    print(f'child pid differs from main pid: {pid != os.getpid()}')
    p.join()
    print(f'alive after join: {p.is_alive()}')
    print(f'exitcode: {p.exitcode}')
