# Zombie: the child exits at once but main only joins it later; in between the exited child
# is a zombie (nothing reaps it: no join, is_alive, active_children or new start).
# expect: zombie
from multiprocessing import Process
import time


def quick():
    print('child: done')


if __name__ == '__main__':
    p = Process(target=quick, name='quick')
    p.start()
    # Main "works" without reaping; reading p.exitcode here would reap, so it waits.
    time.sleep(0.5)
    p.join()
    print(f'exitcode: {p.exitcode}')
