# Join before drain, bounded queue: the producer puts ITEMS buns and a None into Queue(10) and main
# joins it before getting anything; the put after the queue is full blocks, and main waits in join() for ever.
# expect: deadlock
from multiprocessing import Process, Queue

ITEMS = 10


def producer(q):
    for i in range(ITEMS):
        q.put(f'bun {i}')
    q.put(None)


if __name__ == '__main__':
    q = Queue(10)
    p = Process(target=producer, args=(q,))
    p.start()
    p.join()
    got = 0
    while True:
        bun = q.get()
        if bun is None:
            break
        got += 1
    print(got)
