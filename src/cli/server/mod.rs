//! `kinko server`: turn flags into a [`kinko_server::ServerConfig`], set up
//! logging, and run [`kinko_server::Server`] until SIGINT/SIGTERM.

mod args;
mod resolve;

use std::process::ExitCode;

use anyhow::Context;
use kinko_server::Server;

pub use args::ServerArgs;
use resolve::{LogFormat, Logging};

pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let (config, logging) = resolve::resolve(args)?;
    init_logging(&logging);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))?;
    Ok(ExitCode::SUCCESS)
}

fn init_logging(logging: &Logging) {
    let filter = tracing_subscriber::EnvFilter::try_new(&logging.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match logging.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(config: kinko_server::ServerConfig) -> anyhow::Result<()> {
    let dev = config.dev;
    let region = config.region.clone();
    let server = Server::open(config).await?;
    let data = server.data_dir().clone();
    let listening = server.listen().await?;
    let endpoint = listening.endpoint().to_owned();
    let limits = listening.limits();
    let metrics = listening
        .metrics_addr()
        .map(|addr| format!("http://{addr}/metrics"));
    tracing::info!(
        %endpoint,
        metrics = metrics.as_deref().unwrap_or("off"),
        dev,
        region = %region,
        header_timeout = ?limits.header_timeout.get(),
        idle_timeout = ?limits.idle_timeout.get(),
        request_timeout = ?limits.request_timeout.get(),
        max_connections = limits.max_connections.get(),
        "kinko listening"
    );
    let open_files = kinko_server::listener::open_files_limit();
    if !limits.max_connections.fits(open_files) {
        tracing::warn!(
            max_connections = limits.max_connections.get(),
            open_files_limit = open_files,
            "--max-connections {} leaves too few of the {} files this process may open for the store and logs: \
             when they run out, accepting connections fails and backs off; raise the open-files limit \
             (ulimit -n, systemd LimitNOFILE) or lower --max-connections",
            limits.max_connections.get(),
            open_files.unwrap_or_default()
        );
    }
    if let Some(metrics) = &metrics {
        eprintln!("metrics on {metrics}");
    }
    if dev {
        eprintln!("kinko (dev mode: in-memory, any credentials accepted) listening on {endpoint}");
    } else {
        eprintln!("kinko listening on {endpoint}");
        eprintln!(
            "admin credentials: {} (profile kinko); run: eval \"$(kinko env --data-dir {})\"",
            data.credentials().display(),
            data.root.display()
        );
    }
    listening.serve(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
