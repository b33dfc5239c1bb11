# JoinableQueue (the tutorial's version): the producer's q.join() returns only after the daemon
# consumer called task_done() for every bun, so all ITEMS are eaten before main ends.
# expect: none
from multiprocessing import Process, JoinableQueue, Value
import time

ITEMS = 10


def producer(q):
    for i in range(ITEMS):
        time.sleep(0.01)
        q.put(f'bun {i}')
    q.join()


def consumer(q, eaten):
    while True:
        time.sleep(0.02)
        bun = q.get()
        # Only the consumer writes `eaten`; counted before task_done so join() implies it.
        eaten.value = eaten.value + 1
        print(f'{bun} eaten')
        q.task_done()


if __name__ == '__main__':
    q = JoinableQueue(10)
    eaten = Value('i', 0)
    pro = Process(target=producer, args=(q,))
    con = Process(target=consumer, args=(q, eaten))
    pro.start()
    # Daemon, so its endless loop ends with main's code.
    con.daemon = True
    con.start()
    pro.join()
    n = eaten.value
    print(f'eaten when the producer finished: {n}')
    assert n == ITEMS, 'join() returned before every bun was eaten'
