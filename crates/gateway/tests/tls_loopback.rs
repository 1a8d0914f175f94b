//! Our initiator and our acceptor over TLS on loopback, with certificates
//! made by the test: orders answered over TLS, mutual TLS with and without
//! a client certificate, a server certificate from an unknown CA, and a
//! plaintext client at a TLS port. Also the errors of unusable
//! certificate and key files.
#![allow(clippy::unwrap_used, reason = "test code")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::Venue;
use gateway::fix::session::{Role, Session, SessionConfig, SessionEvent, SessionId};
use gateway::fix::settings::{self, ClientTlsSettings, ServerTlsSettings, TlsSettings};
use gateway::fix::store::MemStore;
use gateway::transport::acceptor::Acceptor;
use gateway::transport::connection::SessionHost;
use gateway::transport::initiator::{self, InitiatorOptions, InitiatorTls};
use gateway::transport::log::SessionLog;
use gateway::transport::tls::{self, TlsError};
use gateway::transport::{Application, BoxStore, wall_clock};
use model::Timestamp;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

const ORDERS: usize = 20;

/// Longest wait for something that should happen; refusals are expected
/// well within it.
const PATIENCE: Duration = Duration::from_secs(10);

/// A CA, a server and a client certificate signed by it, and a second CA
/// that signed nothing we use, as PEM files in a temporary folder.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca = certificate_authority("EMP test CA");
        let other_ca = certificate_authority("Some other CA");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("other-ca.pem"), other_ca.pem()).unwrap();
        for (name, purpose) in [
            ("server", ExtendedKeyUsagePurpose::ServerAuth),
            ("client", ExtendedKeyUsagePurpose::ClientAuth),
        ] {
            let mut params =
                CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                    .unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.key_usages.push(KeyUsagePurpose::DigitalSignature);
            params.extended_key_usages.push(purpose);
            let key = KeyPair::generate().unwrap();
            let certificate = params.signed_by(&key, &ca).unwrap();
            std::fs::write(dir.path().join(format!("{name}.pem")), certificate.pem()).unwrap();
            std::fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// TLS settings read from a settings file in the folder, so the PEM
    /// files are found by relative paths.
    fn settings(&self, session: &str) -> TlsSettings {
        let text = format!(
            "[DEFAULT]\nBeginString = \"FIX.4.4\"\nUseDataDictionary = \"N\"\nSocketUseSSL = \"Y\"\nNonStopSession = true\n[[SESSION]]\n{session}"
        );
        let sessions = settings::parse(&text, &self.path("emp.toml")).unwrap();
        sessions[0].tls.clone().unwrap()
    }

    fn server(&self, extra: &str) -> ServerTlsSettings {
        let session = format!(
            "ConnectionType = \"acceptor\"\nSocketAcceptPort = 1\nSenderCompID = \"VENUE\"\nTargetCompID = \"TRADER\"\nServerCertificateFile = \"server.pem\"\nServerCertificateKeyFile = \"server.key\"\n{extra}"
        );
        match self.settings(&session) {
            TlsSettings::Server(server) => server,
            TlsSettings::Client(_) => unreachable!("an acceptor's settings"),
        }
    }

    fn client(&self, extra: &str) -> ClientTlsSettings {
        let session = format!(
            "ConnectionType = \"initiator\"\nSocketConnectHost = \"127.0.0.1\"\nSocketConnectPort = 1\nHeartBtInt = 30\nSenderCompID = \"TRADER\"\nTargetCompID = \"VENUE\"\n{extra}"
        );
        match self.settings(&session) {
            TlsSettings::Client(client) => client,
            TlsSettings::Server(_) => unreachable!("an initiator's settings"),
        }
    }
}

fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    LoggedOn,
    AllAnswered,
}

/// Sends the orders at Logon and logs out when every one is answered,
/// telling the test what happened.
struct Trader {
    answered: usize,
    seen: mpsc::UnboundedSender<Seen>,
}

impl Application for Trader {
    fn on_event(&mut self, session: &mut Session<BoxStore>, now: Timestamp, event: SessionEvent) {
        match event {
            SessionEvent::LoggedOn => {
                let _ = self.seen.send(Seen::LoggedOn);
                for n in 0..ORDERS {
                    session
                        .send_app(now, b"D", &[], |body| {
                            body.str(11, format!("order-{n}").as_bytes()).char(54, b'1');
                        })
                        .unwrap();
                }
            }
            SessionEvent::App(_) => {
                self.answered += 1;
                if self.answered == ORDERS {
                    let _ = self.seen.send(Seen::AllAnswered);
                    session.logout(now, None);
                }
            }
            _ => {}
        }
    }
}

fn trader_config() -> SessionConfig {
    let mut config = SessionConfig::new(
        SessionId::new("FIX.4.4", "TRADER", "VENUE"),
        Role::Initiator,
    );
    config.heartbeat_interval_secs = 30;
    config
}

