//! Runs a model on its own OS thread, fed by a bounded queue.
//!
//! Forward passes are long, CPU-bound and must never run on a tokio worker
//! thread (they would stall every other request). Each model gets a thread
//! that owns it; callers send closures and await a oneshot answer. The
//! queue is bounded: when it is full `submit` fails at once with
//! `Overloaded`, which the API turns into 429 + Retry-After, instead of
//! letting latency grow without limit.

use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WorkerError {
    #[error("the {0} queue is full; retry shortly")]
    Overloaded(&'static str),
    #[error("the {0} worker has stopped")]
    Stopped(&'static str),
}

type Job<M> = Box<dyn FnOnce(&mut M) + Send>;

pub struct Worker<M> {
    name: &'static str,
    tx: Option<SyncSender<Job<M>>>,
    thread: Option<JoinHandle<()>>,
}

impl<M: 'static> Worker<M> {
    /// Start the thread and build the model on it (`make` runs there, so a
    /// model that is not `Send` is fine). Returns once the model is loaded,
    /// or with the loader's error.
    pub fn spawn<E: Send + 'static>(
        name: &'static str,
        queue: usize,
        make: impl FnOnce() -> Result<M, E> + Send + 'static,
    ) -> Result<Self, E> {
        let (tx, rx) = mpsc::sync_channel::<Job<M>>(queue.max(1));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), E>>();
        let thread = std::thread::Builder::new()
            .name(format!("{name}-worker"))
            .spawn(move || {
                let mut model = match make() {
                    Ok(m) => {
                        let _ = ready_tx.send(Ok(()));
                        m
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = rx.recv() {
                    job(&mut model);
                }
            })
            .expect("spawning a worker thread");
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                name,
                tx: Some(tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => panic!("{name} worker died while loading its model"),
        }
    }

    /// Queue `f`; fails at once when the queue is full.
    pub fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M) -> R + Send + 'static,
    ) -> Result<oneshot::Receiver<R>, WorkerError> {
        let (tx, rx) = oneshot::channel();
        let job: Job<M> = Box::new(move |m| {
            let _ = tx.send(f(m));
        });
        let sender = self.tx.as_ref().ok_or(WorkerError::Stopped(self.name))?;
        match sender.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => Err(WorkerError::Overloaded(self.name)),
            Err(TrySendError::Disconnected(_)) => Err(WorkerError::Stopped(self.name)),
        }
    }

    /// Queue `f` and wait for its answer without blocking the async runtime.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M) -> R + Send + 'static,
    ) -> Result<R, WorkerError> {
        let rx = self.submit(f)?;
        rx.await.map_err(|_| WorkerError::Stopped(self.name))
    }

    /// Queue `f` and block the current (non-async) thread for its answer.
    pub fn run_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M) -> R + Send + 'static,
    ) -> Result<R, WorkerError> {
        let rx = self.submit(f)?;
        rx.blocking_recv()
            .map_err(|_| WorkerError::Stopped(self.name))
    }
}

impl<M> Drop for Worker<M> {
    fn drop(&mut self) {
        // Closing the channel ends the thread after the jobs already queued.
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn a_full_queue_answers_overloaded_at_once() {
        let gate = Arc::new(Barrier::new(2));
        let w = Worker::spawn("test", 1, || Ok::<_, ()>(0u32)).unwrap();
        let g = gate.clone();
        // occupies the thread until the barrier opens
        let first = w.submit(move |_| {
            g.wait();
        });
        assert!(first.is_ok());
        // fills the one queue slot (may need a moment for the thread to take the first job)
        let mut queued = None;
        for _ in 0..1000 {
            match w.submit(|m| *m += 1) {
                Ok(rx) => {
                    queued = Some(rx);
                    break;
                }
                Err(WorkerError::Overloaded(_)) => {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                Err(e) => panic!("{e}"),
            }
        }
        let queued = queued.expect("second job queued");
        assert_eq!(
            w.submit(|m| *m += 1).unwrap_err(),
            WorkerError::Overloaded("test")
        );
        gate.wait();
        queued.blocking_recv().unwrap();
        assert_eq!(w.run_blocking(|m| *m).unwrap(), 1);
    }

    #[test]
    fn the_loader_error_is_returned() {
        let r = Worker::<u32>::spawn("bad", 1, || Err("no model file"));
        assert_eq!(r.err(), Some("no model file"));
    }

    #[test]
    fn jobs_never_run_on_the_calling_thread() {
        let w = Worker::spawn("t", 4, || Ok::<_, ()>(())).unwrap();
        let caller = std::thread::current().id();
        let ran_on = w.run_blocking(|_| std::thread::current().id()).unwrap();
        assert_ne!(caller, ran_on);
    }
}
