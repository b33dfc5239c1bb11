# JoinableQueue, task_done() twice for the first bun: join() can return with a bun uneaten (assertion),
# a later task_done() can raise ValueError (crash), after which join() never returns (deadlock).
# expect: assertion, crash, deadlock
from multiprocessing import Process, JoinableQueue, Value
import time

ITEMS = 3


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
        if bun == 'bun 0':
            q.task_done()


if __name__ == '__main__':
    q = JoinableQueue(3)
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
