//! What venues report back: execution reports, cancel rejects, business
//! rejects and position reports, as the gateway decodes them for the OMS.

use crate::fixed::{Money, Price, Quantity};
use crate::ids::{ClOrdId, ExecId, OrderId, RequestId, VenueSymbol};
use crate::order::Side;
use crate::time::Timestamp;

/// ExecType (150): what this report is about.
///
/// FIX 4.2's "partial fill" (1) and "fill" (2) both arrive as
/// [`ExecType::Trade`]; OrdStatus says whether the order is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExecType {
    /// 0: the order is accepted and working.
    New,
    /// 3: done for the day.
    DoneForDay,
    /// 4: canceled.
    Canceled,
    /// 5: replaced; the report's ClOrdID is the new one.
    Replaced,
    /// 6: a cancel request is pending at the venue.
    PendingCancel,
    /// 7: stopped (a price guaranteed, fill pending).
    Stopped,
    /// 8: rejected.
    Rejected,
    /// 9: suspended.
    Suspended,
    /// A: the venue received the order, not yet accepted.
    PendingNew,
    /// B: calculated (fixed income).
    Calculated,
    /// C: expired.
    Expired,
    /// D: restated by the venue (quantity or price changed unprompted).
    Restated,
    /// E: a replace request is pending at the venue.
    PendingReplace,
    /// F (4.4), 1 and 2 (4.2): a fill.
    Trade,
    /// G: a previous fill is corrected (ExecRefID names it).
    TradeCorrect,
    /// H: a previous fill is busted (ExecRefID names it).
    TradeCancel,
    /// I: a status report, answering a status or mass status request.
    OrderStatus,
}

/// OrdStatus (39): the order's state after this report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OrdStatus {
    /// 0.
    New,
    /// 1.
    PartiallyFilled,
    /// 2.
    Filled,
    /// 3.
    DoneForDay,
    /// 4.
    Canceled,
    /// 5 (FIX 4.2 only).
    Replaced,
    /// 6.
    PendingCancel,
    /// 7.
    Stopped,
    /// 8.
    Rejected,
    /// 9.
    Suspended,
    /// A.
    PendingNew,
    /// B.
    Calculated,
    /// C.
    Expired,
    /// D.
    AcceptedForBidding,
    /// E.
    PendingReplace,
}

impl OrdStatus {
    /// True when the order can no longer trade.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Filled | Self::Canceled | Self::Rejected | Self::Expired | Self::DoneForDay
        )
    }
}

/// ExecutionReport (8), decoded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExecutionReport {
    /// ExecID (17).
    pub exec_id: ExecId,
    /// ExecType (150).
    pub exec_type: ExecType,
    /// OrdStatus (39).
    pub ord_status: OrdStatus,
    /// ClOrdID (11); venues omit it on orders they created.
    pub cl_ord_id: Option<ClOrdId>,
    /// OrigClOrdID (41), on cancel and replace reports.
    pub orig_cl_ord_id: Option<ClOrdId>,
    /// OrderID (37); `None` when the venue sent the placeholder `NONE`.
    pub order_id: Option<OrderId>,
    /// Symbol (55).
    pub symbol: VenueSymbol,
    /// Side (54).
    pub side: Side,
    /// OrderQty (38), when present.
    pub order_qty: Option<Quantity>,
    /// Price (44), when present.
    pub price: Option<Price>,
    /// LastQty (32, LastShares in 4.2); zero when not a fill.
    pub last_qty: Quantity,
    /// LastPx (31); some venues (cTrader) omit it, and the OMS derives
    /// the fill's cost from AvgPx and CumQty.
    pub last_px: Option<Price>,
    /// CumQty (14).
    pub cum_qty: Quantity,
    /// LeavesQty (151).
    pub leaves_qty: Quantity,
    /// AvgPx (6).
    pub avg_px: Option<Price>,
    /// Commission (12), in the account currency.
    pub commission: Option<Money>,
    /// ExecRefID (19), on trade corrections and busts.
    pub exec_ref_id: Option<ExecId>,
    /// OrdRejReason (103).
    pub reject_reason: Option<u32>,
    /// Text (58).
    pub text: Option<String>,
    /// TransactTime (60).
    pub transact_time: Option<Timestamp>,
    /// MassStatusReqID (584), on reports answering a mass status request.
    pub mass_status_request_id: Option<RequestId>,
    /// TotNumReports (911), on mass status reports.
    pub total_reports: Option<u32>,
    /// LastRptRequested (912).
    pub last_report: bool,
}

/// CxlRejResponseTo (434).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CancelRejectResponseTo {
    /// 1: the rejected request was a cancel.
    Cancel,
    /// 2: the rejected request was a replace.
    Replace,
}

/// OrderCancelReject (9), decoded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CancelReject {
    /// ClOrdID (11): the rejected request's id.
    pub cl_ord_id: ClOrdId,
    /// OrigClOrdID (41): the order's ClOrdID at the time of the request.
    pub orig_cl_ord_id: Option<ClOrdId>,
    /// OrderID (37), when not `NONE`.
    pub order_id: Option<OrderId>,
    /// OrdStatus (39) of the order after the reject.
    pub ord_status: Option<OrdStatus>,
    /// CxlRejResponseTo (434).
    pub response_to: CancelRejectResponseTo,
    /// CxlRejReason (102).
    pub reason: Option<u32>,
    /// Text (58).
    pub text: Option<String>,
}

/// BusinessMessageReject (j), decoded. cTrader answers a cancel or replace
/// of an unknown order with one, naming the request's ClOrdID in
/// BusinessRejectRefID (379).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BusinessReject {
    /// RefMsgType (372), when present.
    pub ref_msg_type: Option<String>,
    /// BusinessRejectRefID (379).
    pub ref_id: Option<String>,
    /// BusinessRejectReason (380).
    pub reason: u32,
    /// Text (58).
    pub text: Option<String>,
}

/// PositionReport (AP), decoded: one instrument's position at the venue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PositionReport {
    /// PosReqID (710).
    pub request_id: Option<RequestId>,
    /// Symbol (55); `None` on the "no positions" report (728=2).
    pub symbol: Option<VenueSymbol>,
    /// LongQty (704).
    pub long: Quantity,
    /// ShortQty (705).
    pub short: Quantity,
    /// SettlPrice (730): the average entry price, as cTrader sends it.
    pub settlement_price: Option<Price>,
    /// TotalNumPosReports (727).
    pub total_reports: Option<u32>,
}

/// Everything a venue tells the OMS.
#[allow(
    clippy::large_enum_variant,
    reason = "reports move by value once, from decoder to OMS; boxing would allocate per report"
)]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VenueEvent {
    /// ExecutionReport (8).
    Execution(ExecutionReport),
    /// OrderCancelReject (9).
    CancelReject(CancelReject),
    /// BusinessMessageReject (j).
    BusinessReject(BusinessReject),
    /// PositionReport (AP).
    Position(PositionReport),
}
