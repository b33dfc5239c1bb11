# Ticket grabbing without the lock: the one ticket is oversold (1..BUYERS winners, lost update), a buyer can
# crash in eval('') on a file another buyer just truncated; the file always ends as {'ticket': 0}.
# expect: assertion, crash, lost-update
from multiprocessing import Process, Queue

BUYERS = 10
TICKET_FILE = 'ticket.txt'


def search_ticket():
    with open(TICKET_FILE) as f:
        text = f.read()
    return eval(text)


def buy_ticket(i, winners):
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
    winners = Queue()
    procs = []
    for i in range(1, BUYERS + 1):
        p = Process(target=buy_ticket, args=(i, winners))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    sold = 0
    while not winners.empty():
        winners.get()
        sold += 1
    with open(TICKET_FILE) as f:
        final = f.read()
    print(f'file at the end: {final}')
    # Print first so the outcome shows how far it was oversold, then fail.
    print(sold)
    assert sold <= 1, 'one ticket was sold more than once'
