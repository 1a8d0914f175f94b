//! The control plane's HTTP server (axum) on its own thread and runtime.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use oms::risk::TradingState;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::{ControlAction, ControlCommand, ControlReply, ControlRequest, SessionOp};

/// Where the control plane listens unless told otherwise: loopback.
pub const DEFAULT_CONTROL_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9465);

/// The environment variable holding the bearer token.
pub const TOKEN_ENV: &str = "EMP_CONTROL_TOKEN";

/// How long a request waits for the driver's answer.
const REPLY_WAIT: Duration = Duration::from_secs(10);

/// Where the control plane listens and the token it accepts.
#[derive(Clone)]
pub struct ControlOptions {
    /// The address (loopback by default: [`DEFAULT_CONTROL_ADDR`]).
    pub addr: SocketAddr,
    /// The bearer token every `/api` request must carry.
    pub token: String,
    /// Told the bound address once the server listens (for port 0).
    pub bound: Option<watch::Sender<Option<SocketAddr>>>,
}

impl std::fmt::Debug for ControlOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("ControlOptions")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ControlOptions {
    /// Options for `addr` with the token from [`TOKEN_ENV`].
    ///
    /// # Errors
    /// The variable is unset, empty or not UTF-8.
    pub fn from_env(addr: SocketAddr) -> anyhow::Result<Self> {
        match std::env::var(TOKEN_ENV) {
            Ok(token) if !token.trim().is_empty() => Ok(Self {
                addr,
                token,
                bound: None,
            }),
            _ => anyhow::bail!(
                "the control plane needs a token: export {TOKEN_ENV}=<a long random string> \
                 (or switch it off)"
            ),
        }
    }
}

#[derive(Clone)]
struct AppState {
    requests: mpsc::Sender<ControlRequest>,
    token: Arc<str>,
}

/// The running server; [`shutdown`](Self::shutdown) or drop stops it.
#[derive(Debug)]
pub struct ControlServer {
    addr: SocketAddr,
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ControlServer {
    /// Binds `options.addr` and serves on a thread of its own, sending
    /// every command to `requests`.
    ///
    /// # Errors
    /// The address cannot be bound (named in the message), or the thread
    /// or its runtime cannot start.
    pub fn start(
        options: &ControlOptions,
        requests: mpsc::Sender<ControlRequest>,
    ) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind(options.addr).map_err(|error| {
            anyhow::anyhow!(
                "the control plane cannot listen on {}: {error} (choose another address, or off)",
                options.addr
            )
        })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = AppState {
            requests,
            token: options.token.as_str().into(),
        };
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("emp-control".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = router(state);
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stop_rx.wait_for(|stop| *stop).await;
                        })
                        .await;
                });
            })?;
        if let Some(bound) = &options.bound {
            let _ = bound.send(Some(addr));
        }
        Ok(Self {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for the thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/api/v1/status", get(status))
        .route("/api/v1/kill-switch", post(kill_switch))
        .route("/api/v1/trading-state", post(trading_state))
        .route("/api/v1/strategies/{name}", post(strategy))
        .route("/api/v1/sessions/{name}/{op}", post(session))
        .with_state(state)
}

async fn page() -> Response {
    let mut response = Html(super::page::PAGE).into_response();
    // The page talks to this origin only.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        ),
    );
    response
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The 401 answer unless the request carries the bearer token (compared
/// in constant time for equal lengths).
fn unauthorized(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = state.token.as_bytes();
    let given = given.as_bytes();
    let same = given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0;
    if same {
        None
    } else {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer $EMP_CONTROL_TOKEN)",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        Some(response)
    }
}

/// Sends `command` to the driver and waits for its answer.
async fn ask(state: &AppState, command: ControlCommand) -> Result<ControlReply, Response> {
    let (reply, answer) = oneshot::channel();
    let unavailable = || {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the run is not taking commands (stopping or stopped)",
        )
    };
    state
        .requests
        .send(ControlRequest { command, reply })
        .await
        .map_err(|_| unavailable())?;
    match tokio::time::timeout(REPLY_WAIT, answer).await {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(_)) => Err(unavailable()),
        Err(_) => Err(error(
            StatusCode::GATEWAY_TIMEOUT,
            "the trading thread did not answer in time",
        )),
    }
}

