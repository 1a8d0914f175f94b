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
    let replay = Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(["replay", "--journal"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
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
    let (summary, _, _) = run.stop();
    assert!(summary.failure.is_none());
}
