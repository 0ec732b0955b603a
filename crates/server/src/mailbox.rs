//! Cross-shard messages: every shard has one mailbox, an unbounded crossbeam
//! channel that any shard may send jobs into, plus the stored waker of the
//! one task draining it. Replies travel back through [`oneshot`]s.
//!
//! The receiving task parks when the mailbox is empty (no busy polling: an
//! idle server uses no CPU); a sender wakes it only when it is parked.

use crate::shard::Shard;
use crossbeam_channel::{Receiver, Sender};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Work for a shard: runs on the shard's thread with its state.
pub type Job = Box<dyn FnOnce(&Shard) + Send>;

struct Doorbell {
    parked: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// The sending side of one shard's mailbox; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Mailbox {
    tx: Sender<Job>,
    bell: Arc<Doorbell>,
}

/// The receiving side, owned by the shard's drain task.
pub struct Inbox {
    rx: Receiver<Job>,
    bell: Arc<Doorbell>,
}

pub fn mailbox() -> (Mailbox, Inbox) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let bell = Arc::new(Doorbell { parked: AtomicBool::new(false), waker: Mutex::new(None) });
    (Mailbox { tx, bell: bell.clone() }, Inbox { rx, bell })
}

impl Mailbox {
    pub fn send(&self, job: Job) {
        // The receiver lives as long as the process; a failed send means shutdown.
        let _ = self.tx.send(job);
        // Store (the job) then load (`parked`), against the receiver's store
        // (`parked`) then load (the queue): without a full fence on both sides
        // each may miss the other's store and the wake-up is lost (seen as
        // replies stalled until the next message came).
        fence(Ordering::SeqCst);
        if self.bell.parked.swap(false, Ordering::SeqCst) {
            if let Some(w) = self.bell.waker.lock().expect("doorbell lock").take() {
                w.wake();
            }
        }
    }
}

impl Inbox {
    pub fn try_recv(&self) -> Option<Job> {
        self.rx.try_recv().ok()
    }

    /// Resolves once the mailbox may hold a job.
    pub fn ready(&self) -> Ready<'_> {
        Ready { inbox: self }
    }
}

pub struct Ready<'a> {
    inbox: &'a Inbox,
}

impl Future for Ready<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let bell = &self.inbox.bell;
        if !self.inbox.rx.is_empty() {
            return Poll::Ready(());
        }
        *bell.waker.lock().expect("doorbell lock") = Some(cx.waker().clone());
        bell.parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        // A job sent between the check above and `parked` being set would not ring.
        if !self.inbox.rx.is_empty() {
            bell.parked.store(false, Ordering::SeqCst);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

/// A single-value channel whose receiver is a future; the sender may be on any thread.
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let slot = Arc::new(Mutex::new(Slot { value: None, waker: None, closed: false }));
    (OneshotSender { slot: Some(slot.clone()) }, OneshotReceiver { slot })
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    closed: bool,
}

pub struct OneshotSender<T> {
    slot: Option<Arc<Mutex<Slot<T>>>>,
}

impl<T> OneshotSender<T> {
    pub fn send(mut self, value: T) {
        self.finish(Some(value));
    }

    fn finish(&mut self, value: Option<T>) {
        if let Some(slot) = self.slot.take() {
            let waker = {
                let mut s = slot.lock().expect("oneshot lock");
                s.value = value;
                s.closed = true;
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        self.finish(None);
    }
}

pub struct OneshotReceiver<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for OneshotReceiver<T> {
    /// `None` if the sender was dropped without sending (a bug, or shutdown).
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.slot.lock().expect("oneshot lock");
        if s.closed {
            return Poll::Ready(s.value.take());
        }
        if !matches!(&s.waker, Some(w) if w.will_wake(cx.waker())) {
            s.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}
