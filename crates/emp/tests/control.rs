#![allow(clippy::unwrap_used, reason = "test code")]
//! The control plane of a running demo, over loopback HTTP: the token is
//! required, the kill switch halts trading and cancels every working
//! order, refusals are refused, strategies switch off, every action is
//! journaled and `emp replay` repeats the run with them.

mod support;

use std::process::Command;

use emp::control::client;
use serde_json::json;
use support::{Run, TOKEN};

#[test]
fn the_kill_switch_over_the_api_halts_trading_and_cancels_every_order() {
    let run = Run::start();
    let addr = run.addr;

    // Health needs no token; everything under /api does.
    let health = client::request(addr, "GET", "/healthz", None, None).unwrap();
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    let page = client::request(addr, "GET", "/", None, None).unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"kill\""));
    for token in [None, Some("wrong"), Some("")] {
        let answer = client::request(addr, "GET", "/api/v1/status", token, None).unwrap();
        assert_eq!(answer.status, 401, "{token:?}");
        let answer = client::request(
            addr,
            "POST",
            "/api/v1/kill-switch",
            token,
            Some(r#"{"engage":true}"#),
        )
        .unwrap();
        assert_eq!(answer.status, 401, "{token:?}");
    }
    assert!(
        client::call(addr, "wrong", "GET", "/api/v1/status", None)
            .unwrap_err()
            .to_string()
            .contains("401")
    );

    // Trading: ready, ACTIVE, the strategies' orders working at the venue.
    let before = run.wait_for("ready with working orders", |reply| {
        reply.snapshot.ready && !reply.snapshot.orders.is_empty()
    });
    let snapshot = &before.snapshot;
    assert_eq!(snapshot.trading_state, "ACTIVE");
    assert!(!snapshot.kill_switch);
    assert_eq!(snapshot.sessions.len(), 2);
    for session in &snapshot.sessions {
        assert_eq!(session.state, "LOGGED_ON", "{session:?}");
        assert!(session.next_sender_seq > 1 && session.next_target_seq > 1);
    }
    let ready = client::request(addr, "GET", "/readyz", None, None).unwrap();
    assert_eq!(ready.status, 200, "{}", ready.body);

    // The kill switch.
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/kill-switch",
        Some(&json!({ "engage": true, "reason": "test" })),
    )
    .unwrap();
    let outcome = reply.outcome.unwrap().unwrap();
    assert!(outcome.starts_with("kill switch engaged"), "{outcome}");
    assert_eq!(reply.snapshot.trading_state, "HALTED");
    assert!(reply.snapshot.kill_switch);
    let after = run.wait_for("every order canceled", |reply| {
        reply.snapshot.orders.is_empty()
    });
    assert!(after.snapshot.cancels_sent >= u64::try_from(snapshot.orders.len()).unwrap());
    assert_eq!(after.snapshot.trading_state, "HALTED");

    // ACTIVE is refused while the switch is engaged; nothing changes.
    let refused = client::request(
        addr,
        "POST",
        "/api/v1/trading-state",
        Some(TOKEN),
        Some(r#"{"state":"active"}"#),
    )
    .unwrap();
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("release it"), "{}", refused.body);
    let bad = client::request(
        addr,
        "POST",
        "/api/v1/trading-state",
        Some(TOKEN),
        Some(r#"{"state":"paused"}"#),
    )
    .unwrap();
    assert_eq!(bad.status, 400);
    assert_eq!(run.status().snapshot.trading_state, "HALTED");

    // A strategy off, an unknown one refused.
    let name = after.snapshot.strategies[0].name.clone();
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        &format!("/api/v1/strategies/{name}"),
        Some(&json!({ "enabled": false, "reason": "test off" })),
    )
    .unwrap();
    let strategy = reply
        .snapshot
        .strategies
        .iter()
        .find(|strategy| strategy.name == name)
        .unwrap();
    assert!(!strategy.enabled);
    assert_eq!(strategy.reason.as_deref(), Some("test off"));
    let unknown = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/strategies/nope",
        Some(&json!({ "enabled": false })),
    )
    .unwrap_err();
    assert!(unknown.to_string().contains("no strategy"), "{unknown}");

    // Release: HALTED until set ACTIVE.
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/kill-switch",
        Some(&json!({ "engage": false })),
    )
    .unwrap();
    assert!(!reply.snapshot.kill_switch);
    assert_eq!(reply.snapshot.trading_state, "HALTED");
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/trading-state",
        Some(&json!({ "state": "active", "reason": "test resumes" })),
    )
    .unwrap();
    assert_eq!(reply.snapshot.trading_state, "ACTIVE");

    let (summary, dir, _keep) = run.stop();
    assert!(summary.failure.is_none(), "{summary:?}");
    // Every action is in the run's log, refusals too.
    let log = std::fs::read_to_string(dir.join("emp.log")).unwrap();
    for line in [
        "control: engage the kill switch (test)",
        "control: set trading ACTIVE (operator): refused",
        "control: disable strategy",
        "control: release the kill switch",
        "control: set trading ACTIVE (test resumes): trading ACTIVE",
    ] {
        assert!(log.contains(line), "no {line:?} in\n{log}");
    }
    // And journaled as inputs: the replay makes every decision again.
    replays_decision_for_decision(&dir);
}

