# Shared dict with a lock: the same read-decrement-write as manager_counter_nolock.py, held under
# one Lock (with the tutorial's pause inside), so every decrement counts: final num is always 90.
# expect: none
from multiprocessing import Process, Manager, Lock
import time

WORKERS = 10


def take_one(d, lock):
    lock.acquire()
    temp = d['num']
    temp -= 1
    time.sleep(0.01)
    d['num'] = temp
    lock.release()


if __name__ == '__main__':
    m = Manager()
    d = m.dict({'num': 100})
    lock = Lock()
    procs = []
    for i in range(WORKERS):
        p = Process(target=take_one, args=(d, lock))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(d['num'])
