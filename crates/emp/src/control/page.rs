//! The control plane's page: one HTML file, no external resources. It
//! asks for the token once (kept in the tab's session storage), shows the
//! status every second and sends the buttons' actions to the API: kill
//! switch, trading state, strategies, and per FIX session Log out, Log on
//! and Reset sequence (`session-logout-TRADE`, `session-logon-TRADE`,
//! `session-reset-TRADE`).

/// The page served at `/`.
pub(super) const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>EMP control</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .5em; }
h2 { font-size: 1.05em; margin: 1.2em 0 .3em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.state { font-weight: bold; padding: 2px 8px; border-radius: 3px; }
.ACTIVE, .LOGGED_ON, .RUNNING, .AVAILABLE, .on { background: #cfc; }
.REDUCING, .AWAITING_LOGON, .LOGGING_OUT, .RECONCILING, .WARMING, .STARTING { background: #fe9; }
.HALTED, .DISCONNECTED, .LOGGED_OUT, .SESSION_DOWN, .DEGRADED, .off, .engaged { background: #f99; }
button { margin-right: .4em; }
#kill { background: #c00; color: #fff; font-weight: bold; border: 0; padding: .5em 1em; }
#message { margin: .8em 0; min-height: 1.4em; }
.error { color: #b00; }
</style>
</head>
<body>
<h1>EMP control</h1>
<form id="login">
  <label>Control token <input id="token" type="password" autocomplete="off"></label>
  <button id="login-use" type="submit">Use</button>
</form>
<div id="message"></div>
<p>
  Trading <span id="trading" class="state">?</span>
  Kill switch <span id="killswitch" class="state">?</span>
  Readiness <span id="readiness" class="state">?</span>
  Execution <span id="execution" class="state">?</span>
</p>
<p>
  <button id="kill" type="button">KILL SWITCH</button>
  <button id="release" type="button">Release kill switch</button>
  <button id="set-active" type="button">Trading ACTIVE</button>
  <button id="set-reducing" type="button">Trading REDUCING</button>
  <button id="set-halted" type="button">Trading HALTED</button>
</p>
<h2>Sessions</h2>
<table><thead><tr><th>session</th><th>state</th><th>next sender seq</th><th>next target seq</th><th></th></tr></thead><tbody id="sessions"></tbody></table>
<h2>Strategies</h2>
<table><thead><tr><th>strategy</th><th>state</th><th></th></tr></thead><tbody id="strategies"></tbody></table>
<h2>Orders <span id="open-count"></span></h2>
<table><thead><tr><th>ClOrdID</th><th>strategy</th><th>instrument</th><th>side</th><th>quantity</th><th>filled</th><th>terms</th><th>status</th></tr></thead><tbody id="orders"></tbody></table>
<h2>Positions and PnL</h2>
<table><thead><tr><th>instrument</th><th>net</th></tr></thead><tbody id="positions"></tbody></table>
<p>PnL realized <span id="pnl-realized">?</span>, unrealized <span id="pnl-unrealized">?</span></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("emp-control-token") || "";
$("token").value = token;

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) { td.className = "state " + cls; }
  row.appendChild(td);
  return td;
}

function fill(id, items, render) {
  const body = $(id);
  body.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    render(row, item);
    body.appendChild(row);
  }
}

function show(reply) {
  const s = reply.snapshot;
  $("trading").textContent = s.trading_state;
  $("trading").className = "state " + s.trading_state;
  $("killswitch").textContent = s.kill_switch ? "ENGAGED" : "released";
  $("killswitch").className = "state " + (s.kill_switch ? "engaged" : "on");
  $("readiness").textContent = s.readiness;
  $("readiness").className = "state " + s.readiness;
  $("execution").textContent = s.execution;
  $("execution").className = "state " + s.execution;
  fill("sessions", s.sessions, (row, x) => {
    cell(row, x.name + " " + x.id);
    cell(row, x.state + (x.reset_pending ? " (141=Y on next logon)" : ""), x.state).id = "session-state-" + x.name;
    cell(row, String(x.next_sender_seq)); cell(row, String(x.next_target_seq));
    const td = cell(row, "");
    if (x.state === "SIMULATED") { return; }
    for (const [op, label] of [["logout", "Log out"], ["logon", "Log on"], ["reset", "Reset sequence"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.id = "session-" + op + "-" + x.name;
      button.textContent = label;
      const down = x.state === "LOGGED_OUT" || x.state === "LOGGING_OUT";
      button.disabled = op === "logout" ? down : op === "logon" ? !down : x.state !== "LOGGED_OUT";
      button.addEventListener("click", () => {
        if (op === "reset" && !confirm("Reset " + x.name + " sequence numbers to 1?")) { return; }
        act("/api/v1/sessions/" + encodeURIComponent(x.name) + "/" + op, { reason: "on the control page" });
      });
      td.appendChild(button);
    }
  });
  fill("strategies", s.strategies, (row, x) => {
    cell(row, x.name);
    cell(row, x.enabled ? "enabled" : "disabled: " + (x.reason || ""), x.enabled ? "on" : "off");
    const td = cell(row, "");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = x.enabled ? "Disable" : "Enable";
    button.dataset.strategy = x.name;
    button.addEventListener("click", () =>
      act("/api/v1/strategies/" + encodeURIComponent(x.name), { enabled: !x.enabled }));
    td.appendChild(button);
  });
  $("open-count").textContent = "(" + s.orders.length + " working)";
  fill("orders", s.orders, (row, x) => {
    for (const v of [x.cl_ord_id, x.strategy, x.instrument, x.side, x.quantity, x.filled, x.kind, x.status]) { cell(row, v); }
  });
  fill("positions", s.positions, (row, x) => { cell(row, x.instrument); cell(row, x.net); });
  $("pnl-realized").textContent = s.pnl_realized;
  $("pnl-unrealized").textContent = s.pnl_unrealized;
}

function say(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function call(method, path, body) {
  const init = { method, headers: { "Authorization": "Bearer " + token } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (data.snapshot) { show(data); }
  if (!response.ok) { throw new Error(data.error || (data.outcome && data.outcome.Err) || response.statusText); }
  return data;
}

async function refresh() {
  if (!token) { say("Enter the control token (EMP_CONTROL_TOKEN).", true); return; }
  try { await call("GET", "/api/v1/status"); if ($("message").className === "error") { say(""); } }
  catch (e) { say(String(e.message || e), true); }
}

async function act(path, body) {
  try {
    const data = await call("POST", path, body);
    say(data.outcome && data.outcome.Ok ? data.outcome.Ok : "done", false);
  } catch (e) { say(String(e.message || e), true); }
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("emp-control-token", token);
  refresh();
});
$("kill").addEventListener("click", () => act("/api/v1/kill-switch", { engage: true, reason: "kill switch on the control page" }));
$("release").addEventListener("click", () => act("/api/v1/kill-switch", { engage: false, reason: "released on the control page" }));
for (const state of ["active", "reducing", "halted"]) {
  $("set-" + state).addEventListener("click", () => act("/api/v1/trading-state", { state, reason: "set on the control page" }));
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
"##;