fn trader() -> (SessionHost, mpsc::UnboundedReceiver<Seen>) {
    let (seen, events) = mpsc::unbounded_channel();
    let host = SessionHost::new(
        Session::new(trader_config(), Box::new(MemStore::new(wall_clock()))),
        Box::new(Trader { answered: 0, seen }),
    );
    (host, events)
}

/// The bytes of the trader's Logon, for clients driven by hand.
fn logon_bytes() -> Vec<u8> {
    let now = wall_clock();
    let mut session = Session::new(trader_config(), MemStore::new(now));
    session.connected(now);
    let mut wire = Vec::new();
    assert!(session.poll_transmit(&mut wire));
    wire
}

/// An acceptor for VENUE ← TRADER on a free loopback port.
async fn start_acceptor(tls: Option<Arc<ServerConfig>>) -> (u16, Arc<Acceptor>, JoinHandle<()>) {
    // Longer than any refusal should take, so a test sees the refusal and
    // not this timeout.
    let mut acceptor = Acceptor::new(PATIENCE);
    if let Some(config) = tls {
        acceptor = acceptor.with_tls(config);
    }
    let config = SessionConfig::new(SessionId::new("FIX.4.4", "VENUE", "TRADER"), Role::Acceptor);
    acceptor.add(SessionHost::new(
        Session::new(config, Box::new(MemStore::new(wall_clock()))),
        Box::new(Venue),
    ));
    let acceptor = Arc::new(acceptor);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let serving = tokio::spawn({
        let acceptor = Arc::clone(&acceptor);
        async move {
            let _ = acceptor.serve(listener).await;
        }
    });
    (port, acceptor, serving)
}

fn options(port: u16, tls: Option<InitiatorTls>) -> InitiatorOptions {
    InitiatorOptions {
        host: "127.0.0.1".into(),
        port,
        reconnect_interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        tls,
    }
}

