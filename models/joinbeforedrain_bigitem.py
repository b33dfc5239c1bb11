# Join before drain, big item (Python's programming guidelines): the child puts one item larger than
# the 64 KiB pipe, so it cannot exit before someone reads it, and main joins it before getting.
# expect: deadlock
from multiprocessing import Process, Queue

SIZE = 100000


def sender(q):
    q.put('x' * SIZE)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=sender, args=(q,))
    p.start()
    p.join()
    item = q.get()
    print(len(item))
