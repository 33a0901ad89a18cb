//! Positional body codec: one field per CR LF line, padded to the field's
//! width in UTF-8 bytes, repeated groups laid out one repetition after another.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::codes::{FieldError, JobCodes, Kind};
use super::layout::{Attr, Item, Layout};

/// Index of the item `id` in `layout` (the first, if an id repeats). Outputs
/// are filled field by field for up to 50 goods lines; a linear search of a
/// layout's hundreds of items per field was a sixth of the server's
/// instructions (callgrind, BENCHMARKS.md), so the generated layouts are
/// indexed once. A layout made elsewhere (tests) is searched.
fn item_index(layout: &Layout, id: &str) -> Option<usize> {
    type Index = HashMap<usize, HashMap<&'static str, usize>>;
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        super::tables::JOBS
            .iter()
            .chain(super::tables::OUTPUTS)
            .map(|l| {
                let mut ids = HashMap::new();
                for (i, item) in l.items.iter().enumerate() {
                    ids.entry(item.id).or_insert(i);
                }
                (std::ptr::from_ref::<Layout>(l) as usize, ids)
            })
            .collect()
    });
    match index.get(&(std::ptr::from_ref(layout) as usize)) {
        Some(ids) => ids.get(id).copied(),
        None => search(layout, id),
    }
}

fn search(layout: &Layout, id: &str) -> Option<usize> {
    layout.items.iter().position(|i| i.id == id)
}

impl Layout {
    /// Number of body lines when every field and repetition is sent.
    pub fn positions(&self) -> usize {
        match self.group {
            None => self.items.len(),
            Some(g) => self.items.len() - g.len + g.len * g.repeat as usize,
        }
    }

    /// Item and repetition (1-based; 0 outside the group) at a body position.
    pub fn item_at(&self, pos: usize) -> Option<(&'static Item, u16)> {
        let items = self.items;
        match self.group {
            None => items.get(pos).map(|i| (i, 0)),
            Some(g) => {
                if pos < g.start {
                    return Some((&items[pos], 0));
                }
                let in_group = g.len * g.repeat as usize;
                if pos < g.start + in_group {
                    let k = pos - g.start;
                    return Some((&items[g.start + k % g.len], (k / g.len) as u16 + 1));
                }
                items.get(pos - in_group + g.len).map(|i| (i, 0))
            }
        }
    }

    /// Body position of `id` in repetition `rep` (0 for fields outside the group).
    pub fn position(&self, id: &str, rep: u16) -> Option<usize> {
        self.position_at(item_index(self, id)?, rep)
    }

    /// Body position of `items[idx]` in repetition `rep`.
    pub fn position_at(&self, idx: usize, rep: u16) -> Option<usize> {
        match self.group {
            None => (rep == 0 && idx < self.items.len()).then_some(idx),
            Some(g) => {
                let grouped = idx >= g.start && idx < g.start + g.len;
                if grouped {
                    (rep >= 1 && rep <= g.repeat)
                        .then(|| g.start + (rep as usize - 1) * g.len + (idx - g.start))
                } else if rep != 0 || idx >= self.items.len() {
                    None
                } else if idx < g.start {
                    Some(idx)
                } else {
                    Some(idx - g.len + g.len * g.repeat as usize)
                }
            }
        }
    }
}

/// Field values of one message body, trimmed of their padding, one per
/// position of the layout.
#[derive(Debug, Clone)]
pub struct Fields {
    pub layout: &'static Layout,
    values: Vec<String>,
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        std::ptr::eq(self.layout, other.layout) && self.values == other.values
    }
}

impl Eq for Fields {}

/// The body has more lines than its layout has positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManyLines {
    pub lines: usize,
    pub max: usize,
}

impl Fields {
    pub fn new(layout: &'static Layout) -> Fields {
        Fields {
            layout,
            values: Vec::new(),
        }
    }

    /// Rebuilds fields from stored values (as returned by [`Fields::values`]).
    pub fn from_values(layout: &'static Layout, mut values: Vec<String>) -> Fields {
        values.truncate(layout.positions());
        let mut f = Fields { layout, values };
        f.trim_tail();
        f
    }