#[test]
fn emp_ctl_drives_the_same_api() {
    let run = Run::start();
    run.wait_for("ready", |reply| reply.snapshot.ready);
    let addr = run.addr.to_string();
    let ctl = |args: &[&str], token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_emp"));
        command.arg("ctl").arg("--addr").arg(&addr).args(args);
        match token {
            Some(token) => command.env("EMP_CONTROL_TOKEN", token),
            None => command.env_remove("EMP_CONTROL_TOKEN"),
        };
        let output = command.output().unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(ctl(&["health"], None).0, 0);
    assert_eq!(ctl(&["ready"], None).0, 0);
    let (code, _, err) = ctl(&["status"], None);
    assert_eq!(code, 2);
    assert!(err.contains("EMP_CONTROL_TOKEN"), "{err}");
    let (code, _, err) = ctl(&["status"], Some("wrong"));
    assert_eq!(code, 2);
    assert!(err.contains("401"), "{err}");

    let (code, out, err) = ctl(&["status"], Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trading      ACTIVE"), "{out}");
    assert!(out.contains("TRADE  LOGGED_ON"), "{out}");

    let (code, out, err) = ctl(&["kill", "--reason", "from emp ctl"], Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kill switch engaged"), "{out}");
    assert!(out.contains("HALTED (kill switch ENGAGED)"), "{out}");
    let (code, _, err) = ctl(&["trading", "active"], Some(TOKEN));
    assert_eq!(code, 2);
    assert!(err.contains("refused"), "{err}");
    assert_eq!(ctl(&["release"], Some(TOKEN)).0, 0);
    let (code, out, _) = ctl(&["trading", "reducing", "--reason", "t"], Some(TOKEN));
    assert_eq!(code, 0);
    assert!(out.contains("trading      REDUCING"), "{out}");

    // FIX sessions: by the name the status shows.
    let (code, _, err) = ctl(&["session", "logout", "NOPE"], Some(TOKEN));
    assert_eq!(code, 2);
    assert!(err.contains("404") && err.contains("no session"), "{err}");
    let (code, _, err) = ctl(&["session", "reset", "QUOTE"], Some(TOKEN));
    assert_eq!(code, 2);
    assert!(
        err.contains("refused") && err.contains("log it on"),
        "{err}"
    );
    let (code, out, err) = ctl(&["session", "logout", "QUOTE"], Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("QUOTE Logout (35=5) sent"), "{out}");
    run.wait_for("QUOTE logged out", |reply| {
        reply.snapshot.sessions[0].state == "LOGGED_OUT"
    });
    let (code, out, err) = ctl(&["session", "logon", "quote"], Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("QUOTE connecting"), "{out}");
    run.wait_for("QUOTE logged on again", |reply| {
        reply.snapshot.sessions[0].state == "LOGGED_ON"
    });
    let (summary, _, _) = run.stop();
    assert!(summary.failure.is_none());
}

/// The lines of the venue's TRADE message log (`run/venue/`) that EMP
/// sent (TargetCompID 56=CSERVER) with MsgType `msg_type`.
fn venue_received(run: &Run, msg_type: &str) -> Vec<String> {
    let dir = run.dir().join("venue");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.contains("TRADE") && name.ends_with("messages.current.log")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        lines.extend(
            text.lines()
                .filter(|line| {
                    line.contains(&format!("\x0135={msg_type}\x01"))
                        && line.contains("\x0156=CSERVER\x01")
                })
                .map(str::to_owned),
        );
    }
    lines
}

fn trade(reply: &emp::control::ControlReply) -> emp::control::SessionSnapshot {
    reply
        .snapshot
        .sessions
        .iter()
        .find(|session| session.name == "TRADE")
        .unwrap()
        .clone()
}

#[test]
fn a_fix_session_logs_out_stays_down_resets_and_logs_on_again_over_the_api() {
    let run = Run::start();
    let addr = run.addr;
    let before = run.wait_for("ready with working orders", |reply| {
        reply.snapshot.ready && !reply.snapshot.orders.is_empty()
    });
    assert_eq!(before.snapshot.execution, "AVAILABLE");
    let post = |path: &str, body: Option<&str>| {
        client::request(addr, "POST", path, Some(TOKEN), body).unwrap()
    };

    // What is not there is 404; the token is required; refusals are 409.
    let unknown = post("/api/v1/sessions/ORDERS/logout", None);
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(unknown.body.contains("QUOTE, TRADE"), "{}", unknown.body);
    assert_eq!(post("/api/v1/sessions/TRADE/restart", None).status, 404);
    let anonymous = client::request(addr, "POST", "/api/v1/sessions/TRADE/logout", None, None);
    assert_eq!(anonymous.unwrap().status, 401);
    let already = post("/api/v1/sessions/TRADE/logon", None);
    assert_eq!(already.status, 409, "{}", already.body);
    assert!(
        already.body.contains("already logged on"),
        "{}",
        already.body
    );
    let reset = post("/api/v1/sessions/trade/reset", None);
    assert_eq!(reset.status, 409, "{}", reset.body);
    assert!(reset.body.contains("Log it out, reset"), "{}", reset.body);

    // Logout: the venue sees a Logout, the session stays down.
    let logons_before = venue_received(&run, "A").len();
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/sessions/TRADE/logout",
        Some(&json!({ "reason": "test logout" })),
    )
    .unwrap();
    let outcome = reply.outcome.unwrap().unwrap();
    assert!(outcome.contains("Logout (35=5) sent"), "{outcome}");
    let down = run.wait_for("TRADE logged out, execution down", |reply| {
        trade(reply).state == "LOGGED_OUT" && reply.snapshot.execution == "SESSION_DOWN"
    });
    assert!(!down.snapshot.ready);
    let ready = client::request(addr, "GET", "/readyz", None, None).unwrap();
    assert_eq!(ready.status, 503, "{}", ready.body);
    let started = std::time::Instant::now();
    while venue_received(&run, "5").is_empty() {
        assert!(started.elapsed() < support::WAIT, "the venue saw no Logout");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Several reconnect intervals later: still down, nothing sent, the
    // QUOTE session untouched.
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let still = run.status();
    assert_eq!(trade(&still).state, "LOGGED_OUT");
    assert_eq!(still.snapshot.execution, "SESSION_DOWN");
    assert_eq!(still.snapshot.orders_sent, down.snapshot.orders_sent);
    assert_eq!(still.snapshot.cancels_sent, down.snapshot.cancels_sent);
    assert_eq!(still.snapshot.sessions[0].state, "LOGGED_ON");
    assert_eq!(venue_received(&run, "A").len(), logons_before);
    let twice = post("/api/v1/sessions/TRADE/logout", None);
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(twice.body.contains("already logged out"), "{}", twice.body);

    // Reset while down: both numbers 1, 141=Y pending.
    let reply = client::call(addr, TOKEN, "POST", "/api/v1/sessions/TRADE/reset", None).unwrap();
    let outcome = reply.outcome.clone().unwrap().unwrap();
    assert!(outcome.contains("reset to 1"), "{outcome}");
    let session = trade(&reply);
    assert_eq!((session.next_sender_seq, session.next_target_seq), (1, 1));
    assert!(session.reset_pending);

    // Logon: back, reconciled, trading again.
    let reply = client::call(
        addr,
        TOKEN,
        "POST",
        "/api/v1/sessions/TRADE/logon",
        Some(&json!({ "reason": "test logon" })),
    )
    .unwrap();
    let outcome = reply.outcome.unwrap().unwrap();
    assert!(outcome.contains("141=Y"), "{outcome}");
    assert!(outcome.contains("reconciles"), "{outcome}");
    let back = run.wait_for("TRADE logged on and trading again", |reply| {
        reply.snapshot.ready
            && trade(reply).state == "LOGGED_ON"
            && reply.snapshot.execution == "AVAILABLE"
            && reply.snapshot.orders_sent > down.snapshot.orders_sent
    });
    assert!(!trade(&back).reset_pending);
    let logons = venue_received(&run, "A");
    let last = logons.last().unwrap();
    assert!(logons.len() > logons_before, "{logons:?}");
    assert!(
        last.contains("\x0134=1\x01") && last.contains("\x01141=Y\x01"),
        "{last:?}"
    );

    let (summary, dir, _keep) = run.stop();
    assert!(summary.failure.is_none(), "{summary:?}");
    let log = std::fs::read_to_string(dir.join("emp.log")).unwrap();
    for line in [
        "control: session logout TRADE (test logout): TRADE Logout (35=5) sent",
        "control: session logon TRADE (operator): refused: TRADE is already logged on",
        "control: session reset TRADE (operator): TRADE sequence numbers reset to 1",
        "control: session logon TRADE (test logon): TRADE connecting",
    ] {
        assert!(log.contains(line), "no {line:?} in\n{log}");
    }
    assert!(
        log.matches("reconciled with the venue").count() >= 2,
        "no reconciliation after the operator's logon:\n{log}"
    );
    replays_decision_for_decision(&dir);
}

/// `emp replay` on the run in `dir` feeds every journaled input back and
/// makes every decision again.
fn replays_decision_for_decision(dir: &std::path::Path) {
    let replay = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["replay", "--journal"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
}
