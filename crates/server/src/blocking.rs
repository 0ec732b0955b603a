//! Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
//! BZPOPMAX, BZMPOP.
//!
//! Each has a table row whose handler is one non-blocking try (what the
//! command does inside MULTI): pop from the first of its keys that has
//! something, or answer nil. Outside MULTI, a try that finds nothing blocks
//! the client: it registers a [`Signal`] with the shard of each of its keys
//! (beside the WATCH registry, `watch::Watches`: both hear of every change to
//! a key), tries again (a push that landed before the registration is seen
//! then), and waits for a change to one of its keys, its timeout, CLIENT
//! KILL or CLIENT UNBLOCK, trying again after each change. Any change wakes it (a DEL too); a
//! try that finds nothing waits again. Clients blocked on one key are woken
//! together and the first to try is served, where Redis serves the one that
//! has waited longest.

use crate::commands::Command;
use crate::dispatch::{command_keys, run_keyed, Client, Interrupted};
use crate::locks::{LockKey, Mode};
use crate::shard::{call, post, Shard};
use bytes::Bytes;
use engine::Handler;
use futures_lite::future;
use resp::Reply;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Raised by a shard when a key a blocked client waits on changes; the
/// client may be on another shard's thread.
#[derive(Default)]
pub struct Signal {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    pub fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().expect("signal lock").take() {
            w.wake();
        }
    }
}

/// Resolves once the signal has fired since it last resolved.
struct Fired<'a>(&'a Signal);

impl Future for Fired<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.fired.swap(false, Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *self.0.waker.lock().expect("signal lock") = Some(cx.waker().clone());
        // A fire between the check and storing the waker found no waker to wake.
        match self.0.fired.swap(false, Ordering::SeqCst) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }
}

/// Why a wait ended.
enum Woken {
    Changed,
    TimedOut,
    /// Killed, unblocked, or the peer has gone.
    Interrupted,
}

/// How often a blocked client checks that its peer is still connected (it
/// reads nothing while blocked, so a closed connection shows no other way).
const PEER_CHECK: Duration = Duration::from_secs(1);

/// Runs blocking command `cmd` (not inside MULTI: there the table's handler
/// runs once, as for any keyed command).
pub async fn run(
    shard: &Rc<Shard>,
    client: &mut Client,
    cmd: &'static Command,
    handler: Handler,
    args: Vec<Bytes>,
) -> Reply {
    let db = client.db;
    let first = run_keyed(shard, cmd, handler, db, args.clone(), Mode::Write).await;
    if !is_nothing(&first) {
        return first;
    }
    // The try has checked every argument, the timeout included.
    let timeout_at = if matches!(cmd.name, "blmpop" | "bzmpop") { 1 } else { args.len() - 1 };
    let timeout = engine::args::timeout_ms(&args[timeout_at]).unwrap_or(0);
    let deadline = (timeout > 0).then(|| Instant::now() + Duration::from_millis(timeout));

    let databases = shard.data.borrow().dbs.len();
    let mut by_shard: BTreeMap<usize, Vec<LockKey>> = BTreeMap::new();
    for key in command_keys(cmd, &args, db, databases) {
        by_shard.entry(shard.shard_of(&key.1)).or_default().push(key);
    }
    let signal = Arc::new(Signal::default());
    for (&target, keys) in &by_shard {
        let (keys, s) = (keys.clone(), signal.clone());
        call(shard, target, move |sh| sh.watches.borrow_mut().block(keys, &s)).await;
    }
    client.entry.blocked.set(true);
    let reply = loop {
        let reply = run_keyed(shard, cmd, handler, db, args.clone(), Mode::Write).await;
        // An error now means a key has become another type since the first
        // try: Redis 7.0 serves a blocked client only from a list (or sorted
        // set) pushed to, so the client goes on waiting.
        if !is_nothing(&reply) && !reply.is_error() {
            break reply;
        }
        match wait(&signal, deadline, client).await {
            // Let the writer (and anyone else) run before trying again: a storm
            // of changes to a key must not keep this task from yielding.
            Woken::Changed if !peer_closed(client.entry.fd) => future::yield_now().await,
            _ if client.entry.unblocked.get() == Some(true) => {
                break Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
            }
            _ => break Reply::NilArray,
        }
    };
    client.entry.blocked.set(false);
    client.entry.unblocked.set(None);
    for (target, keys) in by_shard {
        let s = signal.clone();
        post(shard, target, move |sh| sh.watches.borrow_mut().unblock(&keys, &s));
    }
    reply
}

/// A try that popped nothing: nil (BLMOVE, BRPOPLPUSH) or a nil array (the others).
fn is_nothing(reply: &Reply) -> bool {
    matches!(reply, Reply::Nil | Reply::NilArray)
}

/// Waits for a change to a key, the deadline, or CLIENT KILL or UNBLOCK,
/// checking every [`PEER_CHECK`] that the client is still there.
async fn wait(signal: &Signal, deadline: Option<Instant>, client: &Client) -> Woken {
    loop {
        let now = Instant::now();
        let step = match deadline {
            Some(d) if d <= now => return Woken::TimedOut,
            Some(d) => (d - now).min(PEER_CHECK),
            None => PEER_CHECK,
        };
        let changed = async {
            Fired(signal).await;
            Some(Woken::Changed)
        };
        let interrupted = async {
            Interrupted(&client.entry).await;
            Some(Woken::Interrupted)
        };
        let tick = async {
            glommio::timer::sleep(step).await;
            None
        };
        if let Some(w) = future::or(changed, future::or(interrupted, tick)).await {
            return w;
        }
        if peer_closed(client.entry.fd) {
            return Woken::Interrupted;
        }
    }
}

/// Whether the client's peer has closed its end (a blocked client reads
/// nothing, so this is asked of the socket: a peek that finds end of file).
fn peer_closed(fd: std::os::fd::RawFd) -> bool {
    let mut byte = 0u8;
    // SAFETY: a one-byte buffer we own; `fd` is the client's socket, open while its connection task runs.
    let n = unsafe { libc::recv(fd, (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
    n == 0
}
