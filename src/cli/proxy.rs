//! `kinko proxy`: the signing forward proxy. Applications send plain
//! `http://` requests through it (`http_proxy=127.0.0.1:8000`); it adds the
//! host's credential from the parameter store and forwards over HTTPS.
//!
//! The rules are read through the AWS SDK ([`kinko_client::SdkSource`]), so
//! a kinko server or AWS itself works, with the standard credential chain
//! and `AWS_ENDPOINT_URL`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kinko_client::SdkSource;
use kinko_proxy::duration::parse_duration;
use kinko_proxy::{HostGlob, Proxy, ProxyConfig};

use crate::buffered_stderr::BufferedStderr;

#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the log says which)
    #[arg(long, env = "KINKO_PROXY_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Parameter path the rules live under: `{prefix}/{host}/headers/{Name}`,
    /// `basic/username`, `basic/password`, `queries/{name}`, `rewrite/path`
    #[arg(long, env = "KINKO_PROXY_PREFIX", default_value = "/proxy")]
    pub prefix: String,
    /// How long rules are used before they are read again (`30s`, `5m`)
    #[arg(long, env = "KINKO_PROXY_TTL", default_value = "5m", value_parser = parse_duration)]
    pub ttl: Duration,
    /// Only these hosts may be called (glob: `*.github.com`); repeatable
    /// [default: every host]
    #[arg(long = "allow-host", value_name = "GLOB")]
    pub allow_hosts: Vec<HostGlob>,
    /// PEM file of extra trusted CA certificates for upstreams (private CAs);
    /// repeatable. The system's roots are always trusted too
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,
    /// Forward http:// URLs as plain HTTP instead of upgrading to HTTPS
    /// (for tests and local benchmarks only)
    #[arg(long)]
    pub allow_plain_upstream: bool,
    /// Time to connect to an upstream (then 504)
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Time to wait for an upstream's response headers (then 504); bodies
    /// are streamed without a limit
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Log filter (tracing syntax: `info`, `warn`, `kinko_proxy=debug`)
    #[arg(long, env = "KINKO_LOG", default_value = "info")]
    pub log_level: String,
}

pub fn run(args: ProxyArgs) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A line per request: buffered (see `buffered_stderr`), flushed by
    // `_flush` when the proxy stops.
    let (writer, _flush) = BufferedStderr::start();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ProxyArgs) -> anyhow::Result<()> {
    let mut ca_certificates = Vec::new();
    for path in &args.ca_files {
        let certificates = kinko_proxy::read_ca_file(path)?;
        ca_certificates.push((path.display().to_string(), certificates));
    }
    let config = ProxyConfig {
        prefix: args.prefix,
        ttl: args.ttl,
        allow_hosts: args.allow_hosts,
        ca_certificates,
        system_roots: true,
        allow_plain_upstream: args.allow_plain_upstream,
        connect_timeout: args.connect_timeout,
        timeout: args.timeout,
    };
    let source = SdkSource::from_env().await;
    let proxy = Proxy::new(config, Arc::new(source))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // Printed whatever the log level: scripts and tests read the port here.
    eprintln!("kinko proxy listening on {address}");
    proxy
        .serve(listener, shutdown_signal())
        .await
        .context("the proxy stopped")?;
    tracing::info!("kinko proxy stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
