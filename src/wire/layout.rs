//! Field layouts of VNACCS job (input) and output messages.
//!
//! The tables themselves live in `tables.rs`, generated once from the official
//! terminal templates by `scripts/gen-wire-tables.py`; this module holds the types
//! and the positional arithmetic the codec needs.

/// Field attribute, as the terminal templates name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    /// Alphanumeric: printable ASCII 0x20..=0x5D except `$`.
    A,
    /// Wide text (Vietnamese), UTF-8, width counted in bytes.
    W,
    /// Integer, right-aligned.
    I,
    /// Decimal with `.`, right-aligned.
    F,
}

/// One field of a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub id: &'static str,
    pub attr: Attr,
    /// Width in UTF-8 bytes.
    pub width: u16,
    /// `M` (mandatory) in the template.
    pub required: bool,
    /// English field name from the template.
    pub name: &'static str,
}

/// A repeated block (goods lines, containers …): `len` consecutive items of
/// `Layout::items` starting at `start`, sent `repeat` times one after another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub start: usize,
    pub len: usize,
    pub repeat: u16,
}

/// Field order and widths of one job or output message.
#[derive(Debug)]
pub struct Layout {
    /// Job code (`IDA`, `IDA01`) or 6-character output code (`VAD1AC`).
    pub code: &'static str,
    pub title: &'static str,
    /// Jobs whose template carries the signature flag.
    pub signed: bool,
    pub items: &'static [Item],
    pub group: Option<Group>,
}
