# Producer/consumer with 2 producers each sending its own None sentinel to 1 consumer:
# the consumer stops at the first sentinel, so the other producer's later buns are never eaten.
# expect: assertion
from multiprocessing import Process, Queue
import time

PRODUCERS = 2
ITEMS_EACH = 2


def producer(q, name):
    for i in range(ITEMS_EACH):
        time.sleep(0.01)
        q.put(f'{name} bun {i}')
    q.put(None)


def consumer(q, done):
    eaten = 0
    while True:
        time.sleep(0.02)
        bun = q.get()
        if bun is None:
            break
        eaten += 1
    done.put(eaten)


if __name__ == '__main__':
    q = Queue(4)
    done = Queue()
    pros = []
    for i in range(PRODUCERS):
        p = Process(target=producer, args=(q, f'p{i}'))
        p.start()
        pros.append(p)
    con = Process(target=consumer, args=(q, done))
    con.start()
    # Leftover buns stay in the queue; they are small, so the producers can still exit.
    for p in pros:
        p.join()
    con.join()
    eaten = done.get()
    print(f'eaten: {eaten}')
    assert eaten == PRODUCERS * ITEMS_EACH, 'buns lost after the first sentinel'
