//! The manager server: a process of the run that owns every Manager dict
//! and list (and, in this backend, every `Value`), reached over a Unix
//! socket in the run's folder. Each proxy call is one request pair
//! (`take` the objects, `put` them back) during which no other call on
//! those objects proceeds: a call is atomic, a read-modify-write of two
//! calls is not, as with CPython's `SyncManager`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use serde_json::{json, Value as Json};

/// The socket's name in the run's folder.
pub const SOCKET: &str = ".interleave-manager.sock";

#[derive(Default)]
struct Objects {
    content: Vec<Json>,
    /// The connection inside a call on each object.
    holder: Vec<Option<u64>>,
}

struct Server {
    objects: Mutex<Objects>,
    freed: Condvar,
}

/// Binds the socket in `dir` (before the fork, so that no client can come
/// too early); `serve` then answers on it for ever.
pub fn bind(dir: &Path) -> std::io::Result<UnixListener> {
    UnixListener::bind(dir.join(SOCKET))
}

/// Serves connections until the process is killed.
pub fn serve(listener: UnixListener) -> ! {
    let server = Arc::new(Server { objects: Mutex::new(Objects::default()), freed: Condvar::new() });
    for (conn, stream) in listener.incoming().enumerate() {
        let Ok(stream) = stream else { continue };
        let server = server.clone();
        std::thread::spawn(move || server.connection(conn as u64, stream));
    }
    // SAFETY: ends this forked process only.
    unsafe { libc::_exit(0) }
}

impl Server {
    fn objects(&self) -> std::sync::MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connection(&self, conn: u64, stream: UnixStream) {
        let Ok(mut out) = stream.try_clone() else { return };
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let reply = match serde_json::from_str::<Json>(&line) {
                Ok(req) => self.answer(conn, &req),
                Err(e) => json!({ "error": e.to_string() }),
            };
            if writeln!(out, "{reply}").is_err() {
                break;
            }
        }
        // a client that died inside a call must not keep its objects
        let mut o = self.objects();
        o.holder.iter_mut().filter(|h| **h == Some(conn)).for_each(|h| *h = None);
        self.freed.notify_all();
    }

    fn answer(&self, conn: u64, req: &Json) -> Json {
        let mut o = self.objects();
        match req["op"].as_str() {
            Some("new") => {
                o.content.push(req["content"].clone());
                o.holder.push(None);
                json!({ "id": o.content.len() - 1 })
            }
            Some("take") => {
                let ids: Vec<usize> = req["ids"].as_array().into_iter().flatten().filter_map(id).collect();
                if ids.iter().any(|&i| i >= o.content.len()) {
                    return json!({ "error": "no such object" });
                }
                while ids.iter().any(|&i| o.holder[i].is_some_and(|h| h != conn)) {
                    o = self.freed.wait(o).unwrap_or_else(|p| p.into_inner());
                }
                ids.iter().for_each(|&i| o.holder[i] = Some(conn));
                json!({ "contents": ids.iter().map(|&i| o.content[i].clone()).collect::<Vec<_>>() })
            }
            Some("put") => {
                for item in req["items"].as_array().into_iter().flatten() {
                    if let Some(i) = id(&item[0]).filter(|&i| i < o.content.len()) {
                        o.content[i] = item[1].clone();
                        o.holder[i] = None;
                    }
                }
                self.freed.notify_all();
                json!({ "ok": true })
            }
            _ => json!({ "error": format!("unknown request {req}") }),
        }
    }
}

fn id(j: &Json) -> Option<usize> {
    j.as_u64().map(|i| i as usize)
}

/// A process's connection to the manager server (each process opens its
/// own, as CPython's proxies do after a fork).
pub struct Client {
    path: PathBuf,
    conn: Option<(UnixStream, BufReader<UnixStream>)>,
}

impl Client {
    pub fn new(dir: &Path) -> Client {
        Client { path: dir.join(SOCKET), conn: None }
    }

    fn request(&mut self, req: Json) -> Result<Json, String> {
        let err = |e: std::io::Error| format!("manager server: {e}");
        if self.conn.is_none() {
            let s = UnixStream::connect(&self.path).map_err(err)?;
            let r = BufReader::new(s.try_clone().map_err(err)?);
            self.conn = Some((s, r));
        }
        let (s, r) = self.conn.as_mut().expect("connected");
        writeln!(s, "{req}").map_err(err)?;
        let mut line = String::new();
        if r.read_line(&mut line).map_err(err)? == 0 {
            return Err("manager server: connection closed".into());
        }
        let reply: Json = serde_json::from_str(&line).map_err(|e| format!("manager server: {e}"))?;
        match reply.get("error") {
            Some(e) => Err(format!("manager server: {e}")),
            None => Ok(reply),
        }
    }

    pub fn create(&mut self, content: Json) -> Result<u64, String> {
        let r = self.request(json!({ "op": "new", "content": content }))?;
        r["id"].as_u64().ok_or_else(|| "manager server: no id".to_string())
    }

    /// Starts a call on `ids`: waits until no other call holds them.
    pub fn take(&mut self, ids: &[u64]) -> Result<Vec<Json>, String> {
        let r = self.request(json!({ "op": "take", "ids": ids }))?;
        Ok(r["contents"].as_array().cloned().unwrap_or_default())
    }

    /// Ends the call: the objects' new contents.
    pub fn put(&mut self, items: &[(u64, Json)]) -> Result<(), String> {
        let items: Vec<Json> = items.iter().map(|(i, c)| json!([i, c])).collect();
        self.request(json!({ "op": "put", "items": items })).map(|_| ())
    }
}