/// The acceptor's session once it is idle again: (next sender, next
/// target) sequence numbers.
async fn venue_sequences(acceptor: &Acceptor) -> (u64, u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(idle) = acceptor.idle_sessions().first() {
            return (idle.next_sender_seq, idle.next_target_seq);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the venue session never became idle"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs the trader over `tls` until every order is answered, and checks
/// both sides counted Logon, the orders and Logout.
async fn orders_are_answered(port: u16, acceptor: &Acceptor, tls: InitiatorTls) {
    let (host, mut seen) = trader();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(initiator::run(host, options(port, Some(tls)), stopped));
    for expected in [Seen::LoggedOn, Seen::AllAnswered] {
        let event = tokio::time::timeout(PATIENCE, seen.recv()).await.unwrap();
        assert_eq!(event, Some(expected));
    }
    // The Logout exchange ends the connection and gives the session back.
    let sequences = venue_sequences(acceptor).await;
    stop.send(true).unwrap();
    let host = tokio::time::timeout(PATIENCE, running)
        .await
        .unwrap()
        .unwrap();
    let after = 1 + ORDERS as u64 + 1 + 1;
    assert_eq!(host.session.next_sender_seq(), after);
    assert_eq!(sequences, (after, after));
}

/// Reads what the server sends until it closes the connection (or fails
/// it), within [`PATIENCE`].
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return received,
            Ok(Ok(len)) => received.extend_from_slice(&chunk[..len]),
            Err(_) => panic!("the acceptor kept the connection open"),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_initiator_and_acceptor_log_on_and_exchange_orders() {
    let pki = Pki::new();
    let server = tls::server_config(&pki.server("")).unwrap();
    let (port, acceptor, serving) = start_acceptor(Some(server)).await;
    // Connect to 127.0.0.1 but verify the certificate's DNS name.
    let client = pki.client(
        "CertificateAuthoritiesFile = \"ca.pem\"\nSSLServerName = \"localhost\"\nSSLProtocol = \"+TLSv1.2 +TLSv1.3\"\n",
    );
    assert_eq!(client.server_name, "localhost");
    orders_are_answered(port, &acceptor, tls::initiator(&client).unwrap()).await;
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_2_alone_works_too() {
    let pki = Pki::new();
    let server = tls::server_config(&pki.server("SSLProtocol = \"TLSv1.2\"\n")).unwrap();
    let (port, acceptor, serving) = start_acceptor(Some(server)).await;
    let client = pki.client("CertificateAuthoritiesFile = \"ca.pem\"\n");
    orders_are_answered(port, &acceptor, tls::initiator(&client).unwrap()).await;
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_admits_a_client_certificate_and_refuses_a_client_without_one() {
    let pki = Pki::new();
    let server =
        pki.server("CertificateAuthoritiesFile = \"ca.pem\"\nCertificateVerifyLevel = 1\n");
    assert_eq!(server.client_authorities, Some(pki.path("ca.pem")));
    let (port, acceptor, serving) =
        start_acceptor(Some(tls::server_config(&server).unwrap())).await;

    let with_certificate = pki.client(
        "CertificateAuthoritiesFile = \"ca.pem\"\nClientCertificateFile = \"client.pem\"\nClientCertificateKeyFile = \"client.key\"\n",
    );
    orders_are_answered(port, &acceptor, tls::initiator(&with_certificate).unwrap()).await;
    let before = venue_sequences(&acceptor).await;

    // Without a certificate: with TLS 1.3 the client may finish its side
    // of the handshake before the server refuses, so send a Logon anyway
    // and see the connection closed without an answer.
    let without = tls::initiator(&pki.client("CertificateAuthoritiesFile = \"ca.pem\"\n")).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(without.config);
    if let Ok(mut stream) = connector.connect(without.server_name, tcp).await {
        let _ = stream.write_all(&logon_bytes()).await;
        let received = read_until_closed(&mut stream).await;
        assert!(!contains(&received, b"8=FIX"), "answered: {received:?}");
    }
    assert_eq!(
        venue_sequences(&acceptor).await,
        before,
        "no Logon got through"
    );
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initiator_with_the_wrong_ca_fails_the_handshake_and_never_logs_on() {
    let pki = Pki::new();
    let server = tls::server_config(&pki.server("")).unwrap();
    let (port, acceptor, serving) = start_acceptor(Some(server)).await;
    let client = pki.client("CertificateAuthoritiesFile = \"other-ca.pem\"\n");

    let (mut host, mut seen) = trader();
    let log = SessionLog::open(pki.dir.path(), &host.session.config().id).unwrap();
    host.log = Some(log.clone());
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(initiator::run(
        host,
        options(port, Some(tls::initiator(&client).unwrap())),
        stopped,
    ));
    // Two failed handshakes in the event log: the failure is logged and
    // retried after the backoff, like a failed connect.
    let events = pki.path("FIX.4.4-TRADER-VENUE.event.current.log");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let failures = loop {
        log.flush();
        let text = std::fs::read_to_string(&events).unwrap_or_default();
        let failures: Vec<String> = text
            .lines()
            .filter(|line| line.contains("TLS handshake with 127.0.0.1"))
            .map(str::to_owned)
            .collect();
        if failures.len() >= 2 {
            break failures;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed handshakes logged: {text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(
        failures[0].contains("UnknownIssuer"),
        "the log says why: {}",
        failures[0]
    );
    stop.send(true).unwrap();
    let host = tokio::time::timeout(PATIENCE, running)
        .await
        .unwrap()
        .unwrap();
    assert!(seen.try_recv().is_err(), "the trader never logged on");
    assert_eq!(host.session.next_sender_seq(), 1, "no Logon was sent");
    assert_eq!(venue_sequences(&acceptor).await, (1, 1));
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_client_is_refused_by_a_tls_acceptor() {
    let pki = Pki::new();
    let server = tls::server_config(&pki.server("")).unwrap();
    let (port, acceptor, serving) = start_acceptor(Some(server)).await;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(&logon_bytes()).await.unwrap();
    let received = read_until_closed(&mut stream).await;
    assert!(!contains(&received, b"8=FIX"), "answered: {received:?}");
    assert_eq!(venue_sequences(&acceptor).await, (1, 1));
    serving.abort();
}

/// Writes `text` to `name` in the folder and returns its path.
fn write(pki: &Pki, name: &str, text: &str) -> PathBuf {
    let path = pki.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn server_files(certificate: &Path, key: &Path) -> ServerTlsSettings {
    ServerTlsSettings {
        versions: settings::TlsVersions::default(),
        certificate: certificate.to_owned(),
        key: key.to_owned(),
        client_authorities: None,
    }
}

#[test]
fn unusable_files_are_errors_naming_the_setting_and_the_file() {
    let pki = Pki::new();
    let not_pem = write(&pki, "not-pem.pem", "this is not a certificate\n");
    let broken = write(&pki, "broken.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
    let cases: [(ServerTlsSettings, &str); 5] = [
        (
            server_files(&pki.path("gone.pem"), &pki.path("server.key")),
            "ServerCertificateFile",
        ),
        (
            server_files(&not_pem, &pki.path("server.key")),
            "holds no certificate",
        ),
        (
            server_files(&broken, &pki.path("server.key")),
            "is not valid PEM",
        ),
        (
            server_files(&pki.path("server.pem"), &pki.path("server.pem")),
            "ServerCertificateKeyFile",
        ),
        (
            server_files(&pki.path("server.pem"), &pki.path("client.key")),
            "is not the private key of the certificate",
        ),
    ];
    for (settings, expected) in cases {
        let error = tls::server_config(&settings).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(expected), "{text}\nexpected: {expected}");
        let named = [&settings.certificate, &settings.key]
            .iter()
            .any(|path| text.contains(&path.display().to_string()));
        assert!(named, "{text} names the file");
    }
    let error = tls::server_config(&server_files(
        &pki.path("server.pem"),
        &pki.path("client.key"),
    ))
    .unwrap_err();
    assert!(matches!(error, TlsError::KeyMismatch { .. }), "{error:?}");
}