    /// Values by position, trailing empty positions left out.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    pub fn get(&self, id: &str) -> &str {
        self.get_rep(id, 0)
    }

    pub fn get_rep(&self, id: &str, rep: u16) -> &str {
        self.layout
            .position(id, rep)
            .and_then(|p| self.values.get(p))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Sets a value; unknown ids or repetitions are ignored, since outputs
    /// are filled from declarations whose fields not every layout has.
    pub fn set(&mut self, id: &str, value: &str) {
        self.set_rep(id, 0, value)
    }

    pub fn set_rep(&mut self, id: &str, rep: u16, value: &str) {
        if let Some(p) = self.layout.position(id, rep) {
            if self.values.len() <= p {
                self.values.resize(p + 1, String::new());
            }
            self.values[p] = value.trim().to_string();
            self.trim_tail();
        }
    }

    fn trim_tail(&mut self) {
        while self.values.last().is_some_and(String::is_empty) {
            self.values.pop();
        }
    }

    /// Repetitions of the group that carry any value (goods lines present).
    pub fn reps_present(&self) -> Vec<u16> {
        let Some(g) = self.layout.group else {
            return Vec::new();
        };
        (1..=g.repeat)
            .filter(|&r| {
                let first = g.start + (r as usize - 1) * g.len;
                self.values
                    .get(first..(first + g.len).min(self.values.len()))
                    .is_some_and(|line| line.iter().any(|v| !v.is_empty()))
            })
            .collect()
    }

    /// Parses a body against the layout. Line-level problems are collected,
    /// not stopped at, so the declarant sees all of them at once.
    pub fn parse(
        layout: &'static Layout,
        body: &str,
        codes: Option<&'static JobCodes>,
    ) -> Result<Result<Fields, Vec<FieldError>>, TooManyLines> {
        let lines = split_lines(body);
        let max = layout.positions();
        if lines.len() > max {
            return Err(TooManyLines {
                lines: lines.len(),
                max,
            });
        }
        let mut errors = Vec::new();
        let mut values = Vec::with_capacity(lines.len());
        let date_fields = codes.map(JobCodes::date_fields).unwrap_or_default();
        for (pos, line) in lines.iter().enumerate() {
            let (item, rep) = layout.item_at(pos).expect("pos < positions");
            let is_date = date_fields.contains(&item.id);
            match check_value(item, line, is_date) {
                Ok(v) => values.push(v),
                Err(kind) => {
                    errors.push(FieldError {
                        kind,
                        field: item.id,
                        rep,
                    });
                    values.push(String::new());
                }
            }
        }
        let fields = Fields::from_values(layout, values);
        fields.check_required(&mut errors);
        if errors.is_empty() {
            Ok(Ok(fields))
        } else {
            errors.sort_by_key(|e| (layout.position(e.field, e.rep), e.rep));
            errors.dedup();
            Ok(Err(errors))
        }
    }

    fn check_required(&self, errors: &mut Vec<FieldError>) {
        let layout = self.layout;
        let value = |idx: usize, rep: u16| {
            layout
                .position_at(idx, rep)
                .and_then(|p| self.values.get(p))
                .map_or("", String::as_str)
        };
        let mut missing = Vec::new();
        let mut check = |idx: usize, rep: u16| {
            let item = &layout.items[idx];
            if item.required && value(idx, rep).is_empty() {
                missing.push(FieldError {
                    kind: Kind::Missing,
                    field: item.id,
                    rep,
                });
            }
        };
        let group = layout.group.map_or(0..0, |g| g.start..g.start + g.len);
        for idx in (0..layout.items.len()).filter(|i| !group.contains(i)) {
            check(idx, 0);
        }
        let mut reps = self.reps_present();
        // A layout with required line items needs at least one line.
        if reps.is_empty() && group.clone().any(|i| layout.items[i].required) {
            reps.push(1);
        }
        for r in reps {
            for idx in group.clone() {
                check(idx, r);
            }
        }
        // A field already refused for its content is not also "missing".
        missing.retain(|m| !errors.iter().any(|e| e.field == m.field && e.rep == m.rep));
        errors.extend(missing);
    }

    /// Renders the body: every position up to the last non-empty one,
    /// padded to its width, each line ended by CR LF.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (pos, v) in self.values.iter().enumerate() {
            let (item, _) = self.layout.item_at(pos).expect("values fit the layout");
            pad_into(&mut out, item, v);
            out.push_str("\r\n");
        }
        out
    }
}

/// Splits a body into lines at CR LF; a last line without CR LF still counts.
pub fn split_lines(body: &str) -> Vec<&str> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut lines: Vec<&str> = body.split("\r\n").collect();
    if body.ends_with("\r\n") {
        lines.pop();
    }
    lines
}

fn check_value(item: &Item, line: &str, is_date: bool) -> Result<String, Kind> {
    if line.len() > item.width as usize {
        return Err(Kind::TooLong);
    }
    let v = match item.attr {
        Attr::I | Attr::F => line.trim_matches(' '),
        Attr::A | Attr::W => line.trim_end_matches(' '),
    };
    match item.attr {
        Attr::A => {
            if !v.bytes().all(|b| (0x20..=0x5D).contains(&b) && b != b'$') {
                return Err(Kind::Chars);
            }
        }
        Attr::W => {
            // The official client refuses CR, LF, C1 controls and half-width
            // katakana; a tab (pasted from a spreadsheet) gets through it, so
            // it gets through here too. Other C0 controls are never text.
            let bad =
                |c: char| (c.is_control() && c != '\t') || ('\u{FF61}'..='\u{FF9F}').contains(&c);
            if v.chars().any(bad) {
                return Err(Kind::Chars);
            }
        }
        Attr::I => {
            if !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Kind::Format);
            }
        }
        Attr::F => {
            if !is_decimal(v) {
                return Err(Kind::Format);
            }
        }
    }
    if is_date && !v.is_empty() && crate::wire::parse_date(v).is_none() {
        return Err(Kind::NotDate);
    }
    Ok(v.to_string())
}

fn is_decimal(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    let digits = v.strip_prefix('-').unwrap_or(v);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !int.is_empty() && all_digits(int) && frac.is_none_or(|f| !f.is_empty() && all_digits(f))
}

/// Pads (or, for values from a wider source field, cuts at a character
/// boundary) to the item's width in bytes; numbers go right-aligned.
fn pad_into(out: &mut String, item: &Item, value: &str) {
    let width = item.width as usize;
    let mut end = value.len().min(width);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let v = &value[..end];
    let pad = width - v.len();
    match item.attr {
        Attr::I | Attr::F => {
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(v);
        }
        Attr::A | Attr::W => {
            out.push_str(v);
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tables::{JOBS, OUTPUTS};

    #[test]
    fn the_item_index_agrees_with_a_search_for_every_generated_layout() {
        let copy = Layout { ..*JOBS[0] };
        for l in JOBS.iter().chain(OUTPUTS).copied().chain([&copy]) {
            for item in l.items {
                assert_eq!(
                    item_index(l, item.id),
                    search(l, item.id),
                    "{} {}",
                    l.code,
                    item.id
                );
            }
            assert_eq!(item_index(l, "no such item"), None);
        }
    }
}
