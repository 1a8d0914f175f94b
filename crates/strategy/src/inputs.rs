//! What a decision reads: the market (features per instrument, cross-venue
//! dislocations, oracle prices), the inventory per instrument and the
//! strategy's own working orders. The wiring fills these from the sensory
//! layer and the OMS; tests build them by hand.

use std::collections::BTreeMap;

use model::{
    FeedStatus, InstrumentId, InstrumentMap, InstrumentTable, IntentId, NetQuantity, OrderKind,
    Price, Quantity, Side, StrategyId, Timestamp,
};
use sensory::{CrossVenueFeatures, InstrumentFeatures};

/// The latest features the sensory layer published.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketView {
    /// The latest feature vector of each instrument.
    pub instruments: InstrumentMap<InstrumentFeatures>,
    /// The latest dislocation of each prediction-market instrument against
    /// the spot, keyed by the prediction-market instrument.
    pub cross: InstrumentMap<CrossVenueFeatures>,
    /// An external fair probability for a YES token, in [0, 1], keyed by
    /// the YES token (the NO token's fair value is 1 − p).
    pub oracle: BTreeMap<InstrumentId, f64>,
    /// Whether orders can reach the venue.
    pub execution: ExecutionStatus,
    /// Instruments whose market-data feed is not to be trusted now (see
    /// [`MarketView::on_feed_status`]); an instrument not here is healthy.
    pub feeds: BTreeMap<InstrumentId, FeedCondition>,
}

/// Why an instrument's market data is not to be trusted: its feed is not
/// [`FeedStatus::Live`], or is Live again but the book it voided has not
/// been rebuilt by a fresh snapshot yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedCondition {
    /// The feed's last status.
    pub status: FeedStatus,
    /// The feed voided the book (a gap, a resubscription, a disconnect)
    /// and no snapshot has arrived since.
    pub awaiting_snapshot: bool,
}

/// Whether a status voids the books of its feed (a silence does not: the
/// books are intact, only quiet).
const fn voids_books(status: FeedStatus) -> bool {
    matches!(
        status,
        FeedStatus::Gap { .. } | FeedStatus::Resynchronising | FeedStatus::Disconnected
    )
}

/// Whether orders can reach the venue now. The readiness gate requires
/// [`ExecutionStatus::Available`] before anything else.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum ExecutionStatus {
    /// Orders can go out. The default: a simulated sink is always there;
    /// a live runtime says otherwise until its order session is up and
    /// reconciled.
    #[default]
    Available,
    /// The order session is not logged on.
    SessionDown,
    /// The order session is up and the OMS is reconciling with the venue
    /// (mass status, positions): nothing new goes out until it is done.
    Reconciling,
    /// The OMS is HALTED (a risk rule, a reconciliation mismatch, the
    /// kill switch): new orders would be refused; an operator resumes.
    Halted,
}

impl ExecutionStatus {
    /// Lower-case name, for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::SessionDown => "order session down",
            Self::Reconciling => "reconciling with the venue",
            Self::Halted => "trading halted",
        }
    }
}

impl MarketView {
    /// The features of `instrument`, if any were published.
    #[inline]
    pub fn features(&self, instrument: &InstrumentId) -> Option<&InstrumentFeatures> {
        self.instruments.get(instrument)
    }

    /// The feed carrying `instrument` reported `status`. Anything but
    /// Live marks the instrument; Live clears the mark once the book is
    /// whole again: at once after a mere silence (`Stale`), after a fresh
    /// snapshot when the outage voided the book (`Gap`,
    /// `Resynchronising`, `Disconnected`). The snapshots of a resync
    /// usually come just before the feed says Live; either order works.
    pub fn on_feed_status(&mut self, instrument: InstrumentId, status: FeedStatus) {
        let awaiting = self
            .feeds
            .get(&instrument)
            .is_some_and(|condition| condition.awaiting_snapshot);
        if status == FeedStatus::Live {
            if awaiting {
                self.feeds.insert(
                    instrument,
                    FeedCondition {
                        status,
                        awaiting_snapshot: true,
                    },
                );
            } else {
                self.feeds.remove(&instrument);
            }
        } else {
            self.feeds.insert(
                instrument,
                FeedCondition {
                    status,
                    awaiting_snapshot: awaiting || voids_books(status),
                },
            );
        }
    }

    /// A full book of `instrument` arrived: a voided book is whole again,
    /// and a feed already Live is healthy.
    pub fn on_snapshot(&mut self, instrument: &InstrumentId) {
        if let Some(condition) = self.feeds.get_mut(instrument) {
            condition.awaiting_snapshot = false;
            if condition.status == FeedStatus::Live {
                self.feeds.remove(instrument);
            }
        }
    }

    /// Why `instrument`'s market data is not to be trusted now, if it is
    /// not.
    pub fn feed_condition(&self, instrument: &InstrumentId) -> Option<FeedCondition> {
        self.feeds.get(instrument).copied()
    }
}

/// The account's holding of one instrument and what is in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Filled net position: long above zero.
    pub position: NetQuantity,
    /// Open quantity of working buy orders.
    pub pending_buys: Quantity,
    /// Open quantity of working sell orders.
    pub pending_sells: Quantity,
    /// Average cost of the position, when there is one.
    pub average_cost: Option<Price>,
}

/// One order of the deciding strategy that is still working at the OMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkingOrder {
    /// The strategy that owns it.
    pub strategy: StrategyId,
    /// Its idempotency key, the handle for cancel and replace.
    pub intent_id: IntentId,
    /// What it trades.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Its order type and current prices.
    pub kind: OrderKind,
    /// Its current total quantity (what a replace restates).
    pub quantity: Quantity,
    /// A request is on its way to the venue (the order itself, a cancel
    /// or a replace): the host holds replaces of it back until the venue
    /// answers.
    pub in_flight: bool,
}

/// Everything one decision reads.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// The decision time.
    pub now: Timestamp,
    /// The market.
    pub market: &'a MarketView,
    /// Inventory per instrument; a missing instrument is flat with nothing
    /// pending.
    pub inventory: &'a InstrumentMap<Inventory>,
    /// The deciding strategy's working orders, including those submitted
    /// and not yet acknowledged (the OMS's PendingNew): strategies read a
    /// missing order as ended.
    pub working: &'a [WorkingOrder],
    /// Tick and lot sizes.
    pub instruments: &'a InstrumentTable,
}

impl Inputs<'_> {
    /// The inventory of `instrument` (flat when unknown).
    #[inline]
    pub fn inventory_of(&self, instrument: &InstrumentId) -> Inventory {
        self.inventory.get(instrument).copied().unwrap_or_default()
    }
}
