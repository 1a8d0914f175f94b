//! Session settings files: `sessions/*.toml` with QuickFIX's setting names.
//!
//! A `[DEFAULT]` table holds settings every session shares; each
//! `[[SESSION]]` table is one session and overrides the defaults:
//!
//! ```toml
//! [DEFAULT]
//! ConnectionType = "acceptor"
//! SocketAcceptPort = 9876
//! SenderCompID = "EMP"
//! DataDictionary = "../specs/FIX44.xml"
//!
//! [[SESSION]]
//! BeginString = "FIX.4.4"
//! TargetCompID = "CLIENT1"
//! ```
//!
//! Values are TOML strings, integers or booleans (`"Y"`/`"N"` work for
//! booleans too). Relative paths are taken from the settings file's folder.
//! An unknown or misspelled key is an error naming the file, the line and
//! the nearest valid key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::codec::TimestampPrecision;
use super::dict::{Dictionary, ShippedDictionary};
use super::session::{
    Role, ScheduleError, SessionConfig, SessionDays, SessionId, SessionSchedule, SessionTimeZone,
    TimeOfDay,
};
use super::store::{Durability, StoreKind};

/// Every key a settings file may use, with what it means.
pub const KEYS: &[(&str, &str)] = &[
    ("ConnectionType", "\"initiator\" or \"acceptor\""),
    ("BeginString", "FIX.4.2, FIX.4.4 or FIXT.1.1"),
    ("SenderCompID", "our CompID (49)"),
    ("TargetCompID", "the counterparty's CompID (56)"),
    (
        "SenderSubID",
        "our SubID (50), sent on every message; an acceptor also routes by it (their TargetSubID)",
    ),
    (
        "TargetSubID",
        "the counterparty's SubID (57), sent on every message",
    ),
    (
        "DefaultApplVerID",
        "FIXT: ApplVerID of application messages, e.g. 9 or FIX.5.0SP2",
    ),
    ("HeartBtInt", "heartbeat interval in seconds (initiators)"),
    ("SocketConnectHost", "host an initiator connects to"),
    ("SocketConnectPort", "port an initiator connects to"),
    ("SocketAcceptPort", "port an acceptor listens on"),
    (
        "SocketAcceptAddress",
        "address an acceptor listens on (default 0.0.0.0)",
    ),
    (
        "ReconnectInterval",
        "seconds between an initiator's reconnect attempts (base of the backoff)",
    ),
    (
        "NonStopSession",
        "Y: always in session; otherwise StartTime and EndTime are required",
    ),
    (
        "StartTime",
        "HH:MM:SS a session period starts (its sequence numbers reset)",
    ),
    ("EndTime", "HH:MM:SS a session period ends (Logout)"),
    (
        "StartDay",
        "weekly session: day it starts, e.g. Sun (with EndDay)",
    ),
    (
        "EndDay",
        "weekly session: day it ends, e.g. Fri (with StartDay)",
    ),
    (
        "Weekdays",
        "daily session on these days only, e.g. \"Mon,Tue,Wed,Thu,Fri\"",
    ),
    (
        "TimeZone",
        "IANA zone of StartTime/EndTime, e.g. America/New_York (default UTC)",
    ),
    (
        "UseLocalTime",
        "Y: StartTime/EndTime in this machine's zone, read at load",
    ),
    ("LogonTimeout", "seconds to wait for a Logon answer"),
    ("LogoutTimeout", "seconds to wait for a Logout answer"),
    ("ResetOnLogon", "reset sequence numbers at every Logon"),
    ("ResetOnLogout", "reset sequence numbers after a Logout"),
    (
        "ResetOnDisconnect",
        "reset sequence numbers after a disconnect",
    ),
    (
        "SendRedundantResendRequests",
        "ask again for a gap already asked for",
    ),
    ("CheckCompID", "check the CompIDs of every message"),
    ("CheckLatency", "check SendingTime against MaxLatency"),
    (
        "MaxLatency",
        "seconds SendingTime may differ from our clock",
    ),
    (
        "UseDataDictionary",
        "validate messages against a dictionary",
    ),
    ("DataDictionary", "dictionary file for FIX.4.x sessions"),
    ("TransportDataDictionary", "FIXT transport dictionary file"),
    ("AppDataDictionary", "FIXT application dictionary file"),
    (
        "ValidateFieldsOutOfOrder",
        "header, body and trailer fields in order",
    ),
    ("ValidateFieldsHaveValues", "reject empty values"),
    (
        "ValidateUserDefinedFields",
        "check tags 5000+ against the dictionary",
    ),
    ("ValidateLengthAndChecksum", "check BodyLength and CheckSum"),
    ("AllowUnknownMsgFields", "accept undefined tags below 5000"),
    (
        "TimestampPrecision",
        "fraction digits of SendingTime: 0, 3, 6 or 9",
    ),
    ("PersistMessages", "keep sent messages for resends"),
    (
        "ResendRequestChunkSize",
        "largest ResendRequest range; 0 for all at once",
    ),
    (
        "EnableNextExpectedMsgSeqNum",
        "send and honour NextExpectedMsgSeqNum (789)",
    ),
    ("FileStorePath", "folder of the message stores"),
    (
        "StoreType",
        "\"redb\" (default) or \"file\" (append-only log) under FileStorePath",
    ),
    (
        "StoreDurability",
        "StoreType \"file\": \"fsync\" (default, survives power loss) or \"os\" (survives a process kill)",
    ),
    ("FileLogPath", "folder of the message and event logs"),
    ("Username", "Username (553) sent in our Logon"),
    ("Password", "Password (554) sent in our Logon"),
    ("MaxMessageSize", "largest message accepted, in bytes"),
    (
        "SocketUseSSL",
        "Y: TLS on the connection (an acceptor's sessions on one port must agree)",
    ),
    (
        "SSLProtocol",
        "TLS versions allowed, e.g. \"+TLSv1.2 +TLSv1.3\" (the default) or \"TLSv1.3\"",
    ),
    (
        "ServerCertificateFile",
        "acceptor: our certificate chain in PEM, leaf first",
    ),
    (
        "ServerCertificateKeyFile",
        "acceptor: the private key of ServerCertificateFile in PEM",
    ),
    (
        "CertificateAuthoritiesFile",
        "CA certificates in PEM that verify the server (initiator) or client certificates (acceptor)",
    ),
    (
        "CertificateVerifyLevel",
        "acceptor: 0 no client certificate, 1 require one issued by CertificateAuthoritiesFile",
    ),
    (
        "ClientCertificateFile",
        "initiator: our certificate chain in PEM, for mutual TLS",
    ),
    (
        "ClientCertificateKeyFile",
        "initiator: the private key of ClientCertificateFile in PEM",
    ),
    (
        "SSLServerName",
        "initiator: name the server's certificate must carry, sent as SNI (default SocketConnectHost)",
    ),
];

