# Process basics: start, terminate and join a child that never ends by itself.
# SIGTERM is asynchronous, so is_alive() read right after terminate() may say True or False; exit code is -15.
# expect: none
from multiprocessing import Process
import os
import time


def spin():
    # Finite state on purpose: no counter grows while it waits to be killed.
    while True:
        time.sleep(1)


if __name__ == '__main__':
    p = Process(target=spin, name='spinner')
    print(f'alive before start: {p.is_alive()}')
    p.start()
    print(f'name: {p.name}')
    print(f'pid differs from main pid: {p.pid != os.getpid()}')
    print(f'alive after start: {p.is_alive()}')
    p.terminate()
    # The signal may not have landed yet: both answers are possible here.
    print(f'alive right after terminate: {p.is_alive()}')
    p.join()
    print(f'alive after join: {p.is_alive()}')
    print(f'exitcode: {p.exitcode}')
