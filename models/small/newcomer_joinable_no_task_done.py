# Newcomer: main puts items on a JoinableQueue and calls q.join(), but the consumer never calls
# task_done(); join() waits for ever while the consumer waits in get() for more.
# expect: deadlock
from multiprocessing import Process, JoinableQueue

ITEMS = 3


def consumer(q):
    while True:
        item = q.get()
        print(f'consumer: got {item}')


if __name__ == '__main__':
    q = JoinableQueue()
    c = Process(target=consumer, args=(q,))
    c.daemon = True
    c.start()
    for i in range(ITEMS):
        q.put(i)
    q.join()
    print('all items processed')
