# Newcomer: two processes take the same two locks in opposite orders; each can hold one lock
# while waiting for the other.
# expect: deadlock
from multiprocessing import Process, Lock
import time


def first_a_then_b(a, b):
    with a:
        time.sleep(0.1)
        with b:
            print('worker 1: has both locks')


def first_b_then_a(a, b):
    with b:
        time.sleep(0.1)
        with a:
            print('worker 2: has both locks')


if __name__ == '__main__':
    a = Lock()
    b = Lock()
    p1 = Process(target=first_a_then_b, args=(a, b))
    p2 = Process(target=first_b_then_a, args=(a, b))
    p1.start()
    p2.start()
    p1.join()
    p2.join()
    print('both workers finished')
