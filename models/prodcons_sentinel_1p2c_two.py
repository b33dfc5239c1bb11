# Producer/consumer with 2 consumers and 2 None sentinels, one per consumer: both stop
# after all ITEMS buns are eaten between them.
# expect: none
from multiprocessing import Process, Queue
import time

ITEMS = 10
CONSUMERS = 2
SENTINELS = 2


def producer(q):
    for i in range(ITEMS):
        time.sleep(0.01)
        q.put(f'bun {i}')
    for i in range(SENTINELS):
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
    q = Queue(10)
    done = Queue()
    pro = Process(target=producer, args=(q,))
    pro.start()
    cons = []
    for i in range(CONSUMERS):
        c = Process(target=consumer, args=(q, done))
        c.start()
        cons.append(c)
    pro.join()
    for c in cons:
        c.join()
    # Each consumer that stopped put exactly one count, and all have exited: safe to get now.
    total = 0
    for i in range(CONSUMERS):
        total += done.get()
    print(f'eaten: {total}')
