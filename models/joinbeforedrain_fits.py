# Join before drain with an item that fits: the child puts 1000 characters, which the pipe holds,
# so it can exit before main gets, and joining first is harmless here.
# expect: none
from multiprocessing import Process, Queue

SIZE = 1000


def sender(q):
    q.put('x' * SIZE)


if __name__ == '__main__':
    q = Queue()
    p = Process(target=sender, args=(q,))
    p.start()
    p.join()
    item = q.get()
    print(len(item))
