//! A minimal SMTP server on 127.0.0.1 for the notification tests: answers EHLO/HELO, MAIL,
//! RCPT, DATA, RSET, NOOP and QUIT, and captures every message it is given.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, dot-unstuffed, lines joined by `\n`.
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    messages: Arc<Mutex<Vec<Captured>>>,
    connections: Arc<Mutex<usize>>,
}

impl SmtpServer {
    /// Listens on a free port of 127.0.0.1 (a thread per connection).
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let server = SmtpServer {
            port,
            messages: Default::default(),
            connections: Default::default(),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                *s.connections.lock().unwrap() += 1;
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = s.session(stream);
                });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Captured> {
        self.messages.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }

    /// Waits (up to 20 s) until at least `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Captured> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || start.elapsed() > Duration::from_secs(20) {
                return got;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 localhost ESMTP test\r\n")?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_string();
            let upper = command.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                out.write_all(b"250-localhost\r\n250 8BITMIME\r\n")?;
            } else if upper.starts_with("MAIL FROM:") {
                from = command[10..].trim().to_string();
                to.clear();
                out.write_all(b"250 OK\r\n")?;
            } else if upper.starts_with("RCPT TO:") {
                to.push(command[8..].trim().to_string());
                out.write_all(b"250 OK\r\n")?;
            } else if upper == "DATA" {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    let l = line.trim_end_matches(['\r', '\n']);
                    if l == "." {
                        break;
                    }
                    data.push(l.strip_prefix('.').unwrap_or(l).to_string());
                }
                self.messages.lock().unwrap().push(Captured {
                    from: from.clone(),
                    to: to.clone(),
                    data: data.join("\n"),
                });
                out.write_all(b"250 OK queued\r\n")?;
            } else if upper == "QUIT" {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                out.write_all(b"250 OK\r\n")?;
            } else {
                out.write_all(b"502 not implemented\r\n")?;
            }
        }
    }
}
