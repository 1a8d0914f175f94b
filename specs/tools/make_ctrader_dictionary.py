#!/usr/bin/env python3
"""Derive specs/ctrader-FIX44.xml from specs/FIX44.xml.

cTrader's FIX API (Spotware, "cTrader FIX Engine, Rules of Engagement") is
FIX 4.4 with a reduced message set, fields that FIX 4.4 requires made
optional, MDEntryID (278) in snapshots, PosMaintRptID (721) on orders and
executions, and custom tags 1000-1008. This script keeps FIX 4.4's fields,
enumerations, header and trailer, adds the custom fields, and replaces the
messages with cTrader's layouts, written below in a compact notation:

    Name      optional field          Name!    required field
    NoX[...]  optional repeating group NoX![...] required group

Run it after changing the table; CI checks that the committed file is its
output (`--check`).
"""
import argparse
import pathlib
import sys
import xml.etree.ElementTree as ET

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent / "FIX44.xml"
TARGET = HERE.parent / "ctrader-FIX44.xml"

CUSTOM_FIELDS = [
    (1000, "AbsoluteTP", "PRICE", []),
    (1001, "RelativeTP", "PRICE", []),
    (1002, "AbsoluteSL", "PRICE", []),
    (1003, "RelativeSL", "PRICE", []),
    (1004, "TrailingSL", "BOOLEAN", []),
    (1005, "TriggerMethodSL", "INT",
     [("1", "TRADE"), ("2", "OPPOSITE"), ("3", "DOUBLE_TRADE"), ("4", "DOUBLE_OPPOSITE")]),
    (1006, "GuaranteedSL", "BOOLEAN", []),
    (1007, "SymbolName", "STRING", []),
    (1008, "SymbolDigits", "INT", []),
]

PROTECTION = "AbsoluteTP RelativeTP AbsoluteSL RelativeSL TrailingSL TriggerMethodSL GuaranteedSL"

MESSAGES = [
    ("Heartbeat", "0", "admin", "TestReqID"),
    ("TestRequest", "1", "admin", "TestReqID!"),
    ("ResendRequest", "2", "admin", "BeginSeqNo! EndSeqNo!"),
    ("Reject", "3", "admin",
     "RefSeqNum! RefTagID RefMsgType SessionRejectReason Text EncodedTextLen EncodedText"),
    ("SequenceReset", "4", "admin", "GapFillFlag NewSeqNo!"),
    ("Logout", "5", "admin", "Text EncodedTextLen EncodedText"),
    ("Logon", "A", "admin",
     "EncryptMethod! HeartBtInt! RawDataLength RawData ResetSeqNumFlag NextExpectedMsgSeqNum "
     "MaxMessageSize NoMsgTypes[RefMsgType MsgDirection] TestMessageIndicator Username Password"),
    ("BusinessMessageReject", "j", "app",
     "RefSeqNum RefMsgType BusinessRejectRefID BusinessRejectReason! Text EncodedTextLen EncodedText"),
    ("MarketDataRequest", "V", "app",
     "MDReqID! SubscriptionRequestType! MarketDepth! MDUpdateType "
     "NoMDEntryTypes![MDEntryType!] NoRelatedSym![Symbol!]"),
    ("MarketDataSnapshotFullRefresh", "W", "app",
     "MDReqID Symbol! NoMDEntries![MDEntryType! QuoteEntryID MDEntryPx! MDEntrySize MDEntryID]"),
    ("MarketDataIncrementalRefresh", "X", "app",
     "MDReqID NoMDEntries![MDUpdateAction! MDEntryType MDEntryID! Symbol! MDEntryPx MDEntrySize]"),
    ("MarketDataRequestReject", "Y", "app", "MDReqID! MDReqRejReason Text EncodedTextLen EncodedText"),
    ("NewOrderSingle", "D", "app",
     "ClOrdID! Symbol! Side! TransactTime! OrderQty! OrdType! Price StopPx TimeInForce ExpireTime "
     "PosMaintRptID Designation " + PROTECTION),
    ("OrderCancelRequest", "F", "app", "OrigClOrdID! OrderID ClOrdID!"),
    ("OrderCancelReplaceRequest", "G", "app",
     "OrderID OrigClOrdID! ClOrdID! OrderQty! Price StopPx ExpireTime " + PROTECTION),
    ("OrderStatusRequest", "H", "app", "ClOrdID! Side"),
    ("ExecutionReport", "8", "app",
     "OrderID! ClOrdID OrigClOrdID TotNumReports ExecType! OrdStatus! Symbol Side OrderQty OrdType "
     "Price StopPx TimeInForce ExpireTime LastQty LastPx LeavesQty CumQty AvgPx TransactTime Text "
     "OrdRejReason PosMaintRptID Designation MassStatusReqID " + PROTECTION),
    ("OrderCancelReject", "9", "app", "OrderID! ClOrdID! OrigClOrdID OrdStatus! CxlRejResponseTo! Text"),
    ("OrderMassStatusRequest", "AF", "app", "MassStatusReqID! MassStatusReqType! IssueDate"),
    ("RequestForPositions", "AN", "app", "PosReqID! PosMaintRptID"),
    ("PositionReport", "AP", "app",
     "PosReqID! PosMaintRptID TotalNumPosReports! PosReqResult! Symbol "
     "NoPositions[LongQty ShortQty] SettlPrice AbsoluteTP AbsoluteSL TrailingSL TriggerMethodSL GuaranteedSL"),
    ("SecurityListRequest", "x", "app", "SecurityReqID! SecurityListRequestType! Symbol"),
    ("SecurityList", "y", "app",
     "SecurityReqID! SecurityResponseID! SecurityRequestResult! NoRelatedSym[Symbol! SymbolName SymbolDigits]"),
]


