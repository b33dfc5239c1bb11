# Ticket grabbing without the lock, from 11 tickets: besides lost updates and crashes, two buyers that
# both truncated can write 14 and 13 bytes at offset 0 and leave a corrupt file such as {'ticket': 8}}.
# expect: assertion, crash, lost-update
from multiprocessing import Process, Queue

BUYERS = 10
TICKETS = 11
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


def tickets_left(text):
    # Main must not crash on a corrupt file: it reports it instead.
    try:
        return eval(text)['ticket']
    except SyntaxError:
        return None


if __name__ == '__main__':
    with open(TICKET_FILE, 'w') as f:
        f.write(str({'ticket': TICKETS}))
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
    left = tickets_left(final)
    print(sold)
    assert left is not None, 'the ticket file is corrupt'
    assert sold + left == TICKETS, 'tickets sold plus tickets left must be the starting count'
