//! `/metrics` alone, for processes without a dashboard (`clickpath watch --metrics`): the text
//! a scrape gets is made by the caller at each request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::Error;

/// What a scrape returns.
pub type Exposition = Arc<dyn Fn() -> String + Send + Sync>;

/// The OpenMetrics text type that `prometheus-client` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `GET /metrics` on `bind` from a thread of its own; returns the address bound.
pub fn serve_metrics(bind: SocketAddr, text: Exposition) -> Result<SocketAddr, Error> {
    let listener =
        std::net::TcpListener::bind(bind).map_err(|source| Error::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr: bind, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| Error::Bind { addr: bind, source })?;
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            eprintln!("clickpath: cannot start the metrics runtime");
            return;
        };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let app = axum::Router::new().route(
                "/metrics",
                get(move || {
                    let text = text.clone();
                    async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], text()).into_response() }
                }),
            );
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("clickpath: metrics server: {e}");
            }
        });
    });
    Ok(addr)
}
