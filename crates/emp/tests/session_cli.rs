//! `emp session status|reset|set-seq` on a stopped session's store, and
//! settings-file errors that name the file, the line and the fix.
#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gateway::fix::store::{Durability, FileStore, MessageStore, RedbStore};
use model::Timestamp;

fn emp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emp"))
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emp-session-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_settings(dir: &Path) -> PathBuf {
    let path = dir.join("venue.toml");
    std::fs::write(
        &path,
        r#"[DEFAULT]
ConnectionType = "initiator"
SocketConnectHost = "127.0.0.1"
SocketConnectPort = 9878
HeartBtInt = 30
SenderCompID = "EMP"
FileStorePath = "store"
UseDataDictionary = false
NonStopSession = true

[[SESSION]]
BeginString = "FIX.4.4"
TargetCompID = "VENUE"
"#,
    )
    .unwrap();
    path
}

#[test]
fn status_set_seq_and_reset_work_on_a_stopped_sessions_store() {
    let dir = workdir("ops");
    let settings = write_settings(&dir);
    let config = settings.to_str().unwrap();
    // The store as a session left it: two messages sent, five received.
    {
        let now = Timestamp::from_unix_nanos(1_763_700_000_000_000_000);
        let mut store = RedbStore::open(&dir.join("store/FIX.4.4-EMP-VENUE.redb"), now).unwrap();
        store.store_outbound(1, b"first").unwrap();
        store.store_outbound(2, b"second").unwrap();
        store.set_next_target_seq(6).unwrap();
        store.commit().unwrap();
    }
    let (out, err) = text(&emp(&[
        "session",
        "status",
        "--config",
        config,
        "--session",
        "VENUE",
    ]));
    assert!(
        out.contains("next sender seq   3") && out.contains("next target seq   6"),
        "{out}{err}"
    );
    assert!(out.contains("stored messages   2"), "{out}");

    let set = emp(&[
        "session",
        "set-seq",
        "--config",
        config,
        "--session",
        "FIX.4.4:EMP->VENUE",
        "--sender",
        "42",
        "--target",
        "7",
    ]);
    assert!(set.status.success(), "{:?}", text(&set));
    let (out, _) = text(&set);
    assert!(
        out.contains("next sender seq   42") && out.contains("next target seq   7"),
        "{out}"
    );

    let reset = emp(&["session", "reset", "--config", config, "--session", "VENUE"]);
    let (out, _) = text(&reset);
    assert!(
        out.contains("next sender seq   1") && out.contains("stored messages   0"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unknown_session_lists_the_sessions_there_are() {
    let dir = workdir("unknown");
    let settings = write_settings(&dir);
    let output = emp(&[
        "session",
        "status",
        "--config",
        settings.to_str().unwrap(),
        "--session",
        "NOPE",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let (_, err) = text(&output);
    assert!(
        err.contains("no session matches \"NOPE\"") && err.contains("FIX.4.4:EMP->VENUE"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn misspelled_setting_names_file_line_and_nearest_key() {
    let dir = workdir("typo");
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 5001\n\n[[SESSION]]\nBeginString = \"FIX.4.4\"\nSenderCompID = \"A\"\nTargetCompID = \"B\"\nResetOnLogin = true\n",
    )
    .unwrap();
    let output = emp(&["acceptor", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let (_, err) = text(&output);
    assert!(
        err.contains("bad.toml:9: unknown setting ResetOnLogin; did you mean ResetOnLogon?"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn acceptor_tls_mistakes_name_the_file_and_the_fix() {
    let dir = workdir("tls");
    std::fs::write(dir.join("server.pem"), "not a certificate\n").unwrap();
    std::fs::write(dir.join("server.key"), "not a key\n").unwrap();
    let path = dir.join("tls.toml");
    let settings = "[DEFAULT]\nConnectionType = \"acceptor\"\nSocketAcceptPort = 5001\nSenderCompID = \"A\"\nUseDataDictionary = false\nNonStopSession = true\nSocketUseSSL = \"Y\"\nServerCertificateFile = \"server.pem\"\nServerCertificateKeyFile = \"server.key\"\n\n[[SESSION]]\nBeginString = \"FIX.4.4\"\nTargetCompID = \"B\"\n";
    std::fs::write(&path, settings).unwrap();
    let output = emp(&["acceptor", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let (_, err) = text(&output);
    assert!(
        err.contains("setting up TLS for the acceptor: ServerCertificateFile ")
            && err.contains("server.pem: holds no certificate"),
        "{err}"
    );

    // Sessions on one port share TLS.
    std::fs::write(
        &path,
        format!("{settings}\n[[SESSION]]\nBeginString = \"FIX.4.4\"\nTargetCompID = \"C\"\nSocketUseSSL = \"N\"\n"),
    )
    .unwrap();
    let output = emp(&["acceptor", "--config", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let (_, err) = text(&output);
    assert!(
        err.contains("tls.toml:15: session FIX.4.4:A->C has other TLS settings than session FIX.4.4:A->B (line 11)"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn status_and_reset_work_on_a_file_store() {
    let dir = workdir("file-store");
    let settings = write_settings(&dir);
    let text_settings = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text_settings.replace(
            "FileStorePath = \"store\"\n",
            "FileStorePath = \"store\"\nStoreType = \"file\"\nStoreDurability = \"os\"\n",
        ),
    )
    .unwrap();
    let config = settings.to_str().unwrap();
    {
        let now = Timestamp::from_unix_nanos(1_763_700_000_000_000_000);
        let path = dir.join("store/FIX.4.4-EMP-VENUE.log");
        let mut store = FileStore::open(&path, Durability::Os, now).unwrap();
        store.store_outbound(1, b"first").unwrap();
        store.set_next_target_seq(4).unwrap();
        store.commit().unwrap();
    }
    let status = emp(&[
        "session",
        "status",
        "--config",
        config,
        "--session",
        "VENUE",
    ]);
    let (out, err) = text(&status);
    assert!(
        out.contains("next sender seq   2")
            && out.contains("next target seq   4")
            && out.contains("FIX.4.4-EMP-VENUE.log"),
        "{out}{err}"
    );
    let reset = emp(&["session", "reset", "--config", config, "--session", "VENUE"]);
    let (out, err) = text(&reset);
    assert!(
        out.contains("next sender seq   1") && out.contains("stored messages   0"),
        "{out}{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_folders_store_is_read_and_repaired_by_its_path() {
    let dir = workdir("store-path");
    let path = dir.join("FIX.4.4-EMP-VENUE.store");
    let path_text = path.to_str().unwrap();

    // A missing store: status and reset refuse, set-seq creates it.
    let (_, err) = text(&emp(&["session", "status", "--store", path_text]));
    assert!(err.contains("no such message store"), "{err}");
    let output = emp(&[
        "session", "set-seq", "--store", path_text, "--sender", "42", "--target", "7",
    ]);
    let (out, err) = text(&output);
    assert!(output.status.success(), "{err}");
    assert!(out.contains("next sender seq   42"), "{out}");
    assert!(out.contains("next target seq   7"), "{out}");

    let store = FileStore::open(&path, Durability::Os, Timestamp::from_unix_nanos(1)).unwrap();
    assert_eq!((store.next_sender_seq(), store.next_target_seq()), (42, 7));
    drop(store);

    let output = emp(&["session", "reset", "--store", path_text]);
    let (out, err) = text(&output);
    assert!(output.status.success(), "{err}");
    assert!(out.contains("next sender seq   1"), "{out}");

    // --store and --config exclude each other; one of them is needed.
    assert!(
        !emp(&["session", "status", "--store", path_text, "--config", "x"])
            .status
            .success()
    );
    assert!(!emp(&["session", "status"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
