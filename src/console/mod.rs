//! The officers' console: a web page served from the binary itself (no
//! CDN, no build step) and the JSON API under `/api/` that it uses, on the
//! same TLS listener as the VNACCS endpoint.

pub mod api;
pub mod assets;
pub mod labels;
pub mod session;
pub mod stats;
pub mod transports;
pub mod view;

pub use api::{ApiRequest, ApiResponse, Console};
