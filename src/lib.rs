//! Outpost: a branch appliance that takes VNACCS declarations while the
//! central system is unreachable. See ARCHITECTURE.md for the map.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod central;
pub mod client;
pub mod clock;
pub mod config;
pub mod console;
pub mod disk;
pub mod http;
pub mod messages;
pub mod metrics;
pub mod preflight;
pub mod rules;
pub mod service;
pub mod settings;
pub mod smime;
pub mod store;
pub mod sync;
pub mod systemd;
pub mod tls;
pub mod wire;
