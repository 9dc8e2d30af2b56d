//! The operator's endpoint, off unless `[bot] metrics_address` is set (loopback in the
//! example): `GET /metrics` (Prometheus text format, from `metrics.rs`) and `GET /health`
//! (JSON: whether the sync loop is alive and how long ago it last synced; 503 when it has not
//! synced for [`STALE_AFTER_SECONDS`]). A deliberately tiny HTTP/1.1 responder on tokio: one
//! request per connection, requests over 8 KB refused.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::metrics::metrics;

/// A sync loop that has not answered for this long is reported unhealthy (its long poll
/// lasts 30 s).
pub const STALE_AFTER_SECONDS: i64 = 120;
const MAX_REQUEST: usize = 8 * 1024;

/// Whether the process has a sync loop (`kitbot run`) or not (`kitbot console`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Matrix,
    Console,
}

/// Serve until `shutdown`. Binding errors are returned (a wrong address is a config error).
pub async fn serve(
    address: SocketAddr,
    engine: Engine,
    mode: Mode,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    tracing::info!(%address, "metrics and health endpoint listening");
    loop {
        let (mut socket, _) = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    tracing::warn!(cause = %err, "metrics endpoint: accept failed");
                    continue;
                }
            },
        };
        let engine = engine.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let line = String::from_utf8_lossy(&buf);
            let path = line.split_whitespace().nth(1).unwrap_or("");
            let (status, kind, body) = respond(path, &engine, mode);
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}

fn respond(path: &str, engine: &Engine, mode: Mode) -> (&'static str, &'static str, String) {
    let m = metrics();
    let now_ms = engine.now().timestamp_millis();
    let since = m.seconds_since_sync(now_ms);
    match path {
        "/metrics" => {
            m.outbox_depth.set(engine.outbox().len() as i64);
            m.store_bytes
                .set(engine.store().size_on_disk().unwrap_or(0) as i64);
            m.since_last_sync.set(since.unwrap_or(-1));
            (
                "200 OK",
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                m.encode(),
            )
        }
        "/health" => {
            let (healthy, status) = match (mode, since) {
                (Mode::Console, _) => (true, "ok"),
                (Mode::Matrix, Some(s)) if s < STALE_AFTER_SECONDS => (true, "ok"),
                (Mode::Matrix, Some(_)) => (false, "stale"),
                (Mode::Matrix, None) => (false, "starting"),
            };
            let body = serde_json::json!({
                "status": status,
                "mode": match mode { Mode::Matrix => "matrix", Mode::Console => "console" },
                "seconds_since_last_sync": since,
                "outbox_depth": engine.outbox().len(),
            })
            .to_string();
            (
                if healthy {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                },
                "application/json",
                body,
            )
        }
        _ => ("404 Not Found", "text/plain", "not found\n".to_owned()),
    }
}
