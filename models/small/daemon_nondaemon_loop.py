# Daemon, non-daemon twin: the worker is not a daemon and idles for ever after its work,
# so main's exit waits for it for ever while it keeps moving: the program hangs (not a deadlock).
# expect: hang
from multiprocessing import Process, Value
import time

UNITS = 2


def worker(done):
    for i in range(UNITS):
        time.sleep(0.1)
        done.value = i + 1
        print(f'worker: unit {i + 1} done')
    # Idle for ever with finite state: the process can always take a step.
    while True:
        time.sleep(1)


if __name__ == '__main__':
    done = Value('i', 0)
    p = Process(target=worker, args=(done,))
    p.start()
    time.sleep(0.25)
    print(f'units done when main ended: {done.value}')
