//! Declaration rules: numbering, eligibility, channel assignment. Pure: no
//! I/O, no clock (callers pass the time in).

pub mod channel;
pub mod decision;
pub mod declaration;
pub mod eligibility;
pub mod numbering;
pub mod outputs;
pub mod temporary;
pub mod transport;
