//! Every contract the journal stores reads back equal, and reading back
//! goes through the types' checks.
#![allow(clippy::unwrap_used, reason = "test code")]

use model::{
    BookChange, BookDelta, BookSide, ClOrdId, EntryId, ExecId, ExecType, ExecutionReport,
    InstrumentId, IntentSpec, MarketEvent, MarketHeader, OrdStatus, OrderId, OrderIntent,
    OrderKind, Price, Quantity, RunId, Side, StrategyId, TimeInForce, Timestamp, VenueEvent,
    VenueSymbol,
};

fn round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let bytes = postcard::to_stdvec(value).unwrap();
    postcard::from_bytes(&bytes).unwrap()
}

#[test]
fn intents_read_back_with_the_same_id() {
    let intent = OrderIntent::new(IntentSpec {
        run_id: RunId::new("run-1").unwrap(),
        strategy: StrategyId::new("delta_spd").unwrap(),
        instrument: InstrumentId::new("BTC-USD").unwrap(),
        side: Side::Buy,
        kind: OrderKind::StopLimit {
            stop: "101.5".parse().unwrap(),
            price: "102".parse().unwrap(),
        },
        size: "0.25".parse().unwrap(),
        time_in_force: TimeInForce::GoodTillDate(Timestamp::from_unix_nanos(9)),
        epoch: 4,
        created: Timestamp::from_unix_nanos(1_790_000_000_000_000_000),
        reason: "delta_spd=0.02 >= 0.01".into(),
    });
    let back = round_trip(&intent);
    assert_eq!(back, intent);
    assert_eq!(back.intent_id(), intent.intent_id());
}

#[test]
fn reports_and_market_events_read_back_equal() {
    let report = VenueEvent::Execution(ExecutionReport {
        exec_id: ExecId::new("E1").unwrap(),
        exec_type: ExecType::Trade,
        ord_status: OrdStatus::PartiallyFilled,
        cl_ord_id: Some(ClOrdId::new("abc-1").unwrap()),
        orig_cl_ord_id: None,
        order_id: Some(OrderId::new("V1").unwrap()),
        symbol: VenueSymbol::new("1").unwrap(),
        side: Side::Sell,
        order_qty: Some("10".parse().unwrap()),
        price: Some("1.5".parse().unwrap()),
        last_qty: "4".parse().unwrap(),
        last_px: Some("1.5".parse().unwrap()),
        cum_qty: "4".parse().unwrap(),
        leaves_qty: "6".parse().unwrap(),
        avg_px: Some("1.5".parse().unwrap()),
        commission: Some("-0.01".parse().unwrap()),
        exec_ref_id: None,
        reject_reason: None,
        text: Some("partial".into()),
        transact_time: Some(Timestamp::from_unix_nanos(5)),
        mass_status_request_id: None,
        total_reports: None,
        last_report: false,
    });
    assert_eq!(round_trip(&report), report);

    let delta = MarketEvent::Delta(BookDelta {
        header: MarketHeader {
            instrument: InstrumentId::new("EURUSD").unwrap(),
            sequence: Some(3),
            exchange_time: None,
            receive_time: Timestamp::from_unix_nanos(7),
        },
        changes: vec![
            BookChange::AddEntry {
                side: BookSide::Bid,
                entry_id: EntryId::new("7491").unwrap(),
                price: "1.06897".parse().unwrap(),
                size: "1000000".parse().unwrap(),
            },
            BookChange::DeleteEntry {
                entry_id: EntryId::new("7477").unwrap(),
            },
        ],
    });
    assert_eq!(round_trip(&delta), delta);
}

#[test]
fn stored_values_the_types_refuse_do_not_read_back() {
    // A negative raw quantity.
    let bytes = postcard::to_stdvec(&-5i64).unwrap();
    assert!(postcard::from_bytes::<Quantity>(&bytes).is_err());
    assert_eq!(
        postcard::from_bytes::<Price>(&bytes).unwrap(),
        Price::from_raw(-5)
    );
    // An id with a control byte.
    let bytes = postcard::to_stdvec("bad\u{1}id").unwrap();
    assert!(postcard::from_bytes::<ClOrdId>(&bytes).is_err());
    let bytes = postcard::to_stdvec("good").unwrap();
    assert_eq!(
        postcard::from_bytes::<ClOrdId>(&bytes).unwrap(),
        ClOrdId::new("good").unwrap()
    );
}
