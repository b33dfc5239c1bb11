# Lock without finally: one worker raises between acquire() and release(); its caller catches
# the error (no crash) but the lock stays held, so any worker that comes later waits for ever.
# expect: deadlock
from multiprocessing import Process, Lock, Value

# One bad item; it comes first so that real runs usually show the deadlock too.
ITEMS = [-1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def add_item(l, total, item):
    l.acquire()
    if item < 0:
        raise ValueError('negative item')
    total.value = total.value + item
    l.release()


def worker(l, total, item):
    try:
        add_item(l, total, item)
    except ValueError:
        print('worker: bad item skipped')


if __name__ == '__main__':
    l = Lock()
    total = Value('i', 0)
    procs = []
    for item in ITEMS:
        p = Process(target=worker, args=(l, total, item))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(total.value)
