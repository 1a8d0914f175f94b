//! The shipped dictionaries load completely and as QuickFIX reads them.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use gateway::fix::dict::{FieldType, MsgCategory, ShippedDictionary};

/// Counts `<tag ` openings inside the `<section>` of a dictionary's text.
fn count_in_section(xml: &str, section: &str, tag: &str) -> usize {
    let start = xml.find(&format!("<{section}>")).unwrap();
    let end = xml.find(&format!("</{section}>")).unwrap();
    xml[start..end].matches(&format!("<{tag} ")).count()
}

#[test]
fn every_field_and_message_is_loaded() {
    for (shipped, xml) in [
        (
            ShippedDictionary::Fix42,
            include_str!("../../../specs/FIX42.xml"),
        ),
        (
            ShippedDictionary::Fix44,
            include_str!("../../../specs/FIX44.xml"),
        ),
        (
            ShippedDictionary::CTraderFix44,
            include_str!("../../../specs/ctrader-FIX44.xml"),
        ),
    ] {
        let dict = shipped.load().unwrap();
        assert_eq!(
            dict.fields().count(),
            count_in_section(xml, "fields", "field"),
            "{shipped:?}"
        );
        assert_eq!(
            dict.messages().count(),
            count_in_section(xml, "messages", "message"),
            "{shipped:?}"
        );
        assert!(
            dict.warnings().is_empty(),
            "{shipped:?}: {:?}",
            dict.warnings()
        );
        assert_eq!(dict.begin_string().as_deref(), Some(shipped.begin_string()));
    }
}

#[test]
fn fixt_combines_transport_and_application() {
    let dict = ShippedDictionary::Fixt11Fix50Sp2.load().unwrap();
    assert_eq!(dict.begin_string().as_deref(), Some("FIXT.1.1"));
    assert_eq!(dict.app_version().unwrap().name(), "FIX.5.0SP2");
    assert_eq!(dict.app_version().unwrap().appl_ver_id(), Some("9"));
    let fixt = include_str!("../../../specs/FIXT11.xml");
    let app = include_str!("../../../specs/FIX50SP2.xml");
    assert_eq!(
        dict.messages().count(),
        count_in_section(fixt, "messages", "message")
            + count_in_section(app, "messages", "message")
    );
    assert_eq!(dict.message(b"A").unwrap().category(), MsgCategory::Admin);
    assert_eq!(dict.message(b"D").unwrap().category(), MsgCategory::App);
    // Header fields come from the transport dictionary.
    assert!(dict.header().required_tags().any(|tag| tag == 52));
    assert!(dict.is_header_tag(1128));
}

#[test]
fn data_fields_pair_with_their_lengths() {
    let fix44 = ShippedDictionary::Fix44.load().unwrap();
    let pairs = fix44.data_fields().pairs();
    assert!(pairs.contains(&(96, 95)) && pairs.contains(&(89, 93)) && pairs.contains(&(213, 212)));
    // FIX 5.0SP2 data fields whose length field is not the tag before them
    // are paired by name.
    let fixt = ShippedDictionary::Fixt11Fix50Sp2.load().unwrap();
    let length_of = |tag| fixt.data_fields().length_tag(tag);
    assert_eq!(
        length_of(1527),
        fixt.field_by_name("EncodedDocumentationTextLen")
            .map(gateway::fix::dict::FieldDef::tag)
    );
    assert_eq!(length_of(1402), Some(1401));
    for &(data, length) in fixt.data_fields().pairs() {
        assert!(fixt.field(data).unwrap().field_type().is_data());
        assert_eq!(
            fixt.field(length).unwrap().field_type(),
            FieldType::Length,
            "length of {data}"
        );
    }
}

#[test]
fn groups_and_enums() {
    let dict = ShippedDictionary::Fix44.load().unwrap();
    let snapshot = dict.message(b"W").unwrap();
    let entries = snapshot.body().group(268).unwrap();
    assert_eq!((entries.name(), entries.delimiter()), ("NoMDEntries", 269));
    assert!(entries.entry().contains(270));
    assert_eq!(dict.field(269).unwrap().value_name(b"1"), Some("OFFER"));
    let order = dict.message(b"D").unwrap();
    let parties = order.body().group(453).unwrap();
    assert_eq!(parties.entry().group(802).unwrap().delimiter(), 523);
}
