# Newcomer: Semaphore(2) lets 3 workers in at most two at a time, but `v.value += 1` is a read then a
# write, so the two inside together can lose an increment (final value 1, 2 or 3).
# expect: lost-update
from multiprocessing import Process, Semaphore, Value
import time

WORKERS = 3


def worker(sem, v):
    with sem:
        v.value += 1
        time.sleep(0.05)


if __name__ == '__main__':
    sem = Semaphore(2)
    v = Value('i', 0)
    procs = []
    for i in range(WORKERS):
        p = Process(target=worker, args=(sem, v))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(v.value)
