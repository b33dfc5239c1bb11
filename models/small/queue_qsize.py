# Queue qsize: main reads qsize() while a producer puts and a consumer gets ITEMS items;
# the value is only a snapshot, so several values are possible (0..ITEMS).
# expect: none
from multiprocessing import Process, Queue
import time

ITEMS = 3


def producer(q):
    for i in range(ITEMS):
        time.sleep(0.01)
        q.put(f'item {i}')


def consumer(q):
    for i in range(ITEMS):
        time.sleep(0.02)
        q.get()


if __name__ == '__main__':
    q = Queue(3)
    pro = Process(target=producer, args=(q,))
    con = Process(target=consumer, args=(q,))
    pro.start()
    con.start()
    time.sleep(0.1)
    print(f'qsize while they run: {q.qsize()}')
    pro.join()
    con.join()
    print(f'qsize at the end: {q.qsize()}')
