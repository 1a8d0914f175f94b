//! Settings files: the shipped conformance settings load, and every
//! mistake is reported with file, line and what to do.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;

use gateway::fix::settings::{self, Connection};

fn parse(text: &str) -> Result<Vec<settings::SessionSettings>, settings::SettingsError> {
    settings::parse(text, Path::new("sessions/test.toml"))
}

#[test]
fn conformance_settings_load_five_acceptor_sessions() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sessions/conformance.toml");
    let sessions = settings::load(&path).unwrap();
    let ids: Vec<String> = sessions.iter().map(|s| s.config.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "FIX.4.2:ISLD->TW42",
            "FIX.4.4:ISLD->TW44",
            "FIXT.1.1:ISLD->TW50",
            "FIX.4.4:ISLD->TW",
            "FIX.4.4:ISLD->NO_CHECK_FIELDS_HAVE_VALUES"
        ]
    );
    assert!(
        sessions
            .iter()
            .all(|s| s.config.reset_on_logon && s.config.dictionary.is_some())
    );
    assert!(!sessions[4].config.validation.fields_have_values);
    assert!(sessions[0].config.validation.fields_have_values);
    assert_eq!(
        sessions[1].connection,
        Connection::Acceptor {
            address: "0.0.0.0".into(),
            port: 5001
        }
    );
}

#[test]
fn session_values_override_defaults() {
    let sessions = parse(
        "[DEFAULT]\nConnectionType = \"initiator\"\nSocketConnectHost = \"h\"\nSocketConnectPort = 1\nHeartBtInt = 30\nSenderCompID = \"A\"\nUseDataDictionary = \"N\"\n\n[[SESSION]]\nBeginString = \"FIX.4.2\"\nTargetCompID = \"B\"\nHeartBtInt = 5\nResetOnLogon = \"Y\"\n",
    )
    .unwrap();
    assert_eq!(sessions[0].config.heartbeat_interval_secs, 5);
    assert!(sessions[0].config.reset_on_logon);
    assert!(sessions[0].config.dictionary.is_none());
}

#[test]
fn mistakes_name_the_line_and_the_fix() {
    let cases = [
        (
            "[DEFAULT]\nSendrCompID = \"A\"\n",
            "sessions/test.toml:2: unknown setting SendrCompID; did you mean SenderCompID?",
        ),
        (
            "[DEFAULT]\nConnectionType = \"acceptor\"\n",
            "sessions/test.toml:0: no [[SESSION]] table",
        ),
        (
            "[[SESSION]]\nConnectionType = \"acceptor\"\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\n",
            "sessions/test.toml:1: this session needs SocketAcceptPort",
        ),
        (
            "[[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 70000\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\n",
            "sessions/test.toml:3: SocketAcceptPort: 70000 is not a TCP port",
        ),
        (
            "[[SESSION]]\nConnectionType = \"both\"\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\n",
            "sessions/test.toml:2: ConnectionType: \"both\" is neither",
        ),
        (
            "[SESSIONS]\nX = 1\n",
            "sessions/test.toml:1: unknown table [SESSIONS]",
        ),
        ("[DEFAULT\n", "sessions/test.toml:1: not valid TOML"),
        (
            "[[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\nDataDictionary = \"missing.xml\"\n",
            "sessions/test.toml:7: DataDictionary:",
        ),
    ];
    for (text, expected) in cases {
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with(expected),
            "{error}\nexpected to start with: {expected}"
        );
    }
}

#[test]
fn every_key_is_documented_in_the_sessions_readme() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sessions/README.md"),
    )
    .unwrap();
    for (key, _) in settings::KEYS {
        assert!(
            readme.contains(&format!("| `{key}` |")),
            "sessions/README.md does not document {key}"
        );
    }
}

#[test]
fn store_type_and_durability_choose_the_store() {
    use gateway::fix::store::{Durability, StoreKind};
    let session = |store: &str| {
        format!(
            "[[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\nUseDataDictionary = \"N\"\nFileStorePath = \"/var/emp\"\n{store}"
        )
    };
    let chosen = |store: &str| {
        let settings = &parse(&session(store)).unwrap()[0];
        (settings.store_kind, settings.store_file().unwrap())
    };
    assert_eq!(
        chosen(""),
        (StoreKind::Redb, "/var/emp/FIX.4.4-A-B.redb".into())
    );
    assert_eq!(
        chosen("StoreType = \"redb\"\nStoreDurability = \"fsync\"\n").0,
        StoreKind::Redb
    );
    assert_eq!(
        chosen("StoreType = \"file\"\n"),
        (
            StoreKind::File(Durability::Fsync),
            "/var/emp/FIX.4.4-A-B.log".into()
        )
    );
    assert_eq!(
        chosen("StoreType = \"file\"\nStoreDurability = \"os\"\n").0,
        StoreKind::File(Durability::Os)
    );
    let mistakes = [
        (
            "StoreDurability = \"os\"\n",
            "sessions/test.toml:9: StoreDurability: \"os\" needs StoreType = \"file\"",
        ),
        (
            "StoreType = \"redb\"\nStoreDurability = \"os\"\n",
            "sessions/test.toml:10: StoreDurability: \"os\" needs StoreType = \"file\"",
        ),
        (
            "StoreType = \"sqlite\"\n",
            "sessions/test.toml:9: StoreType: \"sqlite\": use \"redb\" or \"file\"",
        ),
        (
            "StoreType = \"file\"\nStoreDurability = \"sometimes\"\n",
            "sessions/test.toml:10: StoreDurability: \"sometimes\": use \"fsync\" or \"os\"",
        ),
    ];
    for (store, expected) in mistakes {
        let error = parse(&session(store)).unwrap_err().to_string();
        assert!(
            error.starts_with(expected),
            "{error}\nexpected to start with: {expected}"
        );
    }
}