/// A settings file could not be used. The message names the file, the line
/// and what to change.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {problem}")]
pub struct SettingsError {
    /// The settings file.
    pub path: String,
    /// 1-based line of the problem (0 when it concerns the whole file).
    pub line: usize,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// How a session's connection is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// We connect to `host:port`.
    Initiator {
        /// SocketConnectHost.
        host: String,
        /// SocketConnectPort.
        port: u16,
        /// ReconnectInterval in seconds.
        reconnect_interval_secs: u32,
    },
    /// We listen on `address:port`.
    Acceptor {
        /// SocketAcceptAddress.
        address: String,
        /// SocketAcceptPort.
        port: u16,
    },
}

/// TLS of a session's connection (SocketUseSSL = Y), from which
/// [`crate::transport::tls`] builds the rustls configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSettings {
    /// An acceptor's side of TLS.
    Server(ServerTlsSettings),
    /// An initiator's side of TLS.
    Client(ClientTlsSettings),
}

/// The TLS versions a connection may use (SSLProtocol). Older versions
/// are refused when settings are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsVersions {
    /// TLS 1.2.
    pub tls12: bool,
    /// TLS 1.3.
    pub tls13: bool,
}

impl Default for TlsVersions {
    /// Both TLS 1.2 and 1.3, as when SSLProtocol is not set.
    fn default() -> Self {
        Self {
            tls12: true,
            tls13: true,
        }
    }
}

/// An acceptor's TLS: the certificate it presents and, for mutual TLS, the
/// authorities its clients' certificates must come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTlsSettings {
    /// SSLProtocol.
    pub versions: TlsVersions,
    /// ServerCertificateFile: certificate chain in PEM, leaf first.
    pub certificate: PathBuf,
    /// ServerCertificateKeyFile: its private key in PEM.
    pub key: PathBuf,
    /// CertificateAuthoritiesFile when CertificateVerifyLevel = 1: clients
    /// must present a certificate issued by one of these; `None` asks for
    /// no client certificate.
    pub client_authorities: Option<PathBuf>,
}

/// An initiator's TLS: how it verifies the server, and its own
/// certificate for mutual TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTlsSettings {
    /// SSLProtocol.
    pub versions: TlsVersions,
    /// CertificateAuthoritiesFile: the server's certificate must chain to
    /// one of these.
    pub authorities: PathBuf,
    /// ClientCertificateFile and ClientCertificateKeyFile, for mutual TLS.
    pub certificate: Option<CertificateFiles>,
    /// SSLServerName, else SocketConnectHost: the name the server's
    /// certificate must carry, also sent as SNI.
    pub server_name: String,
}

