//! Reading many declarations at once, for the console's list and
//! statistics.

use super::records::decode;
use super::{Store, StoreError};
use crate::rules::declaration::Declaration;
use crate::rules::numbering::Family;

impl Store {
    /// A family's declarations, newest first: numbers are issued in
    /// ascending order within a block, and a site moves to a higher block
    /// only once the lower one is full.
    pub fn newest_declarations(
        &self,
        family: Family,
    ) -> impl Iterator<Item = Result<Declaration, StoreError>> + '_ {
        self.t
            .declarations
            .scan_prefix([b'0' + family.digit()])
            .values()
            .rev()
            .map(|v| decode("declaration", &v?))
    }
}
