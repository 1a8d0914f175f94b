#!/usr/bin/env python3
"""Interop between EMP and QuickFIX (the PyPI `quickfix` engine), both ways.

Scenario "emp-initiator": `emp initiator` against a QuickFIX acceptor.
Scenario "emp-acceptor": a QuickFIX initiator against `emp acceptor --app fill`.

Each scenario runs, over loopback, with durable stores on both sides:
  1. logon, then 1,000 NewOrderSingles, each answered by an ExecutionReport;
  2. an idle period in which both sides keep the session up with Heartbeats;
  3. a gap in what QuickFIX sends (its next MsgSeqNum raised): EMP asks for
     it with a ResendRequest and QuickFIX fills it with SequenceReset-GapFill;
  4. a gap in what QuickFIX has received (its next expected MsgSeqNum
     lowered): QuickFIX asks EMP to resend, and EMP resends application
     messages with PossDupFlag and gap-fills its admin messages;
  5. a dropped connection, then EMP killed with SIGKILL and restarted: both
     reconnects continue the sequence numbers from the stores (no reset);
  6. more orders, then logout.

Every check prints a line; the exit status is 0 only when all pass.

Usage: interop.py --emp target/release/emp --specs specs [--work DIR]
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import quickfix as fix

from checks import KEEP_ALIVE, Failure, check, free_port, utc_now

ORDERS = 1000
TIMEOUT = 30.0




class Peer(fix.Application):
    """The QuickFIX side: counts what crosses the wire; as acceptor it fills
    every order, as initiator it sends them."""

    def __init__(self, fills):
        super().__init__()
        self.fills = fills
        self.cond = threading.Condition()
        self.session_id = None
        self.logons = 0
        self.logouts = 0
        self.received = {}  # MsgType -> count
        self.sent = {}  # MsgType -> count (admin messages)
        self.logon_seqs = []  # MsgSeqNum of each Logon received
        self.logon_resets = 0  # Logons received with ResetSeqNumFlag=Y
        self.resend_requests = []  # (BeginSeqNo, EndSeqNo) received
        self.gap_fills_in = 0
        self.poss_dup_app_in = 0
        self.orders_in = set()  # ClOrdIDs of orders received
        self.reports_in = set()  # ClOrdIDs of ExecutionReports received
        self.last_order_seq = 0

    def _bump(self, table, key):
        with self.cond:
            table[key] = table.get(key, 0) + 1
            self.cond.notify_all()

    def wait(self, predicate, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")
                self.cond.wait(min(left, 0.2))

    def session(self):
        return fix.Session.lookupSession(self.session_id)

    # -- QuickFIX callbacks ------------------------------------------------
    def onCreate(self, session_id):
        self.session_id = session_id

    def onLogon(self, session_id):
        with self.cond:
            self.logons += 1
            self.cond.notify_all()

    def onLogout(self, session_id):
        with self.cond:
            self.logouts += 1
            self.cond.notify_all()

    def toAdmin(self, message, session_id):
        self._bump(self.sent, message.getHeader().getField(35))

    def toApp(self, message, session_id):
        pass

    def fromAdmin(self, message, session_id):
        header = message.getHeader()
        msg_type = header.getField(35)
        with self.cond:
            if msg_type == "A":
                self.logon_seqs.append(int(header.getField(34)))
                if message.isSetField(141) and message.getField(141) == "Y":
                    self.logon_resets += 1
            elif msg_type == "2":
                self.resend_requests.append((int(message.getField(7)), int(message.getField(16))))
            elif msg_type == "4" and message.isSetField(123) and message.getField(123) == "Y":
                self.gap_fills_in += 1
        self._bump(self.received, msg_type)

    def fromApp(self, message, session_id):
        header = message.getHeader()
        msg_type = header.getField(35)
        poss_dup = header.isSetField(43) and header.getField(43) == "Y"
        with self.cond:
            if poss_dup:
                self.poss_dup_app_in += 1
            if msg_type == "D":
                cl_ord_id = message.getField(11)
                fresh = cl_ord_id not in self.orders_in
                self.orders_in.add(cl_ord_id)
                self.last_order_seq = int(header.getField(34))
            elif msg_type == "8":
                self.reports_in.add(message.getField(11))
        self._bump(self.received, msg_type)
        if msg_type == "D" and self.fills and fresh:
            fix.Session.sendToTarget(fill(message), session_id)
        elif msg_type not in ("D", "8"):
            raise fix.UnsupportedMessageType()

    # -- actions -------------------------------------------------------------
    def send_orders(self, count, prefix):
        for n in range(count):
            order = fix.Message()
            order.getHeader().setField(35, "D")
            order.setField(11, f"{prefix}-{n}")
            order.setField(21, "1")
            order.setField(55, "QFX")
            order.setField(54, "1" if n % 2 else "2")
            order.setField(60, utc_now())
            order.setField(38, "100")
            order.setField(40, "2")
            order.setField(44, f"{100 + n % 7}.{n % 100:02d}")
            fix.Session.sendToTarget(order, self.session_id)


def fill(order):
    """An ExecutionReport (FIX 4.4) filling `order` in full."""
    report = fix.Message()
    report.getHeader().setField(35, "8")
    cl_ord_id = order.getField(11)
    quantity = order.getField(38)
    price = order.getField(44)
    for tag, value in [
        (37, "Q" + cl_ord_id), (11, cl_ord_id), (17, "QE" + cl_ord_id), (150, "F"), (39, "2"),
        (55, order.getField(55)), (54, order.getField(54)), (38, quantity), (32, quantity),
        (31, price), (151, "0"), (14, quantity), (6, price), (60, utc_now()),
    ]:
        report.setField(tag, value)
    return report


class Emp:
    """An `emp` process with its output in a file."""

    def __init__(self, binary, work, name, args):
        self.binary, self.work, self.name, self.args = binary, work, name, args
        self.process = None
        self.output_path = os.path.join(work, f"{name}.out")

    def start(self, extra=()):
        output = open(self.output_path, "a")
        output.write(f"--- {' '.join(self.args + list(extra))}\n")
        output.flush()
        self.process = subprocess.Popen(
            [self.binary] + self.args + list(extra), stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.output_path) as f:
            return f.read()

    def wait_output(self, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output().rsplit("--- ", 1)[-1]:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise Failure(f"{self.name} did not print {text!r}:\n{self.tail()}")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=TIMEOUT)

    def wait(self, timeout=TIMEOUT):
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def tail(self, lines=30):
        return "\n".join(self.output().splitlines()[-lines:])

    def status(self, config, session):
        done = subprocess.run(
            [self.binary, "session", "status", "--config", config, "--session", session],
            capture_output=True, text=True, timeout=TIMEOUT)
        if done.returncode != 0:
            raise Failure(f"emp session status failed: {done.stderr}")
        numbers = {}
        for line in done.stdout.splitlines():
            key, _, value = line.partition("   ")
            numbers[key.strip()] = value.strip()
        return numbers


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def qf_settings(path, role, port, sender, target, specs, work):
    lines = [
        "[DEFAULT]",
        f"ConnectionType={role}",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "HeartBtInt=1",
        "ReconnectInterval=1",
        f"FileStorePath={work}/qf-store",
        f"FileLogPath={work}/qf-log",
        "UseDataDictionary=Y",
        f"DataDictionary={specs}/FIX44.xml",
        "",
        "[SESSION]",
        "BeginString=FIX.4.4",
        f"SenderCompID={sender}",
        f"TargetCompID={target}",
    ]
    if role == "acceptor":
        lines += [f"SocketAcceptPort={port}", "SocketAcceptHost=127.0.0.1"]
    else:
        lines += [f"SocketConnectPort={port}", "SocketConnectHost=127.0.0.1"]
    return write(path, "\n".join(lines) + "\n")


def emp_settings(path, role, port, sender, target, specs, work):
    where = (f'SocketConnectHost = "127.0.0.1"\nSocketConnectPort = {port}\nReconnectInterval = 1\n'
             if role == "initiator" else f"SocketAcceptPort = {port}\n")
    return write(path, f"""[DEFAULT]
