//! The little a driver needs from a threaded runtime: a mutex, a condition
//! variable and spawning. loom and shuttle provide the same shape; the
//! driver is written once against this trait.

use std::ops::DerefMut;

pub trait Runtime: 'static {
    type Mutex<T: Send + 'static>: Send + Sync + 'static;
    type Guard<'a, T: Send + 'static>: DerefMut<Target = T>;
    type Condvar: Send + Sync + 'static;

    fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T>;
    fn lock<T: Send + 'static>(m: &Self::Mutex<T>) -> Self::Guard<'_, T>;
    fn condvar() -> Self::Condvar;
    fn wait<'a, T: Send + 'static>(c: &Self::Condvar, g: Self::Guard<'a, T>) -> Self::Guard<'a, T>;
    fn notify_all(c: &Self::Condvar);
    fn spawn(f: impl FnOnce() + Send + 'static);
    /// A scheduling point that touches nothing (`time.sleep`).
    fn yield_now();
}

/// loom: exhaustive over every order of the driver's lock acquisitions.
pub struct Loom;

impl Runtime for Loom {
    type Mutex<T: Send + 'static> = loom::sync::Mutex<T>;
    type Guard<'a, T: Send + 'static> = loom::sync::MutexGuard<'a, T>;
    type Condvar = loom::sync::Condvar;

    fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T> {
        loom::sync::Mutex::new(value)
    }

    fn lock<T: Send + 'static>(m: &Self::Mutex<T>) -> Self::Guard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn condvar() -> Self::Condvar {
        loom::sync::Condvar::new()
    }

    fn wait<'a, T: Send + 'static>(c: &Self::Condvar, g: Self::Guard<'a, T>) -> Self::Guard<'a, T> {
        c.wait(g).unwrap_or_else(|p| p.into_inner())
    }

    fn notify_all(c: &Self::Condvar) {
        c.notify_all()
    }

    fn spawn(f: impl FnOnce() + Send + 'static) {
        loom::thread::spawn(f);
    }

    fn yield_now() {
        loom::thread::yield_now()
    }
}

/// shuttle: random, PCT or DFS schedules of the same lock acquisitions.
pub struct Shuttle;

impl Runtime for Shuttle {
    type Mutex<T: Send + 'static> = shuttle::sync::Mutex<T>;
    type Guard<'a, T: Send + 'static> = shuttle::sync::MutexGuard<'a, T>;
    type Condvar = shuttle::sync::Condvar;

    fn mutex<T: Send + 'static>(value: T) -> Self::Mutex<T> {
        shuttle::sync::Mutex::new(value)
    }

    fn lock<T: Send + 'static>(m: &Self::Mutex<T>) -> Self::Guard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn condvar() -> Self::Condvar {
        shuttle::sync::Condvar::new()
    }

    fn wait<'a, T: Send + 'static>(c: &Self::Condvar, g: Self::Guard<'a, T>) -> Self::Guard<'a, T> {
        c.wait(g).unwrap_or_else(|p| p.into_inner())
    }

    fn notify_all(c: &Self::Condvar) {
        c.notify_all()
    }

    fn spawn(f: impl FnOnce() + Send + 'static) {
        shuttle::thread::spawn(f);
    }

    fn yield_now() {
        shuttle::thread::yield_now()
    }
}