/// A certificate chain and its private key, both PEM files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateFiles {
    /// The certificate chain, leaf first.
    pub certificate: PathBuf,
    /// The private key of the leaf certificate.
    pub key: PathBuf,
}

/// One session's settings: the core configuration and what the driver
/// needs around it.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// The sans-IO core's configuration.
    pub config: SessionConfig,
    /// Initiator or acceptor, and where.
    pub connection: Connection,
    /// FileStorePath, when messages are stored on disk.
    pub store_path: Option<PathBuf>,
    /// StoreType and StoreDurability: which store FileStorePath holds.
    pub store_kind: StoreKind,
    /// FileLogPath, when messages and events are logged to files.
    pub log_path: Option<PathBuf>,
    /// TLS when SocketUseSSL is on; plain TCP when `None`.
    pub tls: Option<TlsSettings>,
    /// Line of the session's table in the settings file.
    pub line: usize,
}

impl SessionSettings {
    /// The store file of this session under FileStorePath:
    /// `<BeginString>-<SenderCompID>-<TargetCompID>.redb` (or `.log` for
    /// StoreType "file"), as QuickFIX names its store files; with SubIDs as
    /// [`SessionId::file_stem`] writes them, so sessions that differ only
    /// by SubID keep separate files.
    pub fn store_file(&self) -> Option<PathBuf> {
        let id = &self.config.id;
        let extension = match self.store_kind {
            StoreKind::Redb => "redb",
            StoreKind::File(_) => "log",
        };
        self.store_path
            .as_ref()
            .map(|dir| dir.join(format!("{}.{extension}", id.file_stem())))
    }
}

/// Reads a settings file.
pub fn load(path: &Path) -> Result<Vec<SessionSettings>, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|error| SettingsError {
        path: path.display().to_string(),
        line: 0,
        problem: format!("cannot read settings file: {error}"),
    })?;
    parse(&text, path)
}

/// Parses settings `text` read from `path` (used for messages and to
/// resolve relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Vec<SessionSettings>, SettingsError> {
    let file = SettingsFile { text, path };
    let root = DeTable::parse(text).map_err(|error| {
        file.error(
            error.span().map_or(0, |span| span.start),
            format!("not valid TOML: {}", error.message()),
        )
    })?;
    let mut defaults: Vec<Entry> = Vec::new();
    let mut sessions: Vec<(usize, Vec<Entry>)> = Vec::new();
    for (key, value) in root.get_ref() {
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("DEFAULT", DeValue::Table(table)) => defaults = file.entries(table)?,
            ("SESSION", DeValue::Array(array)) => {
                for item in array {
                    let DeValue::Table(table) = item.get_ref() else {
                        return Err(file.error(
                            item.span().start,
                            "each [[SESSION]] must be a table".to_owned(),
                        ));
                    };
                    sessions.push((file.line_of(item.span().start), file.entries(table)?));
                }
            }
            ("SESSION", _) => {
                return Err(file.error(
                    key.span().start,
                    "write sessions as [[SESSION]] tables".to_owned(),
                ));
            }
            (name, _) => {
                return Err(file.error(
                    key.span().start,
                    format!("unknown table [{name}]; a settings file has [DEFAULT] and [[SESSION]] tables"),
                ));
            }
        }
    }
    if sessions.is_empty() {
        return Err(file.error(0, "no [[SESSION]] table: add one per session".to_owned()));
    }
    sessions
        .into_iter()
        .map(|(line, entries)| file.session(line, &defaults, &entries))
        .collect()
}

/// One `Key = value` with where it was written.
#[derive(Clone)]
struct Entry {
    key: String,
    value: Value,
    offset: usize,
}

#[derive(Clone)]
enum Value {
    Text(String),
    Integer(i64),
    Bool(bool),
}

struct SettingsFile<'a> {
    text: &'a str,
    path: &'a Path,
}

