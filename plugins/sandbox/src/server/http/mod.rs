//! The HTTP side: the accept loop, the router and the cross-cutting layers.
//!
//! - [`serve`]: accepts connections and runs hyper on each, so a request can
//!   be answered by closing the connection (the `drop` fault);
//! - [`router`]: every route group plus the layers, in this order from the
//!   outside in: request ids, API version, faults;
//! - [`extract`]: authentication, query strings, write requests
//!   (JSON body + idempotency);
//! - [`layers`]: request ids, versions, faults, the JSON 404.

pub mod extract;
pub mod layers;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::middleware;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::app::App;
use super::routes;

/// Marks a response whose connection must be closed without answering.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// The whole application.
pub fn router(app: App) -> Router {
    Router::new()
        .nest("/api/v1", routes::v1())
        .nest("/api/cli", routes::cli::routes())
        .nest("/api/auth", routes::device::api_routes())
        .merge(routes::pages::routes())
        .fallback(layers::not_found)
        .method_not_allowed_fallback(layers::method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), layers::faults))
        .layer(middleware::from_fn(layers::api_version))
        .layer(middleware::from_fn(layers::request_id))
        .with_state(app)
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets
/// in-flight requests finish (up to 5 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let router = router.clone();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let router = router.clone();
                    async move {
                        let resp = match router.oneshot(req.map(Body::new)).await {
                            Ok(resp) => resp,
                            Err(never) => match never {},
                        };
                        if resp.extensions().get::<DropConnection>().is_some() {
                            Err(Dropped)
                        } else {
                            Ok(resp)
                        }
                    }
                });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new()).header_read_timeout(Duration::from_secs(30));
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}
