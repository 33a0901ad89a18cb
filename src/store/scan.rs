//! Reading many declarations at once, for the console's list and
//! statistics.

use super::records::decode;
use super::{Store, StoreError};
use crate::rules::declaration::Declaration;

impl Store {
    /// The declarations whose number (without its amendment digit) starts
    /// with `digits`, newest first: numbers are issued in ascending order
    /// within a block, and a site moves to a higher block only once the
    /// lower one is full. The family digit alone gives a whole family; a
    /// number search reads only the numbers it can match, not the whole
    /// store (it took 100 s at a million declarations).
    pub fn newest_declarations_from(
        &self,
        digits: &[u8],
    ) -> impl Iterator<Item = Result<Declaration, StoreError>> + '_ {
        self.t
            .declarations
            .scan_prefix(digits)
            .values()
            .rev()
            .map(|v| decode("declaration", &v?))
    }
}
