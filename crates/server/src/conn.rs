//! Accepting connections and serving one: read, parse, execute, write.

use crate::dispatch::{execute_batch, Client, ClientEntry, Interrupted};
use crate::shard::Shard;
use bytes::BytesMut;
use futures_lite::{AsyncRead, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};
use resp::RequestParser;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

/// A client whose unparsed input exceeds this is disconnected (Redis's `client-query-buffer-limit`).
const QUERY_BUFFER_LIMIT: usize = 1 << 30;
/// Bytes one receive takes at most, as Redis's PROTO_IOBUF_LEN.
pub const READ_CHUNK: usize = 16 * 1024;
/// Input and output buffers grown past this by a big request or reply are
/// given back once empty, so an idle connection holds a few KiB, not megabytes.
const KEEP_BUFFER: usize = 64 * 1024;
const INPUT_START: usize = 4 * 1024;

pub async fn accept_loop(shard: Rc<Shard>, listener: TcpListener) {
    loop {
        let stream = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                log::warn!("accept failed on shard {}: {e}", shard.id);
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        shard.stats.connections.set(shard.stats.connections.get() + 1);
        let queue = shard.conn_queue.get().expect("conn queue set at start");
        let s = shard.clone();
        match glommio::spawn_local_into(async move { serve(s, stream).await }, queue) {
            Ok(task) => drop(task.detach()),
            Err(e) => log::warn!("could not start a connection task: {e}"),
        };
    }
}

/// Receives into the shard's one read buffer and appends what came to
/// `input`. glommio's non-buffered read only touches the buffer inside
/// `poll_read`, when data is ready, so the buffer is borrowed for that call
/// alone and every connection of the shard can share it: 16 KiB per shard
/// instead of per connection.
struct ReadInto<'a> {
    shard: &'a Shard,
    stream: &'a mut TcpStream,
    input: &'a mut BytesMut,
}

impl Future for ReadInto<'_> {
    type Output = std::io::Result<usize>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut buf = this.shard.read_buf.borrow_mut();
        let polled = Pin::new(&mut *this.stream).poll_read(cx, &mut buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.input.extend_from_slice(&buf[..n]);
        }
        polled
    }
}

async fn serve(shard: Rc<Shard>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let addr = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
    let id = shard.shared.new_client_id();
    let maxclients = shard.shared.config.read().map(|c| c.maxclients).unwrap_or(10000);
    let connected: usize = shard.clients.borrow().len() * shard.shared.shards;
    if connected >= maxclients {
        shard.stats.rejected_connections.set(shard.stats.rejected_connections.get() + 1);
        let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
        return;
    }
    let now = Instant::now();
    let entry = Rc::new(ClientEntry {
        id,
        addr,
        laddr,
        fd,
        created: now,
        name: RefCell::new(None),
        db: Cell::new(0),
        resp: Cell::new(2),
        last_cmd: Cell::new("NULL"),
        last_active: Cell::new(now),
        killed: Cell::new(false),
        blocked: Cell::new(false),
        unblocked: Cell::new(None),
        waker: RefCell::new(None),
    });
    shard.clients.borrow_mut().insert(id, entry.clone());
    let authenticated = shard.shared.config.read().map(|c| c.requirepass.is_none()).unwrap_or(true);
    let mut client = Client {
        entry: entry.clone(),
        db: 0,
        resp3: false,
        authenticated,
        parser: RequestParser::new(authenticated),
        close: false,
        multi: None,
        watching: None,
        logged: Vec::new(),
        keyspace_held: false,
    };
    serve_client(&shard, &mut stream, &mut client).await;
    crate::watch::unwatch(&shard, &mut client);
    shard.clients.borrow_mut().remove(&id);
    let _ = stream.close().await;
}

async fn serve_client(shard: &Rc<Shard>, stream: &mut TcpStream, client: &mut Client) {
    // A little room up front: requests are split off the front of `input`,
    // and with none left every read would allocate a fresh buffer.
    let mut input = BytesMut::with_capacity(INPUT_START);
    let mut output = BytesMut::new();
    loop {
        // Reading is where a connection waits with nothing in flight (besides a
        // blocking command's wait, `blocking.rs`), so it is where CLIENT KILL takes effect.
        let read = ReadInto { shard, stream: &mut *stream, input: &mut input };
        match futures_lite::future::or(read, async {
            Interrupted(&client.entry).await;
            Ok(0)
        })
        .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if client.entry.killed.get() {
            return;
        }
        if input.len() > QUERY_BUFFER_LIMIT {
            log::warn!("closing client {} that reached max query buffer length", client.entry.addr);
            return;
        }
        let mut requests = Vec::new();
        let mut protocol_error = None;
        client.parser.authenticated = client.authenticated;
        loop {
            match client.parser.parse(&mut input) {
                Ok(Some(req)) => requests.push(req),
                Ok(None) => break,
                Err(e) => {
                    protocol_error = Some(e);
                    break;
                }
            }
        }
        if !requests.is_empty() {
            execute_batch(shard, client, requests, &mut output).await;
            if !client.logged.is_empty() {
                // No reply before the writes it acknowledges are in the log (DESIGN.md §6).
                crate::aof::wait_logged(shard, &client.logged).await;
                client.logged.clear();
            }
        }
        if let Some(e) = &protocol_error {
            resp::Reply::error(format!("ERR {e}")).encode(&mut output, client.resp3);
        }
        if client.entry.killed.get() {
            // Killed while its commands ran (a blocked BLPOP): Redis sends nothing more.
            return;
        }
        if !output.is_empty() {
            if stream.write_all(&output).await.is_err() {
                return;
            }
            output.clear();
            if output.capacity() > KEEP_BUFFER {
                output = BytesMut::new();
            }
        }
        if input.is_empty() && input.capacity() > KEEP_BUFFER {
            input = BytesMut::with_capacity(INPUT_START);
        }
        if protocol_error.is_some() || client.close || client.entry.killed.get() {
            return;
        }
        let wanted = client.parser.bytes_wanted(&input);
        if wanted > 0 {
            input.reserve(wanted.min(QUERY_BUFFER_LIMIT));
        }
    }
}