def tokens(layout):
    """Split a layout into words, keeping bracketed groups together."""
    out, depth, word = [], 0, ""
    for ch in layout:
        if ch == " " and depth == 0:
            if word:
                out.append(word)
            word = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        word += ch
    if word:
        out.append(word)
    return out


def append_items(parent, layout, known):
    for word in tokens(layout):
        if "[" in word:
            head, inner = word.split("[", 1)
            name, required = head.rstrip("!"), head.endswith("!")
            element = ET.SubElement(parent, "group", name=name, required="Y" if required else "N")
            append_items(element, inner[:-1], known)
        else:
            name, required = word.rstrip("!"), word.endswith("!")
            element = ET.SubElement(parent, "field", name=name, required="Y" if required else "N")
        if name not in known:
            sys.exit(f"{name} is not a FIX 4.4 or cTrader field")


def build():
    tree = ET.parse(SOURCE)
    root = tree.getroot()
    fields = root.find("fields")
    for number, name, kind, values in CUSTOM_FIELDS:
        field = ET.SubElement(fields, "field", number=str(number), name=name, type=kind)
        for enum, description in values:
            ET.SubElement(field, "value", enum=enum, description=description)
    known = {field.get("name") for field in fields}
    messages = root.find("messages")
    messages.clear()
    for name, msgtype, category, layout in MESSAGES:
        message = ET.SubElement(messages, "message", name=name, msgtype=msgtype, msgcat=category)
        append_items(message, layout, known)
    # Messages no longer use FIX 4.4's components.
    root.find("components").clear()
    ET.indent(tree, space=" ")
    text = ET.tostring(root, encoding="unicode")
    notice = (
        "<!-- cTrader FIX 4.4, generated by specs/tools/make_ctrader_dictionary.py from\n"
        "     specs/FIX44.xml (QuickFIX data dictionary, QuickFIX Software License 1.0,\n"
        "     see specs/LICENSE.quickfix; this product includes software developed by\n"
        "     quickfixengine.org). Do not edit by hand. -->\n"
    )
    return notice + text + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs")
    args = parser.parse_args()
    text = build()
    if args.check:
        if TARGET.read_text() != text:
            sys.exit(f"{TARGET} is stale: run {pathlib.Path(__file__).name}")
        print(f"{TARGET.name} is up to date")
    else:
        TARGET.write_text(text)
        print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
