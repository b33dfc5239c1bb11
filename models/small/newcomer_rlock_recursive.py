# Newcomer: a recursive function takes the same RLock at every level; an RLock lets its owner
# take it again, so this is correct (a plain Lock would block on itself). Final total is 6.
# expect: none
from multiprocessing import Process, RLock, Value

WORKERS = 2
DEPTH = 3


def add_levels(rl, total, depth):
    if depth == 0:
        return
    with rl:
        total.value = total.value + 1
        add_levels(rl, total, depth - 1)


def worker(rl, total):
    add_levels(rl, total, DEPTH)


if __name__ == '__main__':
    rl = RLock()
    total = Value('i', 0)
    procs = []
    for i in range(WORKERS):
        p = Process(target=worker, args=(rl, total))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(total.value)