impl SettingsFile<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn error(&self, offset: usize, problem: String) -> SettingsError {
        SettingsError {
            path: self.path.display().to_string(),
            line: if offset == 0 && problem.starts_with("no [[SESSION]]") {
                0
            } else {
                self.line_of(offset)
            },
            problem,
        }
    }

    fn entries(&self, table: &DeTable<'_>) -> Result<Vec<Entry>, SettingsError> {
        let mut entries = Vec::new();
        for (key, value) in table {
            let name: &str = key.get_ref();
            if !KEYS.iter().any(|(known, _)| *known == name) {
                let hint = nearest_key(name)
                    .map(|near| format!("; did you mean {near}?"))
                    .unwrap_or_default();
                return Err(self.error(key.span().start, format!("unknown setting {name}{hint}")));
            }
            let value = match value.get_ref() {
                DeValue::String(text) => Value::Text(text.to_string()),
                DeValue::Integer(integer) => match integer.as_str().parse::<i64>() {
                    Ok(number) if integer.radix() == 10 => Value::Integer(number),
                    _ => {
                        return Err(self.error(
                            value.span().start,
                            format!("{name}: write the number in decimal"),
                        ));
                    }
                },
                DeValue::Boolean(flag) => Value::Bool(*flag),
                // A TOML local time (`StartTime = 08:00:00`) reads as its text.
                DeValue::Datetime(at) if at.date.is_none() && at.offset.is_none() => {
                    Value::Text(at.to_string())
                }
                _ => {
                    return Err(self.error(
                        value.span().start,
                        format!("{name}: expected a string, an integer or a boolean"),
                    ));
                }
            };
            entries.push(Entry {
                key: name.to_owned(),
                value,
                offset: key.span().start,
            });
        }
        Ok(entries)
    }

    fn session(
        &self,
        line: usize,
        defaults: &[Entry],
        own: &[Entry],
    ) -> Result<SessionSettings, SettingsError> {
        let lookup = Lookup {
            file: self,
            defaults,
            own,
            line,
        };
        let begin_string = lookup.required_text("BeginString")?;
        let sender = lookup.required_text("SenderCompID")?;
        let target = lookup.required_text("TargetCompID")?;
        let sender_sub_id = lookup.text("SenderSubID")?;
        let target_sub_id = lookup.text("TargetSubID")?;
        let id = SessionId::new(&begin_string, &sender, &target)
            .with_sub_ids(sender_sub_id.as_deref(), target_sub_id.as_deref());
        let role = match lookup.required_text("ConnectionType")?.as_str() {
            "initiator" => Role::Initiator,
            "acceptor" => Role::Acceptor,
            other => {
                return Err(lookup.invalid(
                    "ConnectionType",
                    &format!("{other:?} is neither \"initiator\" nor \"acceptor\""),
                ));
            }
        };
        let mut config = SessionConfig::new(id, role);
        let connection = match role {
            Role::Initiator => Connection::Initiator {
                host: lookup.required_text("SocketConnectHost")?,
                port: lookup.port("SocketConnectPort")?,
                reconnect_interval_secs: lookup.uint("ReconnectInterval")?.unwrap_or(30) as u32,
            },
            Role::Acceptor => Connection::Acceptor {
                address: lookup
                    .text("SocketAcceptAddress")?
                    .unwrap_or_else(|| "0.0.0.0".to_owned()),
                port: lookup.port("SocketAcceptPort")?,
            },
        };
        let tls = lookup.tls(&connection)?;
        if role == Role::Initiator {
            config.heartbeat_interval_secs = lookup.required_uint("HeartBtInt")? as u32;
        }
        macro_rules! flag {
            ($key:literal, $field:expr) => {
                if let Some(value) = lookup.bool($key)? {
                    $field = value;
                }
            };
        }
        flag!("ResetOnLogon", config.reset_on_logon);
        flag!("ResetOnLogout", config.reset_on_logout);
        flag!("ResetOnDisconnect", config.reset_on_disconnect);
        flag!(
            "SendRedundantResendRequests",
            config.send_redundant_resend_requests
        );
        flag!("CheckCompID", config.check_comp_id);
        flag!("CheckLatency", config.check_latency);
        flag!("PersistMessages", config.persist_messages);
        flag!(
            "ValidateLengthAndChecksum",
            config.validate_length_and_checksum
        );
        flag!(
            "ValidateFieldsOutOfOrder",
            config.validation.fields_out_of_order
        );
        flag!(
            "ValidateFieldsHaveValues",
            config.validation.fields_have_values
        );
        flag!(
            "ValidateUserDefinedFields",
            config.validation.user_defined_fields
        );
        flag!(
            "AllowUnknownMsgFields",
            config.validation.allow_unknown_message_fields
        );
        flag!(
            "EnableNextExpectedMsgSeqNum",
            config.enable_next_expected_msg_seq_num
        );
        if let Some(secs) = lookup.uint("MaxLatency")? {
            config.max_latency_secs = secs as u32;
        }
        if let Some(secs) = lookup.uint("LogonTimeout")? {
            config.logon_timeout_secs = secs as u32;
        }
        if let Some(secs) = lookup.uint("LogoutTimeout")? {
            config.logout_timeout_secs = secs as u32;
        }
        if let Some(size) = lookup.uint("ResendRequestChunkSize")? {
            config.resend_request_chunk_size = size;
        }
        if let Some(size) = lookup.uint("MaxMessageSize")? {
            config.max_message_size = size as usize;
        }
        if let Some(digits) = lookup.uint("TimestampPrecision")? {
            config.timestamp_precision = TimestampPrecision::from_digits(digits as usize)
                .ok_or_else(|| lookup.invalid("TimestampPrecision", "use 0, 3, 6 or 9"))?;
        }
        config.username = lookup.text("Username")?;
        config.password = lookup.text("Password")?;
        if let Some(appl_ver_id) = lookup.text("DefaultApplVerID")? {
            config.default_appl_ver_id = Some(appl_ver_id_code(&appl_ver_id).to_owned());
        }
        if lookup.bool("UseDataDictionary")?.unwrap_or(true) {
            config.dictionary = Some(lookup.dictionary(&config.id)?);
        }
        config.schedule = lookup.schedule()?;
        Ok(SessionSettings {
            config,
            connection,
            store_path: lookup.path("FileStorePath")?,
            store_kind: lookup.store_kind()?,
            log_path: lookup.path("FileLogPath")?,
            tls,
            line,
        })
    }
}

