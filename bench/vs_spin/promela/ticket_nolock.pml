/* models/ticket_nolock.py with N buyers (spin -DN=..).
 * The ticket file holds one of four contents; open(.., 'w') truncates at
 * once and the text lands when the handle is closed (flushed), as in
 * interleave. A buyer that reads the empty file crashes in eval(''): an
 * assertion here (counted with -c0, the search goes on), then it exits.
 * winners.put(i) fills the buyer's feeder buffer; the feeder moves the item
 * into the pipe (its own step); the buyer's exit waits for that. Main's
 * assert sold <= 1 is the model's assert. */
#ifndef N
#define N 4
#endif
#define ABSENT 0    /* no file yet */
#define EMPTY  1    /* truncated, not flushed */
#define ONE    2    /* {'ticket': 1} */
#define ZERO   3    /* {'ticket': 0} */

byte file = ABSENT;
chan winners = [N] of { byte };   /* the queue's pipe */
bit exited[N];                    /* the process table: buyer i has exited */

proctype buy_ticket(byte me) {
    byte info;      /* eval(text)['ticket'] as a file content */
    byte buf;       /* the feeder's buffer: winners.put(i) not yet in the pipe */
    skip;                                          /* search_ticket: open(TICKET_FILE) */
    atomic {
        info = file;                               /* text = f.read(); eval(text) */
        assert(info != EMPTY);                     /* crash: eval('') raises SyntaxError */
        if
        :: info != ONE -> info = 0; goto exit      /* sold out (or crashed): return */
        :: else
        fi
    };
    file = EMPTY;                                  /* open(TICKET_FILE, 'w'): truncates */
    file = ZERO;                                   /* f.write(str(info)); close: flush */
    d_step { buf = me + 1; info = 0 };             /* winners.put(i); print; return */
    d_step { winners!buf; buf = 0 };               /* the feeder moves i into the pipe */
exit:
    exited[me] = 1                                 /* process exit (after its feeder) */
}

init {
    byte i, sold, final, x;
    file = EMPTY;                                  /* open(TICKET_FILE, 'w') */
    file = ONE;                                    /* f.write(str({'ticket': 1})); close */
    do                                             /* for i in range(1, N + 1): p.start() */
    :: atomic { i < N -> run buy_ticket(i); i++ }
    :: atomic { i == N -> i = 0; break }
    od;
    do                                             /* for p in procs: p.join() */
    :: atomic { i < N && exited[i] -> i++ }
    :: atomic { i == N -> break }
    od;
    do                                             /* while not winners.empty(): */
    :: nempty(winners) -> d_step { winners?x; sold++; x = 0 }   /* winners.get(); sold += 1 */
    :: empty(winners) -> break
    od;
    skip;                                          /* open(TICKET_FILE) */
    final = file;                                  /* final = f.read(); print(...) */
    assert(sold <= 1)                              /* print(sold); assert sold <= 1 */
}
