# Shared dict without a lock: WORKERS processes each do temp = d['num']; temp -= 1; d['num'] = temp
# on a Manager dict; two can read the same value, so decrements are lost (final num in 90..99).
# expect: lost-update
from multiprocessing import Process, Manager

WORKERS = 10


def take_one(d):
    temp = d['num']
    temp -= 1
    d['num'] = temp


if __name__ == '__main__':
    m = Manager()
    d = m.dict({'num': 100})
    procs = []
    for i in range(WORKERS):
        p = Process(target=take_one, args=(d,))
        p.start()
        procs.append(p)
    for p in procs:
        p.join()
    print(d['num'])
