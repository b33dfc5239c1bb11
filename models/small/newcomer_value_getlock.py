# Newcomer: Value('i', 0) incremented by 3 workers, 2 times each, every `+= 1` inside
# `with v.get_lock():` (the Value's own re-entrant lock), so no increment is lost: prints 6.
# expect: none
from multiprocessing import Process, Value

WORKERS = 3
TIMES = 2


def worker(v):
    for i in range(TIMES):
        with v.get_lock():
            v.value += 1


if __name__ == '__main__':
    v = Value('i', 0)
    procs = []
    for i in range(WORKERS):
        p = Process(target=worker, args=(v,))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(v.value)
