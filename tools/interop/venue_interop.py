#!/usr/bin/env python3
"""QuickFIX (PyPI `quickfix`) as a cTrader FIX API client of `emp venue`.

`emp venue` runs the simulated cTrader venue of specs/venue-ctrader.toml on
two free loopback ports; a QuickFIX initiator connects its QUOTE and TRADE
sessions (TargetSubID 57) as account 12345, validating everything the venue
sends against the cTrader dictionary (specs/ctrader-FIX44.xml), and checks:

  1. both sessions log on with Username/Password (553/554) and 141=Y;
  2. a depth subscription (35=V 264=0) is answered by a full book (35=W with
     MDEntryIDs) and then incremental refreshes (35=X);
  3. a non-numeric symbol is refused with 35=Y 281=0;
  4. the security list (35=x) names the symbols (35=y, 1007/1008);
  5. a market order is acknowledged (150=0) and filled (150=F);
  6. a limit order below the market rests and is canceled (150=4);
  7. the position request (35=AN) reports the filled market order (35=AP);
  8. an order cancel for an unknown order gets 35=j ORDER_NOT_FOUND;
  9. a message type cTrader does not define (35=q) gets 35=j 380=3;
 10. both sessions log out.

Every check prints a line; the exit status is 0 only when all pass.

Usage: venue_interop.py --emp target/release/emp --specs specs [--work DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import quickfix as fix

from checks import KEEP_ALIVE, Failure, check, free_port, utc_now

TIMEOUT = 30.0
LOGIN = "12345"
PASSWORD = "demo-password"
SENDER = "demo.emp.12345"



class Client(fix.Application):
    """Both sessions' callbacks: adds the credentials to each Logon and
    keeps every application message received, by session."""

    def __init__(self):
        super().__init__()
        self.cond = threading.Condition()
        self.sessions = {}  # "QUOTE"/"TRADE" -> SessionID
        self.logged_on = set()
        self.received = {"QUOTE": [], "TRADE": []}

    @staticmethod
    def role(session_id):
        # QuickFIX's session ids have no SubIDs: the two sessions are told
        # apart by SessionQualifier, and the SubIDs go in every header.
        return session_id.getSessionQualifier()

    def _sub_ids(self, message, session_id):
        role = self.role(session_id)
        message.getHeader().setField(50, role)
        message.getHeader().setField(57, role)

    def onCreate(self, session_id):
        self.sessions[self.role(session_id)] = session_id

    def onLogon(self, session_id):
        with self.cond:
            self.logged_on.add(self.role(session_id))
            self.cond.notify_all()

    def onLogout(self, session_id):
        with self.cond:
            self.logged_on.discard(self.role(session_id))
            self.cond.notify_all()

    def toAdmin(self, message, session_id):
        self._sub_ids(message, session_id)
        if message.getHeader().getField(35) == "A":
            message.setField(553, LOGIN)
            message.setField(554, PASSWORD)

    def toApp(self, message, session_id):
        self._sub_ids(message, session_id)

    def fromAdmin(self, message, session_id):
        pass

    def fromApp(self, message, session_id):
        with self.cond:
            self.received[self.role(session_id)].append(message.toString().replace("\x01", "|"))
            self.cond.notify_all()

    def wait_for(self, role, pattern, what, timeout=TIMEOUT, after=0):
        """The first message on `role` (from index `after`) matching `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for message in self.received[role][after:]:
                    if regex.search(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.received[role][-5:])
                    raise Failure(f"timed out waiting for {what}; last messages:\n{tail}")
                self.cond.wait(min(left, 0.2))

    def send(self, role, msg_type, fields, groups=()):
        message = fix.Message()
        message.getHeader().setField(35, msg_type)
        for tag, value in fields:
            message.setField(tag, value)
        for count_tag, delimiter, entries in groups:
            for entry in entries:
                group = fix.Group(count_tag, delimiter)
                for tag, value in entry:
                    group.setField(tag, value)
                message.addGroup(group)
        with self.cond:
            mark = len(self.received[role])
        check(fix.Session.sendToTarget(message, self.sessions[role]), f"sent 35={msg_type} on {role}")
        return mark


def venue_profile(specs, work, quote_port, trade_port):
    with open(os.path.join(specs, "venue-ctrader.toml")) as f:
        text = f.read()
    text = re.sub(r"(?m)^quote_port = \d+", f"quote_port = {quote_port}", text)
    text = re.sub(r"(?m)^trade_port = \d+", f"trade_port = {trade_port}", text)
    path = os.path.join(work, "venue.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def client_settings(specs, work, quote_port, trade_port):
    common = [
        "[DEFAULT]",
        "ConnectionType=initiator",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "HeartBtInt=30",
        "ReconnectInterval=1",
        "ResetOnLogon=Y",
        f"FileStorePath={work}/qf-store",
        f"FileLogPath={work}/qf-log",
        "UseDataDictionary=Y",
        f"DataDictionary={specs}/ctrader-FIX44.xml",
        "SocketConnectHost=127.0.0.1",
        "BeginString=FIX.4.4",
        f"SenderCompID={SENDER}",
        "TargetCompID=CSERVER",
    ]
    sessions = []
    for role, port in (("QUOTE", quote_port), ("TRADE", trade_port)):
        sessions += ["", "[SESSION]", f"SessionQualifier={role}", f"SocketConnectPort={port}"]
    path = os.path.join(work, "client.cfg")
    with open(path, "w") as f:
        f.write("\n".join(common + sessions) + "\n")
    return path


def field(message, tag):
    found = re.search(rf"\|{tag}=([^|]*)\|", "|" + message)
    return found.group(1) if found else None


def run(args, work):
    quote_port, trade_port = free_port(), free_port()
    profile = venue_profile(args.specs, work, quote_port, trade_port)
    output = open(os.path.join(work, "venue.out"), "w")
    venue = subprocess.Popen([args.emp, "venue", "--config", profile, "--log-dir", f"{work}/venue-log"],
                             stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "listening" not in open(output.name).read():
            if venue.poll() is not None or time.monotonic() > deadline:
                raise Failure("emp venue did not start:\n" + open(output.name).read())
            time.sleep(0.05)
        check(True, "emp venue listening", f"QUOTE {quote_port}, TRADE {trade_port}")
        client = Client()
        settings = fix.SessionSettings(client_settings(args.specs, work, quote_port, trade_port))
        initiator = fix.SocketInitiator(client, fix.FileStoreFactory(settings), settings,
                                        fix.FileLogFactory(settings))
        KEEP_ALIVE.extend([client, settings, initiator])
        initiator.start()
        with client.cond:
            client.cond.wait_for(lambda: client.logged_on == {"QUOTE", "TRADE"}, TIMEOUT)
        check(client.logged_on == {"QUOTE", "TRADE"}, "QUOTE and TRADE logged on with Username/Password")

        # 2. Depth: a full book, then incremental refreshes.
        mark = client.send("QUOTE", "V", [(262, "qf-depth-1"), (263, "1"), (264, "0"), (265, "1")],
                           [(146, 55, [[(55, "1")]]), (267, 269, [[(269, "0")], [(269, "1")]])])
        book = client.wait_for("QUOTE", r"\|35=W\|", "the full book (35=W)", after=mark)
        check(field(book, 55) == "1" and "|278=" in book and "|271=" in book,
              "35=W carries sized entries with MDEntryIDs", f"{book.count('|269=')} entries")
        delta = client.wait_for("QUOTE", r"\|35=X\|", "an incremental refresh (35=X)", after=mark)
        check("|279=1|" not in delta, "35=X adds and deletes by MDEntryID, never 279=1")

        # 3. A symbol by name is refused as cTrader refuses it.
        mark = client.send("QUOTE", "V", [(262, "qf-bad-1"), (263, "1"), (264, "0"), (265, "1")],
                           [(146, 55, [[(55, "EURUSD")]]), (267, 269, [[(269, "0")], [(269, "1")]])])
        reject = client.wait_for("QUOTE", r"\|35=Y\|.*\|262=qf-bad-1\|", "35=Y for a named symbol",
                                 after=mark)
        check(field(reject, 281) == "0", "35=Y 281=0", field(reject, 58))

        # 4. Security list.
        mark = client.send("TRADE", "x", [(320, "qf-sec-1"), (559, "0")])
        securities = client.wait_for("TRADE", r"\|35=y\|", "the security list (35=y)", after=mark)
        check("|1007=EURUSD|" in securities and "|1008=5|" in securities,
              "35=y names symbol 1 EURUSD with 5 digits")

        # 5. A market order: acknowledged, then filled.
        mark = client.send("TRADE", "D", [(11, "qf-mkt-1"), (55, "1"), (54, "1"), (60, utc_now()),
                                          (40, "1"), (38, "10000")])
        client.wait_for("TRADE", r"\|11=qf-mkt-1\|.*\|150=0\||\|150=0\|.*\|11=qf-mkt-1\|",
                        "the market order's acknowledgement", after=mark)
        fill = client.wait_for("TRADE", r"\|150=F\|", "the market order's fill", after=mark)
        check(field(fill, 39) in ("1", "2") and field(fill, 14) is not None,
              "market order filled", f"CumQty {field(fill, 14)} AvgPx {field(fill, 6)}")

        # 6. A limit order below the market rests, then is canceled.
        mark = client.send("TRADE", "D", [(11, "qf-lmt-1"), (55, "1"), (54, "1"), (60, utc_now()),
                                          (40, "2"), (38, "10000"), (44, "1.00000")])
        ack = client.wait_for("TRADE", r"\|150=0\|", "the limit order's acknowledgement", after=mark)
        check(field(ack, 59) == "1", "limit order rests GTC (59=1)")
        mark = client.send("TRADE", "F", [(11, "qf-cxl-1"), (41, "qf-lmt-1")])
        canceled = client.wait_for("TRADE", r"\|150=4\|", "the cancel", after=mark)
        check(field(canceled, 41) == "qf-lmt-1", "limit order canceled (150=4 with 41)")

        # 7. Positions.
        mark = client.send("TRADE", "AN", [(710, "qf-pos-1")])
        position = client.wait_for("TRADE", r"\|35=AP\|", "the position report", after=mark)
        check(field(position, 710) == "qf-pos-1" and field(position, 704) not in (None, "0"),
              "35=AP reports the long position", f"LongQty {field(position, 704)}")

        # 8. Unknown order: business reject.
        mark = client.send("TRADE", "F", [(11, "qf-cxl-2"), (41, "no-such-order")])
        unknown = client.wait_for("TRADE", r"\|35=j\|", "35=j for an unknown order", after=mark)
        check("ORDER_NOT_FOUND" in (field(unknown, 58) or ""), "35=j ORDER_NOT_FOUND",
              field(unknown, 58))

        # 9. A message type cTrader does not define.
        mark = client.send("TRADE", "q", [(11, "qf-mass-1"), (530, "7")])
        refused = client.wait_for("TRADE", r"\|35=j\|.*\|372=q\|", "35=j for 35=q", after=mark)
        check(field(refused, 380) == "3", "35=q refused with 35=j 380=3")

        # 10. Logout.
        initiator.stop()
        check(not client.logged_on, "both sessions logged out")
    finally:
        venue.send_signal(2)
        try:
            venue.wait(timeout=10)
        except subprocess.TimeoutExpired:
            venue.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emp", required=True, help="the emp binary")
    parser.add_argument("--specs", required=True, help="the specs folder")
    parser.add_argument("--work", help="working folder (default: a new temporary one)")
    args = parser.parse_args()
    args.emp = os.path.abspath(args.emp)
    args.specs = os.path.abspath(args.specs)
    work = args.work or tempfile.mkdtemp(prefix="emp-venue-interop-")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    print("QuickFIX initiator against emp venue (cTrader profile)", flush=True)
    try:
        run(args, work)
    except Failure as failure:
        print(f"FAIL: {failure}\n(files in {work})", flush=True)
        return 1
    print("venue interop: all checks passed")
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)
