/* models/manager_counter_locked.py with N workers (spin -DN=..).
 * The same steps as counter_unlocked.pml inside a blocking Lock, with the
 * tutorial's time.sleep (a scheduling point that touches nothing). The
 * final value must be 100 - N: asserted at the end of main. */
#ifndef N
#define N 4
#endif

byte num = 100;     /* d = m.dict({'num': 100}) */
bit lock;           /* lock = Lock(): 1 while held */
bit exited[N];      /* the process table: worker i has exited */

proctype take_one(byte me) {
    byte temp;
    atomic { lock == 0 -> lock = 1 };         /* lock.acquire(): blocks while held */
    d_step { temp = num; temp = temp - 1 };   /* temp = d['num']; temp -= 1 */
    skip;                                     /* time.sleep(0.01) */
    num = temp;                               /* d['num'] = temp */
    d_step { lock = 0; temp = 0 };            /* lock.release(); return: the frame is gone */
    exited[me] = 1                            /* process exit */
}

init {
    byte i;
    do                                        /* for i in range(N): p.start() */
    :: atomic { i < N -> run take_one(i); i++ }
    :: atomic { i == N -> i = 0; break }
    od;
    do                                        /* for p in procs: p.join() */
    :: atomic { i < N && exited[i] -> i++ }   /* blocks until worker i exited */
    :: atomic { i == N -> break }
    od;
    assert(num == 100 - N)                    /* print(d['num']): always 100 - N */
}
