//! A tiny HTTP/1.1 server on 127.0.0.1 for the image tests: fixed routes, ETags and
//! conditional requests, redirects; it records every request it answers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Route {
    pub fn ok(content_type: &str, body: &[u8], etag: &str) -> Self {
        Route {
            status: 200,
            content_type: content_type.into(),
            body: body.to_vec(),
            etag: Some(etag.into()),
            location: None,
        }
    }
    pub fn redirect(to: &str) -> Self {
        Route {
            status: 302,
            content_type: "text/plain".into(),
            body: Vec::new(),
            etag: None,
            location: Some(to.into()),
        }
    }
}

/// A request as the server saw it: path and `If-None-Match`.
pub type Seen = (String, Option<String>);

pub struct Server {
    pub addr: SocketAddr,
    routes: Arc<Mutex<BTreeMap<String, Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let routes: Arc<Mutex<BTreeMap<String, Route>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, st) = (routes.clone(), seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: the server lives at most two minutes.
            let deadline = std::time::Instant::now() + Duration::from_secs(120);
            while !st.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &r, &s),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            addr,
            routes,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, path: &str, route: Route) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.into(), route);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    /// Stops the server and closes its port: connections are then refused.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(mut stream: TcpStream, routes: &Mutex<BTreeMap<String, Route>>, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_string());
            }
        }
    }
    seen.lock()
        .expect("seen")
        .push((path.clone(), if_none_match.clone()));
    let route = routes.lock().expect("routes").get(&path).cloned();
    let (status, reason, headers, body) = match route {
        None => (404, "Not Found", Vec::new(), b"not found".to_vec()),
        Some(route) if route.etag.is_some() && route.etag == if_none_match => (
            304,
            "Not Modified",
            vec![format!("ETag: {}", route.etag.unwrap_or_default())],
            Vec::new(),
        ),
        Some(route) => {
            let mut headers = vec![format!("Content-Type: {}", route.content_type)];
            if let Some(etag) = &route.etag {
                headers.push(format!("ETag: {etag}"));
            }
            if let Some(location) = &route.location {
                headers.push(format!("Location: {location}"));
            }
            let reason = match route.status {
                200 => "OK",
                302 => "Found",
                _ => "Status",
            };
            (route.status, reason, headers, route.body)
        }
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(&h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}
