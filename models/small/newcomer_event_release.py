# Newcomer: workers wait on an Event and main sets it to release them all; every worker gets past
# wait() whenever it arrives (set is sticky), so all finish. Correct.
# expect: none
from multiprocessing import Process, Event
import time

WORKERS = 3


def worker(go, i):
    go.wait()
    print(f'worker {i}: released')


if __name__ == '__main__':
    go = Event()
    procs = []
    for i in range(WORKERS):
        p = Process(target=worker, args=(go, i))
        p.start()
        procs.append(p)
    time.sleep(0.1)
    go.set()
    for p in procs:
        p.join()
    codes = []
    for p in procs:
        codes.append(p.exitcode)
    print(f'exit codes: {codes}')
