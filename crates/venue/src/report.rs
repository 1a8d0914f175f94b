//! ExecutionReports the exchange core and the simulated sink both send.

use model::{
    ExecId, ExecType, ExecutionReport, OrdStatus, Quantity, RequestId, Side, Timestamp, VenueSymbol,
};

/// A report about no order: no ids, no quantities, symbol `[N/A]`.
pub(crate) fn empty_report(
    exec_id: ExecId,
    at: Timestamp,
    exec_type: ExecType,
    ord_status: OrdStatus,
) -> ExecutionReport {
    ExecutionReport {
        exec_id,
        exec_type,
        ord_status,
        cl_ord_id: None,
        orig_cl_ord_id: None,
        order_id: None,
        symbol: VenueSymbol::new("[N/A]")
            .unwrap_or_else(|_| unreachable!("[N/A] is a valid symbol")),
        side: Side::Buy,
        order_qty: None,
        price: None,
        last_qty: Quantity::ZERO,
        last_px: None,
        cum_qty: Quantity::ZERO,
        leaves_qty: Quantity::ZERO,
        avg_px: None,
        commission: None,
        exec_ref_id: None,
        reject_reason: None,
        text: None,
        transact_time: Some(at),
        mass_status_request_id: None,
        total_reports: None,
        last_report: false,
    }
}

/// FIX's answer to a mass status request when nothing is working: one
/// OrderStatus report, OrdStatus Rejected, TotNumReports 0,
/// LastRptRequested, and a text saying so.
pub(crate) fn no_working_orders(
    exec_id: ExecId,
    at: Timestamp,
    request_id: RequestId,
) -> ExecutionReport {
    let mut report = empty_report(exec_id, at, ExecType::OrderStatus, OrdStatus::Rejected);
    report.text = Some("no working orders".to_owned());
    report.mass_status_request_id = Some(request_id);
    report.total_reports = Some(0);
    report.last_report = true;
    report
}
