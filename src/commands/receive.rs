//! `clickpath receive`: flags -> `clickpath_receive::run` (docs/shipping.md).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clickpath_receive::ReceiverConfig;

use crate::args::{InputArgs, ReceiveArgs};

pub fn run(args: ReceiveArgs) -> Result<ExitCode> {
    if args.syslog_udp.is_none() && args.syslog_tcp.is_none() && args.http.is_none() {
        bail!("nothing to listen on: give --syslog-udp, --syslog-tcp or --http (ADDR:PORT)");
    }
    let token = match &args.token_file {
        Some(path) => {
            let t = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?;
            let t = t.trim().to_string();
            if t.len() < 16 {
                bail!(
                    "{}: the token is shorter than 16 characters; make a long random one (e.g. `openssl rand -hex 32`)",
                    path.display()
                );
            }
            Some(t)
        }
        None => None,
    };
    if let Some(addr) = args.http
        && !addr.ip().is_loopback()
        && token.is_none()
    {
        bail!(
            "--http {addr} listens beyond loopback: anyone who reaches it could write into the dataset; give --token-file FILE, or listen on 127.0.0.1"
        );
    }
    // Commits come from the rounds, not from the bytes read.
    let ingest = super::ingest::dataset_config(
        &args.data,
        &args.session,
        args.raw_ip,
        args.geoip.as_deref(),
        args.config.as_deref(),
        u64::MAX,
    )?;
    let input = InputArgs {
        files: Vec::new(),
        format: args.format.clone(),
        client_from_forwarded_for: args.client_from_forwarded_for,
        threads: 0,
        rejects: None,
        quiet: true,
        error_log_tz: args.error_log_tz,
    };
    let options = crate::inputs::options(&input, args.raw_ip)?;
    std::fs::create_dir_all(&ingest.dir)
        .with_context(|| format!("cannot create {}", ingest.dir.display()))?;
    clickpath_receive::run(ReceiverConfig {
        ingest,
        options,
        syslog_udp: args.syslog_udp,
        syslog_tcp: args.syslog_tcp,
        http: args.http,
        token,
        ingest_every: Duration::from_secs(args.ingest_every as u64),
        max_servers: args.max_servers,
        keep_inbox: args
            .keep_inbox
            .map(|d| Duration::from_secs(d.max(0) as u64 * 86_400)),
        on_listen: Box::new(|what, addr| eprintln!("clickpath: receiving {what} on {addr}")),
        on_message: Box::new(|m| eprintln!("clickpath: {m}")),
    })?;
    Ok(ExitCode::SUCCESS)
}