async fn ready(State(state): State<AppState>) -> Response {
    match ask(&state, ControlCommand::Status).await {
        Ok(reply) if reply.snapshot.ready => (StatusCode::OK, "ready\n").into_response(),
        Ok(reply) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: readiness {}, sessions {}\n",
                reply.snapshot.readiness,
                reply
                    .snapshot
                    .sessions
                    .iter()
                    .map(|session| format!("{} {}", session.name, session.state))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
            .into_response(),
        Err(response) => response,
    }
}

async fn status(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(response) = unauthorized(&state, &headers) {
        return response;
    }
    match ask(&state, ControlCommand::Status).await {
        Ok(reply) => Json(reply).into_response(),
        Err(response) => response,
    }
}

async fn act(state: &AppState, headers: &HeaderMap, action: ControlAction) -> Response {
    if let Some(response) = unauthorized(state, headers) {
        return response;
    }
    match ask(state, ControlCommand::Act(action)).await {
        Ok(reply) => {
            let status = match reply.outcome {
                Some(Err(_)) => StatusCode::CONFLICT,
                _ => StatusCode::OK,
            };
            (status, Json(reply)).into_response()
        }
        Err(response) => response,
    }
}

fn reason(given: Option<String>) -> String {
    given
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| "operator".to_owned())
}

#[derive(Deserialize)]
struct KillSwitchBody {
    engage: bool,
    reason: Option<String>,
}

async fn kill_switch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<KillSwitchBody>,
) -> Response {
    let action = ControlAction::KillSwitch {
        engage: body.engage,
        reason: reason(body.reason),
    };
    act(&state, &headers, action).await
}

#[derive(Deserialize)]
struct TradingStateBody {
    state: String,
    reason: Option<String>,
}

/// `active`, `reducing` or `halted` (any case).
pub fn parse_trading_state(text: &str) -> Option<TradingState> {
    match text.to_ascii_lowercase().as_str() {
        "active" => Some(TradingState::Active),
        "reducing" => Some(TradingState::Reducing),
        "halted" => Some(TradingState::Halted),
        _ => None,
    }
}

async fn trading_state(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<TradingStateBody>,
) -> Response {
    let Some(trading) = parse_trading_state(&body.state) else {
        return error(
            StatusCode::BAD_REQUEST,
            "state must be active, reducing or halted",
        );
    };
    let action = ControlAction::TradingState {
        state: trading,
        reason: reason(body.reason),
    };
    act(&state, &headers, action).await
}

#[derive(Deserialize)]
struct StrategyBody {
    enabled: bool,
    reason: Option<String>,
}

async fn strategy(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Json(body): Json<StrategyBody>,
) -> Response {
    let action = ControlAction::Strategy {
        name,
        enabled: body.enabled,
        reason: reason(body.reason),
    };
    act(&state, &headers, action).await
}

#[derive(Deserialize, Default)]
struct SessionBody {
    reason: Option<String>,
}

/// `POST /api/v1/sessions/{name}/{logout,logon,reset}`, the body optional.
async fn session(
    State(state): State<AppState>,
    Path((name, op)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(response) = unauthorized(&state, &headers) {
        return response;
    }
    let Some(op) = SessionOp::parse(&op) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("no session action {op:?}: use logout, logon or reset"),
        );
    };
    let body: SessionBody = if body.iter().all(u8::is_ascii_whitespace) {
        SessionBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(body) => body,
            Err(problem) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("the body must be {{\"reason\": \"…\"}} or empty: {problem}"),
                );
            }
        }
    };
    // An unknown session is 404, not a refusal: ask which there are.
    let sessions = match ask(&state, ControlCommand::Status).await {
        Ok(reply) => reply.snapshot.sessions,
        Err(response) => return response,
    };
    let Some(known) = sessions
        .iter()
        .find(|session| session.name.eq_ignore_ascii_case(&name))
    else {
        return error(
            StatusCode::NOT_FOUND,
            &format!(
                "no session {name:?} in this run; its sessions are {}",
                sessions
                    .iter()
                    .map(|session| session.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    };
    let action = ControlAction::Session {
        name: known.name.clone(),
        op,
        reason: reason(body.reason),
    };
    act(&state, &headers, action).await
}
