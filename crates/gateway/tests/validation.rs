//! Dictionary validation against the shipped FIX 4.2/4.4/FIXT dictionaries:
//! the conformance cases QuickFIX's acceptance scripts exercise (14a–14i,
//! 2q, 21), which error QuickFIX names first when several are present,
//! repeating groups, data fields, and the validation switches.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use gateway::fix::codec::{
    DecodeError, DecodeErrorKind, Decoder, DecoderConfig, Disposition, SessionRejectReason,
};
use gateway::fix::dict::{ShippedDictionary, ValidationOptions, Validator};
use gateway::fixtures::wire;

const HEADER: &str = "8=FIX.4.4|35=0|34=2|49=TW44|52=20230713-04:30:17.816|56=ISLD|";

fn validate_with(
    dict: ShippedDictionary,
    options: ValidationOptions,
    text: &str,
) -> Result<(), DecodeError> {
    let dict = dict.load().unwrap();
    let mut decoder = Decoder::new(DecoderConfig {
        data_fields: dict.data_fields().clone(),
        ..DecoderConfig::default()
    });
    let bytes = wire(text);
    let message = decoder
        .decode(&bytes)
        .expect("test messages are well framed");
    Validator::new(dict, options).validate(&message)
}

fn validate(text: &str) -> Result<(), DecodeError> {
    validate_with(ShippedDictionary::Fix44, ValidationOptions::default(), text)
}

/// The (373, 371) pair a session would put in its Reject.
fn reject(text: &str) -> (u32, i64) {
    let error = validate(text).expect_err("message should be rejected");
    let reason = error
        .reject_reason()
        .unwrap_or_else(|| panic!("{error} is not a Reject"));
    (reason.code(), error.ref_tag_id().unwrap_or(-999))
}

fn order(extra: &str) -> String {
    format!(
        "8=FIX.4.4|35=D|34=2|49=TW44|52=20230713-04:30:17.816|56=ISLD|11=ID|21=1|40=1|54=1|38=200.00|55=INTC|60=20230713-04:30:17|{extra}"
    )
}

#[test]
fn valid_messages_pass() {
    validate(HEADER).unwrap();
    validate(&order("")).unwrap();
    validate(&order("167=CS|")).unwrap();
    validate(&order("38=002000.00|").replace("38=200.00|", "")).unwrap();
}

#[test]
fn invalid_tag_numbers_14a() {
    assert_eq!(reject(&format!("{HEADER}999=HI|")), (0, 999));
    assert_eq!(reject(&format!("{HEADER}0=HI|")), (0, 0));
    assert_eq!(reject(&format!("{HEADER}-1=HI|")), (0, -1));
    assert_eq!(reject(&format!("{HEADER}5000=HI|")), (0, 5000));
}

#[test]
fn required_tag_missing_14b() {
    assert_eq!(
        reject("8=FIX.4.4|35=0|34=2|49=TW44|52=20230713-04:30:17.816|"),
        (1, 56)
    );
    let no_clordid = order("").replace("11=ID|", "");
    assert_eq!(reject(&no_clordid), (1, 11));
}

#[test]
fn tag_not_defined_for_message_type_14c() {
    assert_eq!(reject(&format!("{HEADER}55=MSFT|")), (2, 55));
}

#[test]
fn tag_specified_without_value_14d() {
    assert_eq!(
        reject("8=FIX.4.4|35=0|34=2|49=TW44|52=20230713-04:30:17.816|56=|"),
        (4, 56)
    );
}

#[test]
fn incorrect_enum_value_14e() {
    assert_eq!(reject(&order("").replace("21=1", "21=4")), (5, 21));
    assert_eq!(reject(&order("167=BOO|")), (5, 167));
}

#[test]
fn incorrect_data_format_14f() {
    assert_eq!(
        reject(&order("").replace("38=200.00", "38=+200.00")),
        (6, 38)
    );
    assert_eq!(
        reject(&order("").replace("60=20230713-04:30:17", "60=20230230-04:30:17")),
        (6, 60)
    );
    assert_eq!(reject(&order("").replace("54=1", "54=12")), (6, 54));
}

#[test]
fn header_body_trailer_out_of_order_14g() {
    let body_first = "8=FIX.4.4|35=D|11=id|21=3|40=1|54=1|55=MSFT|60=20230713-04:30:17|34=2|49=TW44|52=20230713-04:30:17|56=ISLD|";
    assert_eq!(reject(body_first), (14, 34));
    let one_body_tag_first = "8=FIX.4.4|35=D|55=MSFT|34=3|49=TW44|52=20230713-04:30:17|56=ISLD|11=id|21=3|40=1|54=1|60=20230713-04:30:17|";
    assert_eq!(reject(one_body_tag_first), (14, 34));
}

#[test]
fn repeated_tag_14h() {
    assert_eq!(reject(&order("").replace("40=1|", "40=1|40=2|")), (13, 40));
}

