# Ticket grabbing (tutorial): unlocked readers show the file, locked buyers read-check-decrement-rewrite it;
# exactly one buyer wins, but a reader can read the file a buyer just truncated: eval('') SyntaxError.
# expect: crash
from multiprocessing import Process, Lock, Queue

READERS = 2
BUYERS = 2
TICKET_FILE = 'ticket.txt'


def search_ticket():
    with open(TICKET_FILE) as f:
        text = f.read()
    # The file is empty between a buyer's open('w') and its close: eval('') raises SyntaxError.
    return eval(text)


def show_ticket(i):
    left = search_ticket()['ticket']
    print(f'reader {i}: {left} ticket(s) left')


def buy_ticket(i, lock, winners):
    with lock:
        info = search_ticket()
        if info['ticket'] > 0:
            info['ticket'] -= 1
            with open(TICKET_FILE, 'w') as f:
                f.write(str(info))
            winners.put(i)
            print(f'buyer {i}: got a ticket')
        else:
            print(f'buyer {i}: sold out')


if __name__ == '__main__':
    with open(TICKET_FILE, 'w') as f:
        f.write(str({'ticket': 1}))
    lock = Lock()
    winners = Queue()
    procs = []
    for i in range(1, READERS + 1):
        p = Process(target=show_ticket, args=(i,))
        p.start()
        procs.append(p)
    for i in range(1, BUYERS + 1):
        p = Process(target=buy_ticket, args=(i, lock, winners))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    # Every winner has exited, so its number is in the queue already.
    sold = 0
    while not winners.empty():
        winners.get()
        sold += 1
    with open(TICKET_FILE) as f:
        final = f.read()
    print(f'file at the end: {final}')
    print(sold)
    assert sold == 1, 'the lock should let exactly one buyer win'
