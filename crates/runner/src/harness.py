# interleave's CPython harness: runs a model file as __main__, unchanged.
#
# - The fork start method, the one interleave models (Linux's default up to
#   Python 3.13).
# - Every child process (model processes and the Manager's server) sends
#   its stdout to the file named by INTERLEAVE_CHILD_STDOUT, so the
#   harness's own stdout carries the main process's prints only. The parent
#   flushes its streams before each fork (multiprocessing does), so no line
#   of main is printed twice.
# - With INTERLEAVE_JITTER set, each visible operation (locks, semaphores,
#   events, queues, Manager proxy calls, open, sleep, start/join) first
#   sleeps up to 2 ms half of the time, drawn from a generator seeded with
#   the seed and the process's pid.
import os
import random
import runpy
import sys
import time

import multiprocessing
import multiprocessing.managers
import multiprocessing.process
import multiprocessing.queues
import multiprocessing.synchronize

MODEL = sys.argv[1]
CHILD_STDOUT = os.environ.get('INTERLEAVE_CHILD_STDOUT', os.devnull)
JITTER = os.environ.get('INTERLEAVE_JITTER')

multiprocessing.set_start_method('fork', force=True)

_rng = random.Random()
_sleep = time.sleep


def _seed():
    if JITTER is not None:
        _rng.seed(int(JITTER) * 1_000_003 + os.getpid())


def _pause():
    if JITTER is not None and _rng.random() < 0.5:
        _sleep(_rng.random() * 0.002)


_bootstrap = multiprocessing.process.BaseProcess._bootstrap


def _child_bootstrap(self, *args, **kwargs):
    fd = os.open(CHILD_STDOUT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.close(fd)
    _seed()
    return _bootstrap(self, *args, **kwargs)


multiprocessing.process.BaseProcess._bootstrap = _child_bootstrap


def _jittered(cls, name):
    orig = getattr(cls, name)

    def wrapper(*args, **kwargs):
        _pause()
        return orig(*args, **kwargs)

    wrapper.__name__ = orig.__name__
    setattr(cls, name, wrapper)


if JITTER is not None:
    _seed()
    sl = multiprocessing.synchronize.SemLock
    _make_methods = sl._make_methods

    def _make_jittered_methods(self):
        _make_methods(self)
        acquire, release = self.acquire, self.release

        def jacquire(*args, **kwargs):
            _pause()
            return acquire(*args, **kwargs)

        def jrelease(*args, **kwargs):
            _pause()
            return release(*args, **kwargs)

        self.acquire, self.release = jacquire, jrelease

    sl._make_methods = _make_jittered_methods
    for name in ('__enter__', '__exit__'):
        _jittered(sl, name)
    for name in ('set', 'clear', 'is_set', 'wait'):
        _jittered(multiprocessing.synchronize.Event, name)
    for name in ('put', 'get', 'qsize', 'empty', 'full'):
        _jittered(multiprocessing.queues.Queue, name)
    for name in ('task_done', 'join'):
        _jittered(multiprocessing.queues.JoinableQueue, name)
    _jittered(multiprocessing.managers.BaseProxy, '_callmethod')
    for name in ('start', 'join', 'is_alive', 'terminate', 'kill'):
        _jittered(multiprocessing.process.BaseProcess, name)
    _open = open

    def _jittered_open(*args, **kwargs):
        _pause()
        return _open(*args, **kwargs)

    import builtins
    builtins.open = _jittered_open

    def _jittered_sleep(secs):
        _pause()
        _sleep(secs)

    time.sleep = _jittered_sleep

sys.argv = [MODEL]
runpy.run_path(MODEL, run_name='__main__')
