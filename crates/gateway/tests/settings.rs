//! Settings files: the shipped conformance settings load, and every
//! mistake is reported with file, line and what to do.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::Path;

use gateway::fix::session::{SessionDays, Weekday};
use gateway::fix::settings::{
    self, CertificateFiles, ClientTlsSettings, Connection, ServerTlsSettings, TlsSettings,
    TlsVersions,
};
use model::{Timestamp, UtcDateTime};

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
        "[DEFAULT]\nConnectionType = \"initiator\"\nSocketConnectHost = \"h\"\nSocketConnectPort = 1\nHeartBtInt = 30\nSenderCompID = \"A\"\nUseDataDictionary = \"N\"\nNonStopSession = \"Y\"\n\n[[SESSION]]\nBeginString = \"FIX.4.2\"\nTargetCompID = \"B\"\nHeartBtInt = 5\nResetOnLogon = \"Y\"\n",
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

/// An acceptor and an initiator session for TLS settings tests; `extra`
/// goes into both.
fn tls_sessions(acceptor_extra: &str, initiator_extra: &str) -> String {
    format!(
        "[DEFAULT]\nBeginString = \"FIX.4.4\"\nUseDataDictionary = \"N\"\nSocketUseSSL = \"Y\"\nNonStopSession = true\n\
         [[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nSenderCompID = \"A\"\nTargetCompID = \"B\"\n{acceptor_extra}\n\
         [[SESSION]]\nConnectionType = \"initiator\"\nSocketConnectHost = \"fix.example.com\"\nSocketConnectPort = 1\nHeartBtInt = 30\nSenderCompID = \"B\"\nTargetCompID = \"A\"\n{initiator_extra}"
    )
}

#[test]
fn tls_settings_find_their_files_next_to_the_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "server.pem",
        "server.key",
        "ca.pem",
        "client.pem",
        "client.key",
    ] {
        std::fs::write(
            dir.path().join(name),
            "PEM files are read when TLS is set up",
        )
        .unwrap();
    }
    let text = tls_sessions(
        "ServerCertificateFile = \"server.pem\"\nServerCertificateKeyFile = \"server.key\"\nCertificateAuthoritiesFile = \"ca.pem\"\nCertificateVerifyLevel = 1\nSSLProtocol = \"TLSv1.3\"\n",
        "CertificateAuthoritiesFile = \"ca.pem\"\nClientCertificateFile = \"client.pem\"\nClientCertificateKeyFile = \"client.key\"\n",
    );
    let sessions = settings::parse(&text, &dir.path().join("emp.toml")).unwrap();
    let at = |name: &str| dir.path().join(name);
    assert_eq!(
        sessions[0].tls,
        Some(TlsSettings::Server(ServerTlsSettings {
            versions: TlsVersions {
                tls12: false,
                tls13: true
            },
            certificate: at("server.pem"),
            key: at("server.key"),
            client_authorities: Some(at("ca.pem")),
        }))
    );
    assert_eq!(
        sessions[1].tls,
        Some(TlsSettings::Client(ClientTlsSettings {
            versions: TlsVersions::default(),
            authorities: at("ca.pem"),
            certificate: Some(CertificateFiles {
                certificate: at("client.pem"),
                key: at("client.key"),
            }),
            server_name: "fix.example.com".into(),
        }))
    );

    // QuickFIX's SSLProtocol forms, and SSLServerName over SocketConnectHost.
    for (protocol, tls12, tls13) in [
        ("+TLSv1.2 +TLSv1.3", true, true),
        ("TLSv1.2", true, false),
        ("all -SSLv3 -TLSv1 -TLSv1.1", true, true),
        ("-TLSv1.2", false, true),
    ] {
        let text = tls_sessions(
            "ServerCertificateFile = \"server.pem\"\nServerCertificateKeyFile = \"server.key\"\n",
            &format!(
                "CertificateAuthoritiesFile = \"ca.pem\"\nSSLServerName = \"10.0.0.1\"\nSSLProtocol = \"{protocol}\"\n"
            ),
        );
        let sessions = settings::parse(&text, &dir.path().join("emp.toml")).unwrap();
        let Some(TlsSettings::Client(client)) = &sessions[1].tls else {
            panic!("an initiator's TLS settings");
        };
        assert_eq!(client.versions, TlsVersions { tls12, tls13 }, "{protocol}");
        assert_eq!(client.server_name, "10.0.0.1");
    }

    // Off: no TLS, and the TLS keys may stay.
    let text = tls_sessions("ServerCertificateFile = \"server.pem\"\n", "")
        .replace("SocketUseSSL = \"Y\"", "SocketUseSSL = \"N\"");
    let sessions = settings::parse(&text, &dir.path().join("emp.toml")).unwrap();
    assert!(sessions.iter().all(|session| session.tls.is_none()));
}