/// A session's view: its own table over the defaults.
struct Lookup<'f, 'e> {
    file: &'f SettingsFile<'f>,
    defaults: &'e [Entry],
    own: &'e [Entry],
    line: usize,
}

impl Lookup<'_, '_> {
    fn find(&self, key: &str) -> Option<&Entry> {
        self.own
            .iter()
            .find(|entry| entry.key == key)
            .or_else(|| self.defaults.iter().find(|entry| entry.key == key))
    }

    fn invalid(&self, key: &str, why: &str) -> SettingsError {
        let offset = self.find(key).map_or(0, |entry| entry.offset);
        SettingsError {
            path: self.file.path.display().to_string(),
            line: if offset == 0 {
                self.line
            } else {
                self.file.line_of(offset)
            },
            problem: format!("{key}: {why}"),
        }
    }

    fn missing(&self, key: &str) -> SettingsError {
        SettingsError {
            path: self.file.path.display().to_string(),
            line: self.line,
            problem: format!("this session needs {key} (in [DEFAULT] or its [[SESSION]] table)"),
        }
    }

    fn text(&self, key: &str) -> Result<Option<String>, SettingsError> {
        match self.find(key).map(|entry| &entry.value) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text.clone())),
            Some(Value::Integer(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(_)) => Err(self.invalid(key, "expected text, not a boolean")),
        }
    }

    fn required_text(&self, key: &str) -> Result<String, SettingsError> {
        self.text(key)?.ok_or_else(|| self.missing(key))
    }

    fn uint(&self, key: &str) -> Result<Option<u64>, SettingsError> {
        match self.find(key).map(|entry| &entry.value) {
            None => Ok(None),
            Some(Value::Integer(number)) => u64::try_from(*number)
                .map(Some)
                .map_err(|_| self.invalid(key, "must not be negative")),
            Some(Value::Text(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| self.invalid(key, &format!("{text:?} is not a whole number"))),
            Some(Value::Bool(_)) => Err(self.invalid(key, "expected a number, not a boolean")),
        }
    }

    fn required_uint(&self, key: &str) -> Result<u64, SettingsError> {
        self.uint(key)?.ok_or_else(|| self.missing(key))
    }

    fn port(&self, key: &str) -> Result<u16, SettingsError> {
        let port = self.required_uint(key)?;
        u16::try_from(port)
            .map_err(|_| self.invalid(key, &format!("{port} is not a TCP port (0-65535)")))
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, SettingsError> {
        match self.find(key).map(|entry| &entry.value) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::Text(text)) => match text.as_str() {
                "Y" | "y" | "true" => Ok(Some(true)),
                "N" | "n" | "false" => Ok(Some(false)),
                _ => Err(self.invalid(
                    key,
                    &format!("{text:?} is not a boolean; use true/false or \"Y\"/\"N\""),
                )),
            },
            Some(Value::Integer(_)) => {
                Err(self.invalid(key, "expected a boolean (true/false or \"Y\"/\"N\")"))
            }
        }
    }

    fn path(&self, key: &str) -> Result<Option<PathBuf>, SettingsError> {
        Ok(self.text(key)?.map(|text| {
            let path = PathBuf::from(text);
            if path.is_absolute() {
                path
            } else {
                self.file.path.parent().unwrap_or(Path::new(".")).join(path)
            }
        }))
    }

    /// A path setting that must name an existing file.
    fn file(&self, key: &str) -> Result<Option<PathBuf>, SettingsError> {
        let Some(path) = self.path(key)? else {
            return Ok(None);
        };
        if !path.is_file() {
            let problem = if path.exists() {
                "is not a file"
            } else {
                "does not exist"
            };
            return Err(self.invalid(
                key,
                &format!(
                    "{} {problem}; give a PEM file (relative paths are taken from the settings file's folder)",
                    path.display()
                ),
            ));
        }
        Ok(Some(path))
    }

    fn required_file(&self, key: &str) -> Result<PathBuf, SettingsError> {
        self.file(key)?.ok_or_else(|| self.missing(key))
    }

    /// The TLS settings, checked for the session's role: every file named
    /// exists, and nothing silently weakens verification.
    fn tls(&self, connection: &Connection) -> Result<Option<TlsSettings>, SettingsError> {
        const SERVER_KEYS: [&str; 2] = ["ServerCertificateFile", "ServerCertificateKeyFile"];
        const CLIENT_KEYS: [&str; 3] = [
            "ClientCertificateFile",
            "ClientCertificateKeyFile",
            "SSLServerName",
        ];
        const SHARED_KEYS: [&str; 3] = [
            "SSLProtocol",
            "CertificateAuthoritiesFile",
            "CertificateVerifyLevel",
        ];
        let use_ssl = self.bool("SocketUseSSL")?;
        if use_ssl != Some(true) {
            // TLS keys without SocketUseSSL would look like TLS while the
            // connection is plain; an explicit "N" turns them off on purpose.
            if use_ssl.is_none()
                && let Some(key) = SERVER_KEYS
                    .iter()
                    .chain(&CLIENT_KEYS)
                    .chain(&SHARED_KEYS)
                    .find(|key| self.find(key).is_some())
            {
                return Err(self.invalid(
                    key,
                    "is a TLS setting but SocketUseSSL is not set; set SocketUseSSL = \"Y\" to use TLS (or \"N\" to keep the TLS settings unused)",
                ));
            }
            return Ok(None);
        }
        let (foreign_keys, role) = match connection {
            Connection::Acceptor { .. } => (&CLIENT_KEYS[..], "acceptor"),
            Connection::Initiator { .. } => (&SERVER_KEYS[..], "initiator"),
        };
        if let Some(key) = foreign_keys.iter().find(|key| self.find(key).is_some()) {
            return Err(self.invalid(
                key,
                &format!("does not apply to an {role}; remove it from this session"),
            ));
        }
        let versions = match self.text("SSLProtocol")? {
            Some(text) => tls_versions(&text).map_err(|why| self.invalid("SSLProtocol", &why))?,
            None => TlsVersions::default(),
        };
        let verify_level = match self.uint("CertificateVerifyLevel")? {
            None => None,
            Some(level @ (0 | 1)) => Some(level),
            Some(level) => {
                return Err(self.invalid(
                    "CertificateVerifyLevel",
                    &format!("{level} is not supported; use 0 (no client certificate) or 1 (require and verify one)"),
                ));
            }
        };
        let has_authorities = self.find("CertificateAuthoritiesFile").is_some();
        match connection {
            Connection::Acceptor { .. } => {
                let client_authorities = match (verify_level, has_authorities) {
                    (Some(1), true) => Some(self.required_file("CertificateAuthoritiesFile")?),
                    (Some(1), false) => {
                        return Err(self.invalid(
                            "CertificateVerifyLevel",
                            "1 needs CertificateAuthoritiesFile: the CA certificates in PEM that issue client certificates",
                        ));
                    }
                    (None, true) => {
                        return Err(self.invalid(
                            "CertificateAuthoritiesFile",
                            "is set but CertificateVerifyLevel is not; set CertificateVerifyLevel = 1 to require client certificates issued by it, or 0 to ask for none",
                        ));
                    }
                    _ => None,
                };
                Ok(Some(TlsSettings::Server(ServerTlsSettings {
                    versions,
                    certificate: self.required_file("ServerCertificateFile")?,
                    key: self.required_file("ServerCertificateKeyFile")?,
                    client_authorities,
                })))
            }
            Connection::Initiator { host, .. } => {
                if verify_level == Some(0) {
                    return Err(self.invalid(
                        "CertificateVerifyLevel",
                        "an initiator always verifies the server's certificate against CertificateAuthoritiesFile; remove CertificateVerifyLevel",
                    ));
                }
                let (name_key, server_name) = match self.text("SSLServerName")? {
                    Some(name) => ("SSLServerName", name),
                    None => ("SocketConnectHost", host.clone()),
                };
                if rustls::pki_types::ServerName::try_from(server_name.as_str()).is_err() {
                    return Err(self.invalid(
                        name_key,
                        &format!("{server_name:?} is not a DNS name or IP address to verify the server's certificate against; set SSLServerName to the name on the certificate"),
                    ));
                }
                let Some(authorities) = self.file("CertificateAuthoritiesFile")? else {
                    return Err(self.invalid(
                        "SocketUseSSL",
                        "a TLS initiator needs CertificateAuthoritiesFile: the CA certificates in PEM that verify the server's certificate (it is never accepted unverified)",
                    ));
                };
                let certificate = match (
                    self.file("ClientCertificateFile")?,
                    self.file("ClientCertificateKeyFile")?,
                ) {
                    (Some(certificate), Some(key)) => Some(CertificateFiles { certificate, key }),
                    (None, None) => None,
                    (Some(_), None) => return Err(self.missing("ClientCertificateKeyFile")),
                    (None, Some(_)) => return Err(self.missing("ClientCertificateFile")),
                };
                Ok(Some(TlsSettings::Client(ClientTlsSettings {
                    versions,
                    authorities,
                    certificate,
                    server_name,
                })))
            }
        }
    }

    /// The schedule, or `None` for NonStopSession = true. As in QuickFIX,
    /// a session without NonStopSession needs StartTime and EndTime, and
    /// one with it takes no schedule keys.
    fn schedule(&self) -> Result<Option<SessionSchedule>, SettingsError> {
        const SCHEDULE_KEYS: [&str; 5] = ["StartTime", "EndTime", "StartDay", "EndDay", "Weekdays"];
        if self.bool("NonStopSession")?.unwrap_or(false) {
            if let Some(key) = SCHEDULE_KEYS
                .into_iter()
                .find(|key| self.find(key).is_some())
            {
                return Err(self.invalid(
                    key,
                    "a NonStopSession has no schedule; remove this or set NonStopSession = false",
                ));
            }
            return Ok(None);
        }
        let (Some(start), Some(end)) = (self.text("StartTime")?, self.text("EndTime")?) else {
            return Err(SettingsError {
                path: self.file.path.display().to_string(),
                line: self.line,
                problem: "this session needs StartTime and EndTime (when it is in session), \
                          or NonStopSession = true to be in session at all times"
                    .to_owned(),
            });
        };
        let time = |key: &str, text: &str| {
            text.parse::<TimeOfDay>()
                .map_err(|error| self.invalid(key, &error.to_string()))
        };
        let (start, end) = (time("StartTime", &start)?, time("EndTime", &end)?);
        let day = |key: &str, text: &str| {
            text.parse()
                .map_err(|error: ScheduleError| self.invalid(key, &error.to_string()))
        };
        let days = match (
            self.text("StartDay")?,
            self.text("EndDay")?,
            self.text("Weekdays")?,
        ) {
            (None, None, None) => SessionDays::Daily,
            (None, None, Some(list)) => SessionDays::Weekdays(
                list.split(',')
                    .filter(|name| !name.trim().is_empty())
                    .map(|name| day("Weekdays", name))
                    .collect::<Result<_, _>>()?,
            ),
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(self.invalid(
                    "Weekdays",
                    "cannot be combined with StartDay/EndDay: Weekdays makes a daily session \
                     on those days, StartDay and EndDay a weekly one",
                ));
            }
            (Some(first), Some(last), None) => SessionDays::Weekly {
                start: day("StartDay", &first)?,
                end: day("EndDay", &last)?,
            },
            (Some(_), None, None) => {
                return Err(self.invalid("StartDay", "a weekly session needs EndDay too"));
            }
            (None, Some(_), None) => {
                return Err(self.invalid("EndDay", "a weekly session needs StartDay too"));
            }
        };
        let zone = match (self.text("TimeZone")?, self.bool("UseLocalTime")?) {
            (Some(_), Some(true)) => {
                return Err(self.invalid(
                    "UseLocalTime",
                    "set TimeZone or UseLocalTime = true, not both",
                ));
            }
            (Some(name), _) => SessionTimeZone::named(&name)
                .map_err(|error| self.invalid("TimeZone", &error.to_string()))?,
            (None, Some(true)) => SessionTimeZone::system()
                .map_err(|error| self.invalid("UseLocalTime", &error.to_string()))?,
            (None, _) => SessionTimeZone::utc(),
        };
        SessionSchedule::new(start, end, days, zone)
            .map(Some)
            .map_err(|error| self.invalid("Weekdays", &error.to_string()))
    }

    fn store_kind(&self) -> Result<StoreKind, SettingsError> {
        let durability = match self.text("StoreDurability")?.as_deref() {
            None => None,
            Some("fsync") => Some(Durability::Fsync),
            Some("os") => Some(Durability::Os),
            Some(other) => {
                return Err(self.invalid(
                    "StoreDurability",
                    &format!("{other:?}: use \"fsync\" or \"os\""),
                ));
            }
        };
        match (self.text("StoreType")?.as_deref(), durability) {
            (None | Some("redb"), Some(Durability::Os)) => Err(self.invalid(
                "StoreDurability",
                "\"os\" needs StoreType = \"file\" (the redb store always fsyncs)",
            )),
            (None | Some("redb"), _) => Ok(StoreKind::Redb),
            (Some("file"), durability) => Ok(StoreKind::File(durability.unwrap_or_default())),
            (Some(other), _) => {
                Err(self.invalid("StoreType", &format!("{other:?}: use \"redb\" or \"file\"")))
            }
        }
    }

    fn dictionary(&self, id: &SessionId) -> Result<Arc<Dictionary>, SettingsError> {
        let load_error =
            |key: &str, error: &dyn std::fmt::Display| self.invalid(key, &error.to_string());
        if id.is_fixt() {
            let transport = self.path("TransportDataDictionary")?;
            let app = self.path("AppDataDictionary")?;
            return match (transport, app) {
                (Some(transport), Some(app)) => Dictionary::from_fixt_files(&transport, &app)
                    .map(Arc::new)
                    .map_err(|error| load_error("AppDataDictionary", &error)),
                (None, None) => ShippedDictionary::Fixt11Fix50Sp2
                    .load()
                    .map_err(|error| load_error("BeginString", &error)),
                _ => Err(self.missing("both TransportDataDictionary and AppDataDictionary")),
            };
        }
        match self.path("DataDictionary")? {
            Some(path) => Dictionary::from_file(&path)
                .map(Arc::new)
                .map_err(|error| load_error("DataDictionary", &error)),
            None => ShippedDictionary::from_version(&id.begin_string)
                .ok_or_else(|| {
                    self.invalid(
                        "BeginString",
                        &format!(
                            "no dictionary is shipped for {}; set DataDictionary",
                            id.begin_string
                        ),
                    )
                })?
                .load()
                .map_err(|error| load_error("BeginString", &error)),
        }
    }
}