#[test]
fn num_in_group_count_14i() {
    assert_eq!(
        reject(&order("386=3|336=PRE-OPEN|336=AFTER-HOURS|")),
        (16, 386)
    );
    validate(&order("386=2|336=PRE-OPEN|336=AFTER-HOURS|")).unwrap();
}

#[test]
fn zero_group_count_21() {
    validate(
        "8=FIX.4.4|35=d|34=2|49=TW44|56=ISLD|52=20230713-04:30:17|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=CS|336=ONE_MAIN|58=No Products found for this Class Symbol|454=0|",
    )
    .unwrap();
}

#[test]
fn invalid_msg_type_2q() {
    let error = validate("8=FIX.4.4|35=*|34=2|49=TW44|52=20230713-04:30:17|56=ISLD|").unwrap_err();
    assert_eq!(
        error.reject_reason(),
        Some(SessionRejectReason::InvalidMsgType)
    );
    assert_eq!(error.tag, Some(35));
}

#[test]
fn wrong_begin_string_means_logout() {
    let error = validate(&HEADER.replace("FIX.4.4", "FIX.4.2")).unwrap_err();
    assert_eq!(error.kind, DecodeErrorKind::IncorrectBeginString);
    assert_eq!(error.disposition(), Disposition::Logout);
}

#[test]
fn the_first_error_is_the_one_quickfix_names() {
    // A missing required field outranks a bad enum value.
    let both = order("").replace("11=ID|", "").replace("21=1", "21=4");
    assert_eq!(reject(&both), (1, 11));
    // Two body problems: the lower tag is named, whatever the wire order.
    let two = order("").replace("54=1", "54=X").replace("40=1", "40=Z");
    assert_eq!(reject(&two), (5, 40));
    // Structure is checked before everything else.
    let late_header = order("34=9|").replace("21=1", "21=4");
    assert_eq!(reject(&late_header), (14, 34));
    // An unknown message type outranks missing header fields.
    let error = validate("8=FIX.4.4|35=*|34=2|52=20230713-04:30:17|").unwrap_err();
    assert_eq!(error.kind, DecodeErrorKind::InvalidMsgType);
}

#[test]
fn group_entries_must_start_with_the_delimiter() {
    let market_data = "8=FIX.4.4|35=W|34=2|49=TW44|52=20230713-04:30:17|56=ISLD|55=EURUSD|";
    validate(&format!("{market_data}268=2|269=0|270=1.1|269=1|270=1.2|")).unwrap();
    assert_eq!(
        reject(&format!("{market_data}268=2|270=1.1|269=0|270=1.2|269=1|")),
        (15, 270)
    );
    // Too few entries for the count.
    assert_eq!(
        reject(&format!("{market_data}268=3|269=0|270=1.1|269=1|270=1.2|")),
        (16, 268)
    );
    // A field repeated inside an entry starts a new entry: the count no longer matches.
    assert_eq!(
        reject(&format!("{market_data}268=1|269=0|270=1.1|270=1.2|")),
        (15, 270)
    );
}

#[test]
fn fields_inside_groups_are_checked_too() {
    let market_data = "8=FIX.4.4|35=W|34=2|49=TW44|52=20230713-04:30:17|56=ISLD|55=EURUSD|";
    assert_eq!(
        reject(&format!("{market_data}268=1|269=Q|270=1.1|")),
        (5, 269)
    );
    assert_eq!(
        reject(&format!("{market_data}268=1|269=0|270=1,1|")),
        (6, 270)
    );
}

#[test]
fn required_fields_of_each_group_entry() {
    let list_status = "8=FIX.4.4|35=N|34=2|49=TW44|52=20230713-04:30:17|56=ISLD|66=L1|429=2|82=1|431=1|83=1|68=2|";
    let entry =
        |clordid: &str, ordstatus: &str| format!("11={clordid}|14=0|{ordstatus}151=5|84=0|6=0|");
    validate(&format!(
        "{list_status}73=2|{}{}",
        entry("A", "39=0|"),
        entry("B", "39=0|")
    ))
    .unwrap();
    assert_eq!(
        reject(&format!(
            "{list_status}73=2|{}{}",
            entry("A", "39=0|"),
            entry("B", "")
        )),
        (1, 39)
    );
}

#[test]
fn nested_groups() {
    // NoPartyIDs (453) with NoPartySubIDs (802) nested in its entries.
    let parties =
        "453=2|448=BROKER|447=D|452=1|802=2|523=desk|803=1|523=room|803=2|448=CLIENT|447=D|452=3|";
    validate(&order(parties)).unwrap();
    let wrong_nested_count = parties.replace("802=2", "802=3");
    assert_eq!(reject(&order(&wrong_nested_count)), (16, 802));
}

#[test]
fn data_fields_may_contain_soh() {
    let logon =
        "8=FIX.4.4|35=A|34=1|49=TW44|52=20230713-04:30:17|56=ISLD|98=0|108=30|95=5|96=ab\x01cd|";
    validate(logon).unwrap();
}

