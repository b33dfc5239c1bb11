# Daemon: a daemon worker does UNITS units of work while main does a little and ends;
# the worker is killed when main's code ends, so main can see any of 0..UNITS units done.
# expect: none
from multiprocessing import Process, Value
import time

UNITS = 5


def worker(done):
    for i in range(UNITS):
        time.sleep(0.1)
        # Only this process writes `done`, main only reads it: no race.
        done.value = i + 1
        print(f'worker: unit {i + 1} done')


if __name__ == '__main__':
    done = Value('i', 0)
    p = Process(target=worker, args=(done,))
    p.daemon = True
    p.start()
    time.sleep(0.25)
    print(f'units done when main ended: {done.value}')
