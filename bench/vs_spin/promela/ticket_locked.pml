/* models/ticket_tutorial.py with N / 2 readers and N / 2 buyers (spin -DN=..).
 * Readers read the file without the lock (and crash in eval('') on a file a
 * buyer just truncated: an assertion here, counted with -c0); buyers
 * read-check-rewrite it under a blocking Lock. After winners.put(i) the
 * buyer's lock release and its feeder's move into the pipe are two actors'
 * steps in either order; the buyer's exit waits for both. Main asserts
 * sold == 1, as the model does. File contents and queue as in
 * ticket_nolock.pml. */
#ifndef N
#define N 4
#endif
#define R (N / 2)   /* READERS */
#define ABSENT 0
#define EMPTY  1
#define ONE    2
#define ZERO   3

byte file = ABSENT;
bit lock;                         /* lock = Lock(): 1 while held */
chan winners = [N] of { byte };   /* the queue's pipe */
bit exited[N];                    /* the process table: child i has exited */

proctype show_ticket(byte me) {
    byte info;
    skip;                                          /* search_ticket: open(TICKET_FILE) */
    d_step {
        info = file;                               /* text = f.read(); eval(text) */
        assert(info != EMPTY);                     /* crash: eval('') raises SyntaxError */
        info = 0                                   /* print; return */
    };
    exited[me] = 1                                 /* process exit */
}

proctype buy_ticket(byte me) {
    byte info, buf;
    atomic { lock == 0 -> lock = 1 };              /* with lock: acquire, blocks while held */
    skip;                                          /* search_ticket: open(TICKET_FILE) */
    atomic {
        info = file;                               /* text = f.read(); eval(text) */
        assert(info != EMPTY);                     /* never fails: only buyers write, locked */
        if
        :: info != ONE -> goto release             /* sold out */
        :: else
        fi
    };
    file = EMPTY;                                  /* open(TICKET_FILE, 'w'): truncates */
    file = ZERO;                                   /* f.write(str(info)); close: flush */
    buf = me - R + 1;                              /* winners.put(i) */
    if                                             /* the feeder and the release race */
    :: d_step { winners!buf; buf = 0 }; d_step { lock = 0; info = 0 }
    :: d_step { lock = 0; info = 0 }; d_step { winners!buf; buf = 0 }
    fi;
    goto exit;
release:
    atomic { lock = 0; info = 0 };                 /* end of with: release; return */
exit:
    exited[me] = 1                                 /* process exit (after its feeder) */
}

init {
    byte i, sold, final, x;
    file = EMPTY;                                  /* open(TICKET_FILE, 'w') */
    file = ONE;                                    /* f.write(str({'ticket': 1})); close */
    do                                             /* the readers' and buyers' p.start() */
    :: atomic { i < R -> run show_ticket(i); i++ }
    :: atomic { i >= R && i < N -> run buy_ticket(i); i++ }
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
    assert(sold == 1)                              /* print(sold); assert sold == 1 */
}