#[test]
fn tls_mistakes_name_the_key_the_line_and_the_fix() {
    let acceptor =
        "ServerCertificateFile = \"server.pem\"\nServerCertificateKeyFile = \"server.key\"\n";
    // A plaintext acceptor, for cases about the initiator.
    let plain = "SocketUseSSL = \"N\"\n";
    let initiator = "CertificateAuthoritiesFile = \"ca.pem\"\n";
    let cases = [
        // The files are missing: parse() reads "sessions/test.toml".
        (
            tls_sessions(acceptor, initiator),
            "sessions/test.toml:11: ServerCertificateFile: sessions/server.pem does not exist; give a PEM file",
        ),
        (
            tls_sessions(
                &acceptor.replace("ServerCertificateFile = \"server.pem\"\n", ""),
                initiator,
            ),
            "sessions/test.toml:6: this session needs ServerCertificateFile",
        ),
        (
            tls_sessions("SSLProtocol = \"+SSLv3 +TLSv1.2\"\n", initiator),
            "sessions/test.toml:11: SSLProtocol: SSLv3 is insecure and not supported; allow TLSv1.2 and/or TLSv1.3 only",
        ),
        (
            tls_sessions("SSLProtocol = \"TLSv1.1\"\n", initiator),
            "sessions/test.toml:11: SSLProtocol: TLSv1.1 is insecure",
        ),
        (
            tls_sessions("SSLProtocol = \"TLS1.3\"\n", initiator),
            "sessions/test.toml:11: SSLProtocol: unknown protocol \"TLS1.3\"",
        ),
        (
            tls_sessions("SSLProtocol = \"-all\"\n", initiator),
            "sessions/test.toml:11: SSLProtocol: \"-all\" allows no TLS version",
        ),
        (
            tls_sessions("CertificateVerifyLevel = 1\n", initiator),
            "sessions/test.toml:11: CertificateVerifyLevel: 1 needs CertificateAuthoritiesFile",
        ),
        (
            tls_sessions("CertificateVerifyLevel = 2\n", initiator),
            "sessions/test.toml:11: CertificateVerifyLevel: 2 is not supported",
        ),
        (
            tls_sessions("CertificateAuthoritiesFile = \"ca.pem\"\n", initiator),
            "sessions/test.toml:11: CertificateAuthoritiesFile: is set but CertificateVerifyLevel is not",
        ),
        (
            tls_sessions("ClientCertificateFile = \"client.pem\"\n", initiator),
            "sessions/test.toml:11: ClientCertificateFile: does not apply to an acceptor",
        ),
        (
            tls_sessions(plain, ""),
            "sessions/test.toml:4: SocketUseSSL: a TLS initiator needs CertificateAuthoritiesFile",
        ),
        (
            tls_sessions(plain, "CertificateVerifyLevel = 0\n"),
            "sessions/test.toml:20: CertificateVerifyLevel: an initiator always verifies",
        ),
        (
            tls_sessions(plain, "SSLServerName = \"not a name\"\n"),
            "sessions/test.toml:20: SSLServerName: \"not a name\" is not a DNS name or IP address",
        ),
        (
            tls_sessions(acceptor, initiator).replace("SocketUseSSL = \"Y\"\n", ""),
            "sessions/test.toml:10: ServerCertificateFile: is a TLS setting but SocketUseSSL is not set",
        ),
    ];
    for (text, expected) in cases {
        let error = parse(&text).unwrap_err().to_string();
        assert!(
            error.starts_with(expected),
            "{error}\nexpected to start with: {expected}\nin:\n{text}"
        );
    }
}

/// An acceptor session without a dictionary, plus `extra` lines.
fn with_schedule(extra: &str) -> String {
    format!(
        "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nSenderCompID = \"A\"\nUseDataDictionary = false\n\n[[SESSION]]\nBeginString = \"FIX.4.4\"\nTargetCompID = \"B\"\n{extra}"
    )
}

fn utc(year: u16, month: u8, day: u8, hour: u8, minute: u8) -> Timestamp {
    Timestamp::from_utc(UtcDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
        nanosecond: 0,
    })
    .unwrap()
}

#[test]
fn schedules_are_read_daily_weekly_on_weekdays_and_in_a_zone() {
    let parsed = |extra: &str| {
        parse(&with_schedule(extra))
            .unwrap()
            .remove(0)
            .config
            .schedule
    };
    assert!(parsed("NonStopSession = true\n").is_none());

    // A TOML time works as well as a string.
    let daily = parsed("StartTime = \"08:00:00\"\nEndTime = 17:00:00\n").unwrap();
    assert_eq!(daily.days(), &SessionDays::Daily);
    assert_eq!(daily.time_zone().name(), Some("UTC"));
    assert!(daily.is_session_time(utc(2025, 11, 19, 8, 0)));
    assert!(!daily.is_session_time(utc(2025, 11, 19, 17, 0)));

    let weekly = parsed(
        "StartTime = \"17:00:00\"\nEndTime = \"17:00:00\"\nStartDay = \"sunday\"\nEndDay = \"FRI\"\nTimeZone = \"America/New_York\"\nNonStopSession = false\n",
    )
    .unwrap();
    assert_eq!(
        weekly.days(),
        &SessionDays::Weekly {
            start: Weekday::Sunday,
            end: Weekday::Friday
        }
    );
    // Friday 17:00 in New York is 22:00 UTC in November.
    assert!(weekly.is_session_time(utc(2025, 11, 21, 21, 59)));
    assert!(!weekly.is_session_time(utc(2025, 11, 21, 22, 0)));

    let weekdays =
        parsed("StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nWeekdays = \"Mon, Wed,Fri\"\n")
            .unwrap();
    assert_eq!(
        weekdays.days(),
        &SessionDays::Weekdays(vec![Weekday::Monday, Weekday::Wednesday, Weekday::Friday])
    );
    assert!(!weekdays.is_session_time(utc(2025, 11, 18, 12, 0))); // a Tuesday

    // UseLocalTime takes this machine's zone, or says why it cannot.
    match parse(&with_schedule(
        "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nUseLocalTime = \"Y\"\n",
    )) {
        Ok(sessions) => assert!(sessions[0].config.schedule.is_some()),
        Err(error) => assert!(error.to_string().contains("TimeZone"), "{error}"),
    }
}

