//! A VNACCS client over HTTPS, as declarant software talks to the appliance:
//! used by the integration tests, the benchmarks, `outpost send` and the
//! load generator (`load/`).
//!
//! It trusts exactly one certificate (the appliance's self-signed one), so it
//! needs no CA and cannot be pointed at anything else by mistake.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONNECTION, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

use crate::tls::KnownPeer;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("certificate {0}")]
    Cert(String),
    #[error("connecting: {0}")]
    Io(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("request: {0}")]
    Request(String),
    #[error("server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
}

pub struct Client {
    addr: SocketAddr,
    connector: TlsConnector,
    keep_alive: bool,
    conn: Option<SendRequest<Full<Bytes>>>,
    source: Option<IpAddr>,
}

impl Client {
    /// `cert_pem`: the appliance's certificate. `keep_alive = false` opens a
    /// new TLS connection per message and sends `Connection: close`, as the
    /// official terminal does.
    pub fn new(addr: SocketAddr, cert_pem: &Path, keep_alive: bool) -> Result<Client, ClientError> {
        Client::with_identity(addr, cert_pem, keep_alive, None)
    }

    /// As `new`, presenting a client certificate (`cert`, `key` PEM files)
    /// for mutual TLS: how a site talks to the centre.
    pub fn with_identity(
        addr: SocketAddr,
        cert_pem: &Path,
        keep_alive: bool,
        identity: Option<(&Path, &Path)>,
    ) -> Result<Client, ClientError> {
        let cert = CertificateDer::from_pem_file(cert_pem)
            .map_err(|e| ClientError::Cert(format!("{}: {e}", cert_pem.display())))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Cert(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(KnownPeer::new(
                move |der| Ok(der == cert.as_ref()),
                "not the pinned certificate",
                provider,
            )));
        let cfg = match identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| ClientError::Cert(format!("{}: {e}", cert.display())))?;
                let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| ClientError::Cert(format!("{}: {e}", key.display())))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| ClientError::Cert(e.to_string()))?
            }
        };
        Ok(Client {
            addr,
            connector: TlsConnector::from(Arc::new(cfg)),
            keep_alive,
            conn: None,
            source: None,
        })
    }

    /// Opens its connections from `source`, an address of this host (on
    /// loopback, any 127.x.y.z): how the tests and the load generator stand
    /// for clients at different addresses.
    pub fn from_source(mut self, source: IpAddr) -> Client {
        self.source = Some(source);
        self
    }

    /// A TLS connection to the appliance with no HTTP on it yet: for tools
    /// that must control every byte (the load generator's slow clients).
    pub async fn connect_tls(
        &self,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, ClientError> {
        let tcp = self.connect_tcp().await?;
        let name = ServerName::try_from("localhost").expect("valid name");
        Ok(self.connector.connect(name, tcp).await?)
    }

    /// A bare TCP connection to the appliance, from the source address if
    /// one was set.
    pub async fn connect_tcp(&self) -> std::io::Result<tokio::net::TcpStream> {
        let tcp = match self.source {
            None => tokio::net::TcpStream::connect(self.addr).await?,
            Some(ip) => {
                let socket = match ip {
                    IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                    IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
                };
                socket.bind(SocketAddr::new(ip, 0))?;
                socket.connect(self.addr).await?
            }
        };
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ClientError> {
        let tls = self.connect_tls().await?;
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(send)
    }

    /// Posts one message and returns the reply body.
    pub async fn post(&mut self, body: Vec<u8>) -> Result<Vec<u8>, ClientError> {
        let (status, bytes) = self
            .request("POST", "/", "text/plain; charset=UTF-8", body)
            .await?;
        if status != 200 {
            return Err(ClientError::Status {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Ok(bytes)
    }

    /// Any request; returns status and body.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let a = self
            .exchange(method, path, &[("content-type", content_type)], body)
            .await?;
        Ok((a.status, a.body))
    }

    /// Any request with its own headers; returns the whole answer.
    pub async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Answer, ClientError> {
        let mut send = match self.conn.take() {
            Some(s) if self.keep_alive && !s.is_closed() => s,
            _ => self.connect().await?,
        };
        send.ready().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, "localhost");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if !self.keep_alive {
            req = req.header(CONNECTION, "close");
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| ClientError::Request(e.to_string()))?;
        let resp = send.send_request(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await?.to_bytes().to_vec();
        if self.keep_alive {
            self.conn = Some(send);
        }
        Ok(Answer {
            status,
            headers,
            body: bytes,
        })
    }
}

/// A whole HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}