#[test]
fn fields_have_values_switch() {
    let empty = format!("{}112=|", HEADER.replace("35=0", "35=1"));
    assert_eq!(reject(&empty), (4, 112));
    let lenient = ValidationOptions {
        fields_have_values: false,
        ..ValidationOptions::default()
    };
    validate_with(ShippedDictionary::Fix44, lenient, &empty).unwrap();
    // An empty integer still has the wrong format.
    let empty_int = format!(
        "{}108=|",
        HEADER.replace("35=0", "35=A").replace("34=2", "34=1")
    );
    let error = validate_with(
        ShippedDictionary::Fix44,
        lenient,
        &format!("{empty_int}98=0|"),
    )
    .unwrap_err();
    assert_eq!(
        error.reject_reason(),
        Some(SessionRejectReason::IncorrectDataFormat)
    );
}

#[test]
fn unknown_and_user_defined_field_switches() {
    let unknown = format!("{HEADER}999=HI|");
    let user_defined = format!("{HEADER}5001=HI|");
    let allow_unknown = ValidationOptions {
        allow_unknown_message_fields: true,
        ..ValidationOptions::default()
    };
    validate_with(ShippedDictionary::Fix44, allow_unknown, &unknown).unwrap();
    validate_with(
        ShippedDictionary::Fix44,
        allow_unknown,
        &format!("{HEADER}55=MSFT|"),
    )
    .unwrap();
    assert!(validate_with(ShippedDictionary::Fix44, allow_unknown, &user_defined).is_err());

    let skip_user_defined = ValidationOptions {
        user_defined_fields: false,
        ..ValidationOptions::default()
    };
    validate_with(ShippedDictionary::Fix44, skip_user_defined, &user_defined).unwrap();
    assert!(validate_with(ShippedDictionary::Fix44, skip_user_defined, &unknown).is_err());
    // Repeats are still caught for fields the dictionary does not know.
    let repeated = format!("{HEADER}5001=A|5001=B|");
    assert_eq!(
        validate_with(ShippedDictionary::Fix44, skip_user_defined, &repeated)
            .unwrap_err()
            .reject_reason(),
        Some(SessionRejectReason::TagAppearsMoreThanOnce)
    );
}

#[test]
fn out_of_order_switch() {
    let relaxed = ValidationOptions {
        fields_out_of_order: false,
        ..ValidationOptions::default()
    };
    let late_header =
        order("").replace("52=20230713-04:30:17.816|", "") + "52=20230713-04:30:17.816|";
    assert_eq!(reject(&late_header), (14, 52));
    validate_with(ShippedDictionary::Fix44, relaxed, &late_header).unwrap();
}

#[test]
fn fix42_and_fixt_dictionaries() {
    let heartbeat42 = HEADER.replace("FIX.4.4", "FIX.4.2");
    validate_with(
        ShippedDictionary::Fix42,
        ValidationOptions::default(),
        &heartbeat42,
    )
    .unwrap();
    // FIXT 1.1 session message, and a FIX 5.0SP2 application message on it.
    let fixt = HEADER.replace("FIX.4.4", "FIXT.1.1");
    validate_with(
        ShippedDictionary::Fixt11Fix50Sp2,
        ValidationOptions::default(),
        &fixt,
    )
    .unwrap();
    let order50 = "8=FIXT.1.1|35=D|34=2|49=TW50|52=20230713-04:30:17.816|56=ISLD|1128=9|11=ID|40=1|54=1|38=200|55=INTC|60=20230713-04:30:17|";
    validate_with(
        ShippedDictionary::Fixt11Fix50Sp2,
        ValidationOptions::default(),
        order50,
    )
    .unwrap();
    let error = validate_with(
        ShippedDictionary::Fixt11Fix50Sp2,
        ValidationOptions::default(),
        &order50.replace("40=1", "40=%"),
    )
    .unwrap_err();
    assert_eq!(
        error.reject_reason(),
        Some(SessionRejectReason::ValueIsIncorrect)
    );
}

#[test]
fn report_lists_every_problem_and_the_group_structure() {
    let dict = ShippedDictionary::Fix44.load().unwrap();
    let mut decoder = Decoder::default();
    let bytes = wire(
        &order("453=1|448=BROKER|447=D|452=1|802=1|523=desk|803=1|999=X|").replace("21=1", "21=4"),
    );
    let message = decoder.decode(&bytes).unwrap();
    let report = Validator::new(dict, ValidationOptions::default()).report(&message);
    let reasons: Vec<(u32, i64)> = report
        .errors
        .iter()
        .map(|e| (e.reject_reason().unwrap().code(), e.ref_tag_id().unwrap()))
        .collect();
    assert_eq!(reasons, [(5, 21), (0, 999)]);
    let depths: Vec<(u32, usize, bool)> = message
        .fields()
        .iter()
        .zip(&report.placements)
        .filter(|(field, _)| [453, 448, 802, 523, 803].contains(&field.tag()))
        .map(|(field, place)| (field.tag(), place.depth, place.starts_entry))
        .collect();
    assert_eq!(
        depths,
        [
            (453, 0, false),
            (448, 1, true),
            (802, 1, false),
            (523, 2, true),
            (803, 2, false)
        ]
    );
}
