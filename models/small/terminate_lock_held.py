# Terminate with a lock held: main terminates a child that may be inside `with l:`, then takes l;
# a killed holder never releases, so main can wait for the lock for ever.
# expect: deadlock
from multiprocessing import Process, Lock
import time


def holder(l):
    # Holds the lock most of the time, so real runs usually kill it inside.
    while True:
        with l:
            time.sleep(0.05)


if __name__ == '__main__':
    l = Lock()
    p = Process(target=holder, args=(l,), name='holder')
    p.start()
    time.sleep(0.1)
    p.terminate()
    p.join()
    print(f'holder exitcode: {p.exitcode}')
    with l:
        print('main took the lock')
