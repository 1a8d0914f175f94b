//! Market data subscriptions as MarketDataRequest (35=V) messages.

use std::num::NonZeroU32;

use model::{RequestId, Timestamp, VenueSymbol};

use crate::fix::codec::{BodyWriter, Tag};
use crate::fix::orders::OrderDialect;
use crate::fix::session::{SendError, Session};
use crate::fix::store::MessageStore;

/// SubscriptionRequestType (263) of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionAction {
    /// 1: a snapshot, then updates.
    Subscribe,
    /// 2: stop the updates of an earlier request (same MDReqID).
    Unsubscribe,
}

/// MarketDepth (264) of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarketDepth {
    /// Top of book (264=1). cTrader answers with quotes without sizes.
    Spot,
    /// The whole book (264=0).
    FullBook,
    /// The best `n` levels (264=n); not in cTrader's dialect. `Levels(1)`
    /// is the same request as [`MarketDepth::Spot`].
    Levels(NonZeroU32),
}

impl MarketDepth {
    /// The value of MarketDepth (264).
    pub const fn code(self) -> u32 {
        match self {
            Self::Spot => 1,
            Self::FullBook => 0,
            Self::Levels(levels) => levels.get(),
        }
    }
}

/// A market data subscription (or its end), as the strategy layer asks for
/// it; [`encode_request`] checks it against a dialect and writes it as a
/// MarketDataRequest (35=V).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MarketDataRequest {
    /// MDReqID (262): new for a subscription; an unsubscription repeats
    /// the subscription's id.
    pub request_id: RequestId,
    /// SubscriptionRequestType (263).
    pub action: SubscriptionAction,
    /// MarketDepth (264).
    pub depth: MarketDepth,
    /// Ask for trade entries (269=2) as well as bids and offers. cTrader's
    /// FIX has no public trades, so its dialect refuses this.
    pub trades: bool,
    /// The venue's symbols (NoRelatedSym 146, Symbol 55); at least one.
    pub symbols: Vec<VenueSymbol>,
}

/// Why a request cannot be written in a dialect. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsupportedRequest {
    /// A request names at least one symbol (NoRelatedSym is required).
    #[error("a MarketDataRequest (35=V) needs at least one symbol")]
    NoSymbols,
    /// The venue accepts only some MarketDepth values.
    #[error("{dialect} accepts MarketDepth (264) 0 (full book) or 1 (spot) only, not {depth}")]
    Depth {
        /// The dialect.
        dialect: String,
        /// The depth asked for.
        depth: u32,
    },
    /// The venue publishes no trade entries (269=2).
    #[error("{dialect} has no trade entries (MDEntryType 269=2); subscribe without trades")]
    NoTrades {
        /// The dialect.
        dialect: String,
    },
    /// The venue's symbols are numeric ids.
    #[error("{dialect} expects a numeric symbol id in Symbol (55), not {symbol:?}")]
    SymbolNotNumeric {
        /// The dialect.
        dialect: String,
        /// The symbol given.
        symbol: String,
    },
}

/// Why [`send_request`] did not send a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The dialect cannot express the request.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedRequest),
    /// The session refused the message.
    #[error(transparent)]
    Send(#[from] SendError),
}

/// A request checked against a dialect, ready to be written: its MsgType
/// and a body writer, for [`Session::send_app`].
#[derive(Clone, Copy, Debug)]
pub struct EncodedRequest<'r> {
    request: &'r MarketDataRequest,
}

/// Checks that `dialect` can express `request` and returns it ready to be
/// written.
///
/// ```
/// use gateway::fix::market_data::{
///     MarketDataRequest, MarketDepth, SubscriptionAction, UnsupportedRequest, encode_request,
/// };
/// use gateway::fix::orders::OrderDialect;
/// use model::{RequestId, VenueSymbol};
///
/// let mut request = MarketDataRequest {
///     request_id: RequestId::new("md-1")?,
///     action: SubscriptionAction::Subscribe,
///     depth: MarketDepth::Levels(5.try_into()?),
///     trades: true,
///     symbols: vec![VenueSymbol::new("EUR/USD")?],
/// };
/// assert_eq!(encode_request(&request, &OrderDialect::fix44())?.msg_type(), b"V");
/// let refused = encode_request(&request, &OrderDialect::ctrader()).unwrap_err();
/// assert!(matches!(refused, UnsupportedRequest::Depth { depth: 5, .. }));
/// request.depth = MarketDepth::FullBook;
/// request.trades = false;
/// let refused = encode_request(&request, &OrderDialect::ctrader()).unwrap_err();
/// assert!(matches!(refused, UnsupportedRequest::SymbolNotNumeric { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_request<'r>(
    request: &'r MarketDataRequest,
    dialect: &OrderDialect,
) -> Result<EncodedRequest<'r>, UnsupportedRequest> {
    if request.symbols.is_empty() {
        return Err(UnsupportedRequest::NoSymbols);
    }
    if dialect.is_ctrader() {
        if let MarketDepth::Levels(levels) = request.depth {
            return Err(UnsupportedRequest::Depth {
                dialect: dialect.to_string(),
                depth: levels.get(),
            });
        }
        if request.trades {
            return Err(UnsupportedRequest::NoTrades {
                dialect: dialect.to_string(),
            });
        }
        if let Some(symbol) = request
            .symbols
            .iter()
            .find(|symbol| !symbol.as_bytes().iter().all(u8::is_ascii_digit))
        {
            return Err(UnsupportedRequest::SymbolNotNumeric {
                dialect: dialect.to_string(),
                symbol: symbol.to_string(),
            });
        }
    }
    Ok(EncodedRequest { request })
}

/// Encodes `request` in `dialect` and sends it on `session` (see
/// [`Session::send_app`]); returns its MsgSeqNum. `extra_header` adds header
/// fields such as cTrader's TargetSubID (57) `QUOTE`.
pub fn send_request<S: MessageStore>(
    session: &mut Session<S>,
    now: Timestamp,
    request: &MarketDataRequest,
    dialect: &OrderDialect,
    extra_header: &[(Tag, &[u8])],
) -> Result<u64, RequestError> {
    let encoded = encode_request(request, dialect)?;
    Ok(
        session.send_app(now, encoded.msg_type(), extra_header, |body| {
            encoded.write_body(body);
        })?,
    )
}

impl EncodedRequest<'_> {
    /// MsgType (35): V.
    pub fn msg_type(&self) -> &'static [u8] {
        b"V"
    }

    /// Writes the message body: 262, 263, 264, 265=1, the NoRelatedSym
    /// group (146, 55 …) and the NoMDEntryTypes group (267, 269 …), in
    /// the order of cTrader's published sample.
    pub fn write_body(&self, body: &mut BodyWriter<'_>) {
        let request = self.request;
        body.str(262, request.request_id.as_bytes())
            .char(
                263,
                match request.action {
                    SubscriptionAction::Subscribe => b'1',
                    SubscriptionAction::Unsubscribe => b'2',
                },
            )
            .uint(264, u64::from(request.depth.code()))
            // MDUpdateType 1: incremental refresh.
            .uint(265, 1)
            .uint(146, request.symbols.len() as u64);
        for symbol in &request.symbols {
            body.str(55, symbol.as_bytes());
        }
        body.uint(267, if request.trades { 3 } else { 2 })
            .char(269, b'0')
            .char(269, b'1');
        if request.trades {
            body.char(269, b'2');
        }
    }
}
