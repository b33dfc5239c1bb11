/* models/manager_counter_nolock.py with N workers (spin -DN=..).
 * One statement per step of interleave: a Manager dict read, a Manager
 * dict write, a process start, join or exit; local work rides along in a
 * d_step. The final value is recorded, not asserted: the lost update is
 * the point of the model, and the whole space must be explored. */
#ifndef N
#define N 4
#endif

byte num = 100;     /* d = m.dict({'num': 100}) */
bit exited[N];      /* the process table: worker i has exited */
byte printed;       /* print(d['num']): main's outcome */

proctype take_one(byte me) {
    byte temp;
    d_step { temp = num; temp = temp - 1 };   /* temp = d['num']; temp -= 1 */
    d_step { num = temp; temp = 0 };          /* d['num'] = temp; return: the frame is gone */
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
    printed = num                             /* print(d['num']) */
}
