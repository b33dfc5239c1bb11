# Orphan: main terminates a middle process while the middle's own child still runs;
# SIGTERM skips the middle's exit-time join, so the grandchild outlives its parent.
# expect: orphan
from multiprocessing import Process
import time


def grandchild():
    for i in range(2):
        time.sleep(0.2)
    print('grandchild: finished')


def middle():
    g = Process(target=grandchild, name='grandchild')
    g.start()
    while True:
        time.sleep(1)


if __name__ == '__main__':
    m = Process(target=middle, name='middle')
    m.start()
    time.sleep(0.2)
    m.terminate()
    m.join()
    print(f'middle exitcode: {m.exitcode}')
