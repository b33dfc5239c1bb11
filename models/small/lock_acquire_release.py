# Lock with acquire()/release(): the same guarded read-modify-write as lock_with.py, spelled
# with explicit calls; nothing between them can raise, so the lock is always released.
# expect: none
from multiprocessing import Process, Lock, Value
import time

WORKERS = 3


def add_one(l, total):
    l.acquire()
    n = total.value
    time.sleep(0.01)
    total.value = n + 1
    l.release()


if __name__ == '__main__':
    l = Lock()
    total = Value('i', 0)
    procs = []
    for i in range(WORKERS):
        p = Process(target=add_one, args=(l, total))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(total.value)
