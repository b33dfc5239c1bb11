# Producer/consumer with a None sentinel, 1 producer and 1 consumer (the tutorial's example):
# the consumer stops at the sentinel after eating all ITEMS buns, in order.
# expect: none
from multiprocessing import Process, Queue
import time

ITEMS = 3


def producer(q):
    for i in range(ITEMS):
        time.sleep(0.01)
        bun = f'bun {i}'
        q.put(bun)
        print(f'{bun} made')
    q.put(None)


def consumer(q, done):
    eaten = 0
    while True:
        time.sleep(0.02)
        bun = q.get()
        if bun is None:
            print('consumer: all eaten')
            break
        # One producer: its order is kept.
        assert bun == f'bun {eaten}', 'buns out of order'
        print(f'{bun} eaten')
        eaten += 1
    done.put(eaten)


if __name__ == '__main__':
    q = Queue(3)
    done = Queue()
    pro = Process(target=producer, args=(q,))
    con = Process(target=consumer, args=(q, done))
    pro.start()
    con.start()
    eaten = done.get()
    pro.join()
    con.join()
    print(f'eaten: {eaten}')