/// SSLProtocol as QuickFIX writes it: versions separated by spaces, each
/// optionally prefixed with `+` (allow) or `-` (deny); `all` is every
/// version allowed. A list starting with `-` starts from `all`.
fn tls_versions(text: &str) -> Result<TlsVersions, String> {
    let mut versions = TlsVersions {
        tls12: false,
        tls13: false,
    };
    for (index, token) in text.split_whitespace().enumerate() {
        let (allow, name) = match token.strip_prefix('-') {
            Some(name) => (false, name),
            None => (true, token.strip_prefix('+').unwrap_or(token)),
        };
        if index == 0 && !allow {
            versions = TlsVersions::default();
        }
        match name {
            "all" | "ALL" => {
                versions.tls12 = allow;
                versions.tls13 = allow;
            }
            "TLSv1.2" => versions.tls12 = allow,
            "TLSv1.3" => versions.tls13 = allow,
            "SSLv2" | "SSLv3" | "TLSv1" | "TLSv1.1" if allow => {
                return Err(format!(
                    "{name} is insecure and not supported; allow TLSv1.2 and/or TLSv1.3 only"
                ));
            }
            // Denying a version that is never offered is harmless.
            "SSLv2" | "SSLv3" | "TLSv1" | "TLSv1.1" => {}
            other => {
                return Err(format!(
                    "unknown protocol {other:?}; write e.g. \"+TLSv1.2 +TLSv1.3\" or \"TLSv1.3\""
                ));
            }
        }
    }
    if !versions.tls12 && !versions.tls13 {
        return Err(format!(
            "{text:?} allows no TLS version; allow TLSv1.2 and/or TLSv1.3"
        ));
    }
    Ok(versions)
}

/// ApplVerID (1128/1137) code for a version name, or the text as given.
fn appl_ver_id_code(text: &str) -> &str {
    match text {
        "FIX.2.7" => "0",
        "FIX.3.0" => "1",
        "FIX.4.0" => "2",
        "FIX.4.1" => "3",
        "FIX.4.2" => "4",
        "FIX.4.3" => "5",
        "FIX.4.4" => "6",
        "FIX.5.0" => "7",
        "FIX.5.0SP1" => "8",
        "FIX.5.0SP2" => "9",
        other => other,
    }
}

/// The known key closest to `name` (case-insensitive edit distance), when
/// close enough to be a likely misspelling.
fn nearest_key(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    KEYS.iter()
        .map(|(key, _)| (edit_distance(&lower, &key.to_ascii_lowercase()), *key))
        .min()
        .filter(|(distance, _)| *distance <= 3.max(name.len() / 3))
        .map(|(_, key)| key)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}