ConnectionType = "{role}"
{where}NonStopSession = true
HeartBtInt = 1
UseDataDictionary = true
FileStorePath = "{work}/emp-store"
FileLogPath = "{work}/emp-log"

[[SESSION]]
BeginString = "FIX.4.4"
SenderCompID = "{sender}"
TargetCompID = "{target}"
DataDictionary = "{specs}/FIX44.xml"
""")


def idle_heartbeats(peer):
    print("step 2: idle period, heartbeats both ways", flush=True)
    received, sent, logons = peer.received.get("0", 0), peer.sent.get("0", 0), peer.logons
    time.sleep(3.5)
    got = peer.received.get("0", 0) - received
    gave = peer.sent.get("0", 0) - sent
    check(got >= 2, "EMP sent Heartbeats while idle", f"{got} in 3.5 s at HeartBtInt=1")
    check(gave >= 2, "QuickFIX sent Heartbeats while idle and EMP accepted them", f"{gave}")
    check(peer.logons == logons and peer.session().isLoggedOn(), "session stayed up while idle")


def gaps(peer):
    print("step 3: QuickFIX skips 5 sequence numbers; EMP asks for them", flush=True)
    session = peer.session()
    requests = len(peer.resend_requests)
    gap_fills_sent = peer.sent.get("4", 0)
    skipped_from = session.getExpectedSenderNum()
    session.setNextSenderMsgSeqNum(skipped_from + 5)
    peer.wait(lambda: len(peer.resend_requests) > requests, "a ResendRequest from EMP")
    begin, end = peer.resend_requests[-1]
    check(begin == skipped_from, "EMP's ResendRequest starts at the first skipped number",
          f"7={begin} 16={end}")
    peer.wait(lambda: peer.sent.get("4", 0) > gap_fills_sent, "QuickFIX's SequenceReset-GapFill")
    heartbeats = peer.received.get("0", 0)
    peer.wait(lambda: peer.received.get("0", 0) > heartbeats + 1, "heartbeats after the gap fill")
    check(session.isLoggedOn() and len(peer.resend_requests) == requests + 1,
          "EMP accepted the GapFill: one ResendRequest, session up")

    print("step 4: QuickFIX forgets what it received since the last orders; EMP resends", flush=True)
    gap_fills_in, poss_dup_in = peer.gap_fills_in, peer.poss_dup_app_in
    expected = session.getExpectedTargetNum()
    rewind_to = peer.last_app_seq()
    session.setNextTargetMsgSeqNum(rewind_to)
    peer.wait(lambda: peer.gap_fills_in > gap_fills_in, "a SequenceReset-GapFill from EMP")
    peer.wait(lambda: session.getExpectedTargetNum() > expected, "QuickFIX caught up again")
    resent = peer.poss_dup_app_in - poss_dup_in
    check(resent >= 1, "EMP resent its application messages with PossDupFlag=Y",
          f"{resent} resent from MsgSeqNum {rewind_to}")
    check(peer.gap_fills_in > gap_fills_in, "EMP gap-filled its admin messages",
          f"{peer.gap_fills_in - gap_fills_in} GapFill")
    check(session.isLoggedOn(), "session stayed up through both gaps")


def reconnects(peer, restart_emp):
    print("step 5: connection dropped, then EMP killed and restarted", flush=True)
    session = peer.session()
    for how in ("QuickFIX drops the connection", "EMP killed with SIGKILL and restarted"):
        logons = peer.logons
        expected_from_emp = session.getExpectedTargetNum()
        if how.startswith("QuickFIX"):
            session.disconnect()
        else:
            restart_emp()
        peer.wait(lambda: peer.logons > logons, f"a new Logon after: {how}")
        logon_seq = peer.logon_seqs[-1]
        check(logon_seq >= expected_from_emp and logon_seq > 1 and peer.logon_resets == 0,
              f"{how}: the new Logon continues EMP's sequence",
              f"Logon 34={logon_seq}, QuickFIX expected {expected_from_emp}, no ResetSeqNumFlag")
        check(session.getExpectedSenderNum() > 2, "QuickFIX's own numbers continue too",
              f"next out {session.getExpectedSenderNum()}")


def scenario_emp_initiator(args, work):
    print("== EMP initiator <-> QuickFIX acceptor", flush=True)
    port = free_port()
    peer = Peer(fills=True)
    settings = fix.SessionSettings(qf_settings(f"{work}/qf.cfg", "acceptor", port, "QFVENUE",
                                               "EMPTRADER", args.specs, work))
    store_factory, log_factory = fix.FileStoreFactory(settings), fix.FileLogFactory(settings)
    # Threaded engines on the QuickFIX side: SocketAcceptor.stop() races
    # its own socket thread when a connection closes at the same moment (a
    # crash in QuickFIX 1.16.0's SocketServer::close).
    acceptor = fix.ThreadedSocketAcceptor(peer, store_factory, settings, log_factory)
    KEEP_ALIVE.extend([peer, settings, store_factory, log_factory, acceptor])
    config = emp_settings(f"{work}/emp.toml", "initiator", port, "EMPTRADER", "QFVENUE",
                          args.specs, work)
    emp = Emp(args.emp, work, "emp-initiator", ["initiator", "--config", config])
    acceptor.start()
    try:
        print("step 1: logon and 1,000 orders", flush=True)
        emp.start(["--orders", str(ORDERS), "--window", "50", "--stay"])
        peer.wait(lambda: peer.logons == 1, "EMP's Logon")
        check(peer.logon_seqs == [1], "EMP logged on", f"Logon 34={peer.logon_seqs}")
        peer.wait(lambda: len(peer.orders_in) == ORDERS, f"{ORDERS} orders from EMP")
        emp.wait_output(f"answered {ORDERS}")
        check(True, f"{ORDERS} orders sent by EMP, each answered by QuickFIX and counted by EMP")
        idle_heartbeats(peer)
        peer.last_app_seq = lambda: peer.last_order_seq - 2
        gaps(peer)

        def restart():
            emp.kill()
            emp.start(["--orders", "100", "--window", "10"])

        reconnects(peer, restart)
        print("step 6: 100 more orders, then EMP logs out", flush=True)
        logouts = peer.logouts
        code = emp.wait()
        check(code == 0, "EMP's 100 orders answered; it logged out and exited 0", f"exit {code}")
        peer.wait(lambda: peer.logouts > logouts and peer.received.get("5", 0) >= 1,
                  "EMP's Logout")
        check(len(peer.orders_in) == ORDERS + 100, "every order reached QuickFIX once or more",
              f"{len(peer.orders_in)} distinct ClOrdIDs")
        session = peer.session()
        status = emp.status(config, "QFVENUE")
        check(int(status["next sender seq"]) == session.getExpectedTargetNum()
              and int(status["next target seq"]) == session.getExpectedSenderNum(),
              "stores agree after logout",
              f"EMP store next out {status['next sender seq']} in {status['next target seq']}; "
              f"QuickFIX next in {session.getExpectedTargetNum()} out {session.getExpectedSenderNum()}")
    except Failure:
        print(emp.tail(), file=sys.stderr)
        raise
    finally:
        emp.stop()
        acceptor.stop()


def scenario_emp_acceptor(args, work):
    print("== QuickFIX initiator <-> EMP acceptor", flush=True)
    port = free_port()
    config = emp_settings(f"{work}/emp.toml", "acceptor", port, "EMPVENUE", "QFTRADER",
                          args.specs, work)
    emp = Emp(args.emp, work, "emp-acceptor", ["acceptor", "--config", config, "--app", "fill"])
    peer = Peer(fills=False)
    settings = fix.SessionSettings(qf_settings(f"{work}/qf.cfg", "initiator", port, "QFTRADER",
                                               "EMPVENUE", args.specs, work))
    store_factory, log_factory = fix.FileStoreFactory(settings), fix.FileLogFactory(settings)
    initiator = fix.ThreadedSocketInitiator(peer, store_factory, settings, log_factory)
    KEEP_ALIVE.extend([peer, settings, store_factory, log_factory, initiator])
    emp.start()
    emp.wait_output("listening on port")
    initiator.start()
    try:
        print("step 1: logon and 1,000 orders", flush=True)
        peer.wait(lambda: peer.logons == 1, "EMP's Logon reply")
        check(peer.logon_seqs == [1], "QuickFIX logged on to EMP", f"reply 34={peer.logon_seqs}")
        peer.send_orders(ORDERS, "QF")
        peer.wait(lambda: len(peer.reports_in) == ORDERS, f"{ORDERS} ExecutionReports from EMP")
        check(True, f"{ORDERS} orders sent by QuickFIX, each answered by EMP")
        idle_heartbeats(peer)
        peer.last_app_seq = lambda: peer.session().getExpectedTargetNum() - 8
        peer.send_orders(10, "QF-before-gap")
        peer.wait(lambda: len(peer.reports_in) == ORDERS + 10, "10 more ExecutionReports")
        gaps(peer)

        def restart():
            emp.kill()
            emp.start()

        reconnects(peer, restart)
        print("step 6: 100 more orders, then QuickFIX logs out", flush=True)
        peer.send_orders(100, "QF-after")
        peer.wait(lambda: len(peer.reports_in) == ORDERS + 110, "100 more ExecutionReports")
        check(True, "every order answered by EMP", f"{len(peer.reports_in)} distinct ClOrdIDs")
        logouts = peer.logouts
        session = peer.session()
        session.logout("interop done")
        peer.wait(lambda: peer.logouts > logouts and peer.received.get("5", 0) >= 1,
                  "EMP's Logout reply")
        check(True, "EMP answered QuickFIX's Logout")
        next_in, next_out = session.getExpectedTargetNum(), session.getExpectedSenderNum()
        code = emp.terminate()
        check(code == 0, "EMP acceptor stopped on SIGTERM", f"exit {code}")
        status = emp.status(config, "QFTRADER")
        check(int(status["next sender seq"]) == next_in
              and int(status["next target seq"]) == next_out,
              "stores agree after logout",
              f"EMP store next out {status['next sender seq']} in {status['next target seq']}; "
              f"QuickFIX next in {next_in} out {next_out}")
    except Failure:
        print(emp.tail(), file=sys.stderr)
        raise
    finally:
        emp.stop()
        initiator.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emp", required=True, help="the emp binary")
    parser.add_argument("--specs", required=True, help="folder with FIX44.xml")
    parser.add_argument("--work", help="working folder (default: a new temporary one)")
    args = parser.parse_args()
    args.emp = os.path.abspath(args.emp)
    args.specs = os.path.abspath(args.specs)
    root = args.work or tempfile.mkdtemp(prefix="emp-interop-")
    failures = 0
    for scenario in (scenario_emp_initiator, scenario_emp_acceptor):
        work = os.path.join(root, scenario.__name__)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        try:
            scenario(args, work)
        except Failure as failure:
            failures += 1
            print(f"FAIL {scenario.__name__}: {failure}\n(files in {work})", flush=True)
    print("interop: " + ("all checks passed" if failures == 0 else f"{failures} scenario(s) failed"))
    return 1 if failures else 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: it would destroy the QuickFIX engines and
    # their Python callbacks in no particular order.
    os._exit(status)
