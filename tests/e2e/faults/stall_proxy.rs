//! A TCP proxy between kinko and PostgreSQL that can slow or stall the
//! bytes, as a congested network or an overloaded database would: kinko
//! sees a connection that stays open and simply does not answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with the bytes it reads, in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Forward at once.
    Pass,
    /// Forward each chunk after this pause.
    Delay(Duration),
    /// Hold every byte (already-read ones too) until the mode changes.
    Stall,
}

pub struct StallProxy {
    pub addr: SocketAddr,
    flow: Arc<watch::Sender<Flow>>,
    accept: tokio::task::JoinHandle<()>,
}

impl StallProxy {
    /// Listens on a free loopback port and forwards every connection to
    /// `upstream`, in [`Flow::Pass`] mode.
    pub async fn start(upstream: SocketAddr) -> StallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let flow = Arc::new(watch::Sender::new(Flow::Pass));
        let accept = tokio::spawn({
            let flow = flow.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        continue;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::spawn(pump(client_read, server_write, flow.subscribe()));
                    tokio::spawn(pump(server_read, client_write, flow.subscribe()));
                }
            }
        });
        StallProxy { addr, flow, accept }
    }

    pub fn set(&self, flow: Flow) {
        self.flow.send_replace(flow);
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Copies one direction, obeying the flow before and after every read, so
/// a stall holds bytes that were already read as well.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut flow: watch::Receiver<Flow>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if wait_while_stalled(&mut flow).await.is_err() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(n) => n,
        };
        let Ok(mode) = wait_while_stalled(&mut flow).await else {
            return;
        };
        if let Flow::Delay(pause) = mode {
            tokio::time::sleep(pause).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn wait_while_stalled(flow: &mut watch::Receiver<Flow>) -> Result<Flow, ()> {
    match flow.wait_for(|mode| *mode != Flow::Stall).await {
        Ok(mode) => Ok(*mode),
        Err(_) => Err(()),
    }
}