#[test]
fn schedule_mistakes_name_the_line_and_the_fix() {
    let cases = [
        (
            "",
            "sessions/test.toml:7: this session needs StartTime and EndTime (when it is in session), or NonStopSession = true",
        ),
        (
            "NonStopSession = false\nStartTime = \"08:00:00\"\n",
            "sessions/test.toml:7: this session needs StartTime and EndTime",
        ),
        (
            "NonStopSession = true\nStartTime = \"08:00:00\"\n",
            "sessions/test.toml:11: StartTime: a NonStopSession has no schedule",
        ),
        (
            "StartTime = \"8:00\"\nEndTime = \"17:00:00\"\n",
            "sessions/test.toml:10: StartTime: \"8:00\" is not a time of day; write HH:MM:SS",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nStartDay = \"Sun\"\n",
            "sessions/test.toml:12: StartDay: a weekly session needs EndDay too",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nStartDay = \"Sun\"\nEndDay = \"Fryday\"\n",
            "sessions/test.toml:13: EndDay: \"Fryday\" is not a day of the week",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nStartDay = \"Sun\"\nEndDay = \"Fri\"\nWeekdays = \"Mon\"\n",
            "sessions/test.toml:14: Weekdays: cannot be combined with StartDay/EndDay",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nWeekdays = \" , \"\n",
            "sessions/test.toml:12: Weekdays: no weekday given",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nTimeZone = \"America/NewYork\"\n",
            "sessions/test.toml:12: TimeZone: unknown time zone \"America/NewYork\"",
        ),
        (
            "StartTime = \"08:00:00\"\nEndTime = \"17:00:00\"\nTimeZone = \"UTC\"\nUseLocalTime = true\n",
            "sessions/test.toml:13: UseLocalTime: set TimeZone or UseLocalTime = true, not both",
        ),
    ];
    for (extra, expected) in cases {
        let error = parse(&with_schedule(extra)).unwrap_err().to_string();
        assert!(
            error.starts_with(expected),
            "{error}\nexpected to start with: {expected}"
        );
    }
}

#[test]
fn store_type_and_durability_choose_the_store() {
    use gateway::fix::store::{Durability, StoreKind};
    let session = |store: &str| {
        format!(
            "[[SESSION]]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\nUseDataDictionary = \"N\"\nFileStorePath = \"/var/emp\"\n{store}NonStopSession = true\n"
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

#[test]
fn sub_ids_are_read_and_keep_the_store_files_of_quote_and_trade_apart() {
    let sessions = parse(
        "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nBeginString = \"FIX.4.4\"\nSenderCompID = \"CSERVER\"\nTargetCompID = \"demo.b.12345\"\nUseDataDictionary = \"N\"\nNonStopSession = \"Y\"\nFileStorePath = \"store\"\n\n[[SESSION]]\nSenderSubID = \"QUOTE\"\n\n[[SESSION]]\nSenderSubID = \"TRADE\"\nTargetSubID = \"any\"\n\n[[SESSION]]\n",
    )
    .unwrap();
    let ids: Vec<String> = sessions.iter().map(|s| s.config.id.to_string()).collect();
    assert_eq!(
        ids,
        [
            "FIX.4.4:CSERVER/QUOTE->demo.b.12345",
            "FIX.4.4:CSERVER/TRADE->demo.b.12345/any",
            "FIX.4.4:CSERVER->demo.b.12345",
        ]
    );
    assert_eq!(
        sessions[1].config.id.sender_sub_id.as_deref(),
        Some("TRADE")
    );
    assert_eq!(sessions[1].config.id.target_sub_id.as_deref(), Some("any"));
    let files: Vec<String> = sessions
        .iter()
        .map(|s| {
            s.store_file()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        files,
        [
            "FIX.4.4-CSERVER_QUOTE-demo.b.12345.redb",
            "FIX.4.4-CSERVER_TRADE-demo.b.12345_any.redb",
            "FIX.4.4-CSERVER-demo.b.12345.redb",
        ]
    );
}
