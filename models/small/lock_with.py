# Lock with `with l:`: WORKERS processes each read-modify-write a shared Value inside the lock,
# so the guarded code runs one process at a time and no increment is lost.
# expect: none
from multiprocessing import Process, Lock, Value
import time

WORKERS = 3


def add_one(l, total):
    with l:
        # Read and write are separate steps on purpose: only the lock keeps them together.
        n = total.value
        time.sleep(0.01)
        total.value = n + 1


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
