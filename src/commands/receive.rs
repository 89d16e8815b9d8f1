//! `clickpath receive`: flags -> `clickpath_receive::run` (docs/shipping.md).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clickpath_ingest::IngestConfig;
use clickpath_receive::ReceiverConfig;

use crate::args::{InputArgs, ReceiveArgs};
use crate::commands::report::read_config;

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
    let file = read_config(args.config.as_deref(), &[])?;
    let mut settings = args.session.given(&file.site_hosts);
    settings.raw_ip = args.raw_ip;
    settings.geoip = args.geoip.is_some();
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
    let dir = args.data.dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clickpath_receive::run(ReceiverConfig {
        ingest: IngestConfig {
            dir,
            settings,
            commit_every: u64::MAX,
            geoip: args.geoip.clone(),
        },
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
