//! Table-driven tests of the positional wire codec (PROTOCOL.md section 2):
//! every job and output layout round-trips, widths are UTF-8 bytes, the
//! per-attribute checks, required fields, positional arithmetic, the mapping
//! of field problems to result codes, and the byte facts of the annotated
//! examples. The example facts are copied in here as literals: these tests
//! read nothing outside the crate.

use super::body::{split_lines, TooManyLines};
use super::layout::{Attr, Group, Item, Layout};
use super::{
    job_layout, output_layout, tables, FieldError, Fields, HField, Header, JobCodes, Kind, Message,
    ResultCode, HEADER_LEN,
};

/// Vietnamese text with 2- and 3-byte characters (and a 3-byte en dash).
const VIET: &str = "Công ty TNHH Thương mại Ví dụ – Hải Phòng";

// ---------------------------------------------------------------- helpers

/// The longest prefix of `s` of at most `width` bytes ending on a char boundary.
fn cut(s: &str, width: usize) -> &str {
    let mut end = s.len().min(width);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `prefix` followed by `filler` repeated, cut to `len` bytes (ASCII only).
fn fill(prefix: &str, filler: &str, len: usize) -> String {
    let s: String = prefix
        .chars()
        .chain(filler.chars().cycle())
        .take(len)
        .collect();
    assert!(s.is_ascii());
    s
}

/// One line as the wire carries it: padded to `width` bytes, I/F right-aligned.
fn padded(item: &Item, value: &str) -> String {
    let pad = " ".repeat(item.width as usize - value.len());
    match item.attr {
        Attr::I | Attr::F => format!("{pad}{value}"),
        Attr::A | Attr::W => format!("{value}{pad}"),
    }
}

/// Body lines without their CR LF (own splitter, independent of the codec's).
fn lines_of(body: &str) -> Vec<&str> {
    assert!(
        body.is_empty() || body.ends_with("\r\n"),
        "body must end with CR LF"
    );
    body.split_inclusive("\r\n")
        .map(|l| l.strip_suffix("\r\n").expect("every line ends with CR LF"))
        .collect()
}

fn ida() -> &'static Layout {
    job_layout("IDA").expect("IDA layout")
}

fn ida_codes() -> &'static JobCodes {
    JobCodes::get("IDA").expect("IDA codes")
}

fn err(kind: Kind, field: &'static str, rep: u16) -> FieldError {
    FieldError { kind, field, rep }
}

/// Parses and expects success; failures are printed compactly (a `Fields`
/// debug print would dump the whole layout).
fn parse_ok(layout: &'static Layout, body: &str, codes: Option<&'static JobCodes>) -> Fields {
    match Fields::parse(layout, body, codes) {
        Ok(Ok(f)) => f,
        Ok(Err(errors)) => panic!("{}: unexpected field errors {errors:?}", layout.code),
        Err(e) => panic!("{}: {e:?}", layout.code),
    }
}

/// Parses and expects field errors.
fn parse_errs(
    layout: &'static Layout,
    body: &str,
    codes: Option<&'static JobCodes>,
) -> Vec<FieldError> {
    match Fields::parse(layout, body, codes) {
        Ok(Ok(f)) => panic!("{}: expected errors, parsed {:?}", layout.code, f.values()),
        Ok(Err(errors)) => errors,
        Err(e) => panic!("{}: {e:?}", layout.code),
    }
}

/// One field of each attribute, small widths, no group, no required field.
static PROBE: Layout = Layout {
    code: "PRB",
    title: "probe",
    signed: false,
    items: &[
        Item {
            id: "W6",
            attr: Attr::W,
            width: 6,
            required: false,
            name: "W6",
        },
        Item {
            id: "A5",
            attr: Attr::A,
            width: 5,
            required: false,
            name: "A5",
        },
        Item {
            id: "I5",
            attr: Attr::I,
            width: 5,
            required: false,
            name: "I5",
        },
        Item {
            id: "F6",
            attr: Attr::F,
            width: 6,
            required: false,
            name: "F6",
        },
    ],
    group: None,
};

/// A grouped layout with fields after the group (no generated layout has
/// any, but the arithmetic supports them).
static TAILED: Layout = Layout {
    code: "TLD",
    title: "group followed by fields",
    signed: false,
    items: &[
        Item {
            id: "H1",
            attr: Attr::A,
            width: 2,
            required: true,
            name: "head 1",
        },
        Item {
            id: "H2",
            attr: Attr::I,
            width: 3,
            required: false,
            name: "head 2",
        },
        Item {
            id: "G1",
            attr: Attr::A,
            width: 4,
            required: true,
            name: "group 1",
        },
        Item {
            id: "G2",
            attr: Attr::W,
            width: 30,
            required: false,
            name: "group 2",
        },
        Item {
            id: "G3",
            attr: Attr::F,
            width: 8,
            required: false,
            name: "group 3",
        },
        Item {
            id: "T1",
            attr: Attr::A,
            width: 5,
            required: true,
            name: "tail 1",
        },
        Item {
            id: "T2",
            attr: Attr::I,
            width: 4,
            required: false,
            name: "tail 2",
        },
    ],
    group: Some(Group {
        start: 2,
        len: 3,
        repeat: 4,
    }),
};

/// Every required IDA field with a valid value, goods line 1 only.
const IDA_MINIMAL: &[(&str, u16, &str)] = &[
    ("ICB", 0, "A11"),
    ("MTC", 0, "2"),
    ("SKB", 0, "4"),
    ("NO", 0, "10"),
    ("NOT", 0, "PK"),
    ("ARR", 0, "15012024"),
    ("PSC", 0, "JPTYO"),
    ("CMD", 1, "84713020"),
    ("CMN", 1, "Máy tính xách tay, mới 100%"),
    ("OR", 1, "CN"),
    ("QN1", 1, "100"),
    ("QT1", 1, "PCE"),
];

fn minimal_ida() -> Fields {
    let mut f = Fields::new(ida());
    for &(id, rep, v) in IDA_MINIMAL {
        f.set_rep(id, rep, v);
        assert_eq!(f.get_rep(id, rep), v, "{id}/{rep}");
    }
    f
}

/// Replaces (or adds) the raw line of `id`/`rep` in the rendered `base` and
/// parses the result: `Ok(value)` when accepted, `Err(kind)` when the codec
/// reports exactly one problem and it is on that field.
fn check_line(
    base: &Fields,
    codes: Option<&'static JobCodes>,
    id: &str,
    rep: u16,
    line: &str,
) -> Result<String, Kind> {
    let layout = base.layout;
    let pos = layout.position(id, rep).expect("field in layout");
    let rendered = base.render();
    let mut lines: Vec<String> = lines_of(&rendered).iter().map(|l| l.to_string()).collect();
    if lines.len() <= pos {
        lines.resize(pos + 1, String::new());
    }
    lines[pos] = line.to_string();
    let body: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
    match Fields::parse(layout, &body, codes) {
        Ok(Ok(f)) => Ok(f.get_rep(id, rep).to_string()),
        Ok(Err(errors)) => {
            let (item, _) = layout.item_at(pos).unwrap();
            assert_eq!(errors.len(), 1, "{id} {line:?}: {errors:?}");
            assert_eq!((errors[0].field, errors[0].rep), (item.id, rep), "{line:?}");
            Err(errors[0].kind)
        }
        Err(e) => panic!("{id} {line:?}: {e:?}"),
    }
}

fn view(r: &Result<String, Kind>) -> Result<&str, Kind> {
    r.as_deref().map_err(|k| *k)
}

// ------------------------------------------- 1. every layout round-trips

/// A valid value for `item` at body position `pos`. Values carry the
/// position so that a misplaced line cannot go unnoticed; even positions
/// fill the whole width, odd ones about half of it.
fn sample(item: &Item, pos: usize, is_date: bool) -> String {
    let width = item.width as usize;
    let len = if pos % 2 == 0 {
        width
    } else {
        width.div_ceil(2)
    };
    if is_date {
        assert!(
            item.attr == Attr::A && width == 8,
            "date field {} is {:?}/{width}",
            item.id,
            item.attr
        );
        return format!("{:02}{:02}{}", 1 + pos % 28, 1 + pos % 12, 2000 + pos % 50);
    }
    let v = match item.attr {
        Attr::A => fill(
            &pos.to_string(),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/.,()",
            len,
        ),
        Attr::I => fill(&pos.to_string(), "9081726354", len),
        Attr::F => match pos % 4 {
            0 => "12.5".to_string(),
            1 => "-3.5".to_string(),
            2 => format!("{pos}.25"),
            _ => format!("{}.5", fill("1", "234567890", width - 2)),
        },
        Attr::W => {
            let text = format!("{pos} {VIET} ").repeat(width / 16 + 2);
            cut(&text, len).trim_end().to_string()
        }
    };
    assert!(
        !v.is_empty() && v.len() <= width,
        "{}: {v:?} does not fit {width}",
        item.id
    );
    v
}

fn round_trip(layout: &'static Layout) {
    let code = layout.code;
    let codes = JobCodes::get(code);
    let n = layout.positions();
    let mut fields = Fields::new(layout);
    let mut want = Vec::with_capacity(n);
    for pos in 0..n {
        let (item, rep) = layout
            .item_at(pos)
            .unwrap_or_else(|| panic!("{code}: no item at {pos} < {n}"));
        let is_date = codes.is_some_and(|c| c.date_fields().contains(&item.id));
        let v = sample(item, pos, is_date);
        fields.set_rep(item.id, rep, &v);
        want.push(v);
    }
    assert_eq!(fields.values(), &want[..], "{code}: values by position");

    let body = fields.render();
    let lines = lines_of(&body);
    assert_eq!(lines.len(), n, "{code}: one line per position");
    let mut total = 0;
    for (pos, line) in lines.iter().enumerate() {
        let (item, rep) = layout.item_at(pos).unwrap();
        let at = format!("{code} line {} ({} rep {rep})", pos + 1, item.id);
        assert_eq!(line.len(), item.width as usize, "{at}: width in bytes");
        assert!(!line.contains(['\r', '\n']), "{at}");
        assert_eq!(*line, padded(item, &want[pos]), "{at}: padding");
        total += item.width as usize + 2;
    }
    assert_eq!(body.len(), total, "{code}");

    let parsed = parse_ok(layout, &body, codes);
    assert_eq!(
        parsed.values(),
        &want[..],
        "{code}: parse(render(f)) values"
    );
    assert!(parsed == fields, "{code}: parse(render(f)) != f");
    assert_eq!(parsed.render(), body, "{code}: render is stable");
}

#[test]
fn every_job_layout_round_trips() {
    assert!(tables::JOBS.len() >= 30);
    for layout in tables::JOBS {
        assert!(
            std::ptr::eq(job_layout(layout.code).unwrap(), *layout),
            "{}",
            layout.code
        );
        round_trip(layout);
    }
}

#[test]
fn every_output_layout_round_trips() {
    assert!(tables::OUTPUTS.len() >= 30);
    for layout in tables::OUTPUTS {
        assert_eq!(layout.code.len(), 6, "output codes are 6 characters");
        assert!(
            std::ptr::eq(output_layout(layout.code).unwrap(), *layout),
            "{}",
            layout.code
        );
        round_trip(layout);
    }
}

#[test]
fn synthetic_layouts_round_trip() {
    round_trip(&PROBE);
    round_trip(&TAILED);
}

#[test]
fn the_round_trip_sample_for_dates_is_a_date() {
    // The round trip must really exercise the date check: IDA has date fields
    // and the sample for them is a real DDMMYYYY date.
    let codes = ida_codes();
    let dates: Vec<&str> = ida()
        .items
        .iter()
        .map(|i| i.id)
        .filter(|id| codes.date_fields().contains(id))
        .collect();
    for id in [
        "RED", "ICD", "ARR", "IVD", "ISD", "DPD", "ADT", "D01", "D10",
    ] {
        assert!(
            dates.contains(&id),
            "{id} is a date field of IDA: {dates:?}"
        );
    }
    for id in ["ICB", "IMC", "CMD", "ICN"] {
        assert!(!codes.date_fields().contains(&id), "{id}");
    }
    let arr = ida().items.iter().find(|i| i.id == "ARR").unwrap();
    for pos in 0..2000 {
        let v = sample(arr, pos, true);
        assert!(super::parse_date(&v).is_some(), "{v}");
    }
}

// ------------------------------------------------ 2. widths are bytes

#[test]
fn w_width_is_counted_in_utf8_bytes_on_parse() {
    let base = Fields::new(&PROBE);
    let cases: &[(&str, Result<&str, Kind>)] = &[
        ("Đư", Ok("Đư")),     // 2 chars, 4 bytes
        ("Đư  ", Ok("Đư")),   // padded to exactly 6 bytes
        ("ĐĐĐ", Ok("ĐĐĐ")),   // 3 chars, exactly 6 bytes
        ("abcẢ", Ok("abcẢ")), // 3-byte char ending exactly at byte 6
        ("ẢẢ", Ok("ẢẢ")),
        ("ĐƯỜNG", Err(Kind::TooLong)), // 5 chars but 9 bytes
        ("abcdẢ", Err(Kind::TooLong)), // 5 chars, 7 bytes: 'Ả' crosses the boundary
        ("Ảabcd", Err(Kind::TooLong)), // 5 chars, 7 bytes
        ("ĐĐĐ ", Err(Kind::TooLong)),  // padding beyond the width
        ("abcdefg", Err(Kind::TooLong)),
    ];
    for &(line, want) in cases {
        if want == Err(Kind::TooLong) {
            assert!(line.len() > 6);
        }
        let got = check_line(&base, None, "W6", 0, line);
        assert_eq!(
            view(&got),
            want,
            "W6 {line:?} ({} chars, {} bytes)",
            line.chars().count(),
            line.len()
        );
    }
    // The char count alone would have let these through.
    for line in ["ĐƯỜNG", "abcdẢ", "Ảabcd"] {
        assert!(line.chars().count() <= 6 && line.len() > 6);
    }
}

#[test]
fn w_width_is_counted_in_utf8_bytes_on_render() {
    let cases = [
        ("Đư", "Đư  "),
        ("abcẢ", "abcẢ"),
        ("ẢẢ", "ẢẢ"),
        ("ĐĐĐĐ", "ĐĐĐ"),     // cut to the width...
        ("abcdẢ", "abcd  "), // ...at a char boundary, never inside 'Ả'
        ("abcdeẢ", "abcde "),
    ];
    for (value, line) in cases {
        let mut f = Fields::new(&PROBE);
        f.set("W6", value);
        let body = f.render();
        assert_eq!(body, format!("{line}\r\n"), "{value:?}");
        assert_eq!(line.len(), 6);
    }

    // A real 300-byte W field: fewer characters than bytes, padded in bytes.
    let imn = "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ";
    assert_eq!((imn.chars().count(), imn.len()), (29, 37));
    let mut f = Fields::new(ida());
    f.set("IMN", imn);
    let body = f.render();
    let line = lines_of(&body)[14];
    assert_eq!(line.len(), 300);
    assert_eq!(line.chars().count(), 300 - (37 - 29));
    assert_eq!(&line[..37], imn);
    assert!(line[37..].bytes().all(|b| b == b' '));
}

// ------------------------------------------ 3. per-attribute checks

fn run_table(
    base: &Fields,
    codes: Option<&'static JobCodes>,
    id: &str,
    cases: &[(&str, Result<&str, Kind>)],
) {
    for &(line, want) in cases {
        let got = check_line(base, codes, id, 0, line);
        assert_eq!(view(&got), want, "{} {id} {line:?}", base.layout.code);
    }
}

#[test]
fn a_fields_take_only_0x20_to_0x5d_without_dollar() {
    run_table(
        &Fields::new(&PROBE),
        None,
        "A5",
        &[
            ("ABC", Ok("ABC")),
            ("A-1/.", Ok("A-1/.")),
            ("[\\]", Ok("[\\]")),
            ("!\"#%&", Ok("!\"#%&")),
            ("A B", Ok("A B")),
            ("AB   ", Ok("AB")),
            ("abc", Err(Kind::Chars)),
            ("Abc", Err(Kind::Chars)),
            ("$1", Err(Kind::Chars)),
            ("A$", Err(Kind::Chars)),
            ("^", Err(Kind::Chars)),
            ("_", Err(Kind::Chars)),
            ("`", Err(Kind::Chars)),
            ("{", Err(Kind::Chars)),
            ("~", Err(Kind::Chars)),
            ("É", Err(Kind::Chars)),
            ("Ả", Err(Kind::Chars)),
            ("A\tB", Err(Kind::Chars)),
            ("\u{7F}", Err(Kind::Chars)),
            ("ABCDEF", Err(Kind::TooLong)),
        ],
    );
}

#[test]
fn w_fields_refuse_controls_and_half_width_katakana() {
    run_table(
        &Fields::new(&PROBE),
        None,
        "W6",
        &[
            ("Công", Ok("Công")),
            ("Đư", Ok("Đư")),
            ("Hải", Ok("Hải")),
            ("a$b~", Ok("a$b~")),
            ("ＡＢ", Ok("ＡＢ")),         // full-width Latin is fine
            ("\u{FF60}", Ok("\u{FF60}")), // just below the half-width katakana block
            ("\u{FFA0}", Ok("\u{FFA0}")), // just above it
            ("a\tb", Ok("a\tb")),         // the official client lets tabs through
            ("a\rb", Err(Kind::Chars)),
            ("a\nb", Err(Kind::Chars)),
            ("\u{7}", Err(Kind::Chars)),
            ("\u{7F}", Err(Kind::Chars)),
            ("\u{85}x", Err(Kind::Chars)), // C1 control
            ("\u{9F}", Err(Kind::Chars)),
            ("\u{FF61}", Err(Kind::Chars)), // first half-width katakana
            ("ｱ", Err(Kind::Chars)),        // U+FF71
            ("\u{FF9F}", Err(Kind::Chars)), // last one
        ],
    );
}

#[test]
fn i_fields_are_unsigned_integers_right_aligned() {
    run_table(
        &Fields::new(&PROBE),
        None,
        "I5",
        &[
            ("42", Ok("42")),
            ("   42", Ok("42")),
            ("00042", Ok("00042")),
            ("12345", Ok("12345")),
            ("     ", Ok("")),
            ("12a", Err(Kind::Format)),
            ("1.5", Err(Kind::Format)),
            ("-1", Err(Kind::Format)),
            ("+1", Err(Kind::Format)),
            ("1 2", Err(Kind::Format)),
            ("1,5", Err(Kind::Format)),
            ("123456", Err(Kind::TooLong)),
            ("    42", Err(Kind::TooLong)),
        ],
    );
}

#[test]
fn f_fields_are_decimals_with_a_point() {
    run_table(
        &Fields::new(&PROBE),
        None,
        "F6",
        &[
            ("12", Ok("12")),
            ("12.50", Ok("12.50")),
            ("-3.5", Ok("-3.5")),
            ("  -3.5", Ok("-3.5")),
            ("0.5", Ok("0.5")),
            ("     7", Ok("7")),
            ("1.2.3", Err(Kind::Format)),
            (".5", Err(Kind::Format)),
            ("5.", Err(Kind::Format)),
            ("1,5", Err(Kind::Format)),
            ("-", Err(Kind::Format)),
            ("--1", Err(Kind::Format)),
            ("-.5", Err(Kind::Format)),
            ("1e3", Err(Kind::Format)),
            ("+1.5", Err(Kind::Format)),
            ("- 1", Err(Kind::Format)),
            ("1 .5", Err(Kind::Format)),
            ("1234567", Err(Kind::TooLong)),
        ],
    );
}

/// I and F padding is spaces (PROTOCOL.md 2.3); other whitespace is not
/// padding, and the protocol allows only 0x20..=0x5D in non-W fields.
#[test]
fn i_and_f_padding_is_only_spaces() {
    let base = Fields::new(&PROBE);
    for line in [
        "\t42",
        "42\t",
        "\u{A0}42",
        "\u{3000}4",
        "\u{B}42",
        "\u{C}42",
    ] {
        let got = check_line(&base, None, "I5", 0, line);
        assert!(got.is_err(), "I5 {line:?} accepted as {got:?}");
    }
    for line in ["\t1.5", "\u{A0}1.5", "1.5\u{3000}"] {
        let got = check_line(&base, None, "F6", 0, line);
        assert!(got.is_err(), "F6 {line:?} accepted as {got:?}");
    }
}

#[test]
fn date_fields_take_real_ddmmyyyy_dates() {
    let base = minimal_ida();
    let codes = Some(ida_codes());
    let cases: &[(&str, Result<&str, Kind>)] = &[
        ("15012024", Ok("15012024")),
        ("29022024", Ok("29022024")),
        ("31122099", Ok("31122099")),
        ("31022024", Err(Kind::NotDate)),
        ("29022023", Err(Kind::NotDate)),
        ("31042024", Err(Kind::NotDate)),
        ("00012024", Err(Kind::NotDate)),
        ("15132024", Err(Kind::NotDate)),
        ("1501202X", Err(Kind::NotDate)),
        ("1501202", Err(Kind::NotDate)),
        ("15-01-24", Err(Kind::NotDate)),
        ("abcdefgh", Err(Kind::Chars)),
        ("150120245", Err(Kind::TooLong)),
    ];
    run_table(&base, codes, "ARR", cases);
    // Other date fields of the job, the optional ones also blank.
    for id in ["RED", "D10"] {
        run_table(
            &base,
            codes,
            id,
            &[
                ("29022024", Ok("29022024")),
                ("31022024", Err(Kind::NotDate)),
                ("        ", Ok("")),
            ],
        );
    }
    // A non-date field of the same job takes the same string as plain text.
    run_table(&base, codes, "IMC", &[("31022024", Ok("31022024"))]);
    // Without the job's code table nothing is known to be a date.
    run_table(&base, None, "ARR", &[("31022024", Ok("31022024"))]);
}

// ------------------------------------------------ 4. required fields

#[test]
fn ida_required_fields_are_the_ones_the_tests_assume() {
    let layout = ida();
    let g = layout.group.unwrap();
    assert_eq!((g.start, g.len, g.repeat), (175, 46, 50));
    let required: Vec<(&str, bool)> = layout
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.required)
        .map(|(k, i)| (i.id, k >= g.start))
        .collect();
    assert_eq!(
        required,
        [
            ("ICB", false),
            ("MTC", false),
            ("SKB", false),
            ("NO", false),
            ("NOT", false),
            ("ARR", false),
            ("PSC", false),
            ("CMD", true),
            ("CMN", true),
            ("OR", true),
            ("QN1", true),
            ("QT1", true),
        ]
    );
    let f = minimal_ida();
    parse_ok(layout, &f.render(), Some(ida_codes()));
}

#[test]
fn required_fields_are_reported_with_their_line() {
    let codes = Some(ida_codes());
    let goods = |f: &mut Fields, rep: u16| {
        for &(id, r, v) in IDA_MINIMAL {
            if r == 1 {
                f.set_rep(id, rep, v);
            }
        }
    };

    // No ICB.
    let mut f = minimal_ida();
    f.set("ICB", "");
    assert_eq!(
        parse_errs(ida(), &f.render(), codes),
        [err(Kind::Missing, "ICB", 0)]
    );

    // Three goods lines, the third without CMD.
    let mut f = minimal_ida();
    goods(&mut f, 2);
    goods(&mut f, 3);
    f.set_rep("CMD", 3, "");
    assert_eq!(f.reps_present(), [1, 2, 3]);
    assert_eq!(
        parse_errs(ida(), &f.render(), codes),
        [err(Kind::Missing, "CMD", 3)]
    );

    // A goods line that carries only an optional field still needs its required ones.
    let mut f = minimal_ida();
    f.set_rep("UPR", 2, "250");
    assert_eq!(
        parse_errs(ida(), &f.render(), codes),
        ["CMD", "CMN", "OR", "QN1", "QT1"].map(|id| err(Kind::Missing, id, 2))
    );

    // No goods line at all: the required goods items are missing on line 1.
    let mut f = Fields::new(ida());
    for &(id, rep, v) in IDA_MINIMAL {
        if rep == 0 {
            f.set(id, v);
        }
    }
    assert_eq!(f.reps_present(), Vec::<u16>::new());
    assert_eq!(
        parse_errs(ida(), &f.render(), codes),
        ["CMD", "CMN", "OR", "QN1", "QT1"].map(|id| err(Kind::Missing, id, 1))
    );
}

#[test]
fn all_errors_are_reported_sorted_by_position() {
    let mut f = minimal_ida();
    f.set("ICB", "");
    f.set("MTC", "");
    f.set("ARR", "31022024");
    f.set("IMC", "abc");
    f.set_rep("QN1", 1, "1,5");
    for &(id, r, v) in IDA_MINIMAL {
        if r == 1 {
            f.set_rep(id, 2, v);
        }
    }
    f.set_rep("QT1", 2, "");
    f.set_rep("CMN", 2, "Bad\u{7}text");
    let errors = parse_errs(ida(), &f.render(), Some(ida_codes()));
    assert_eq!(
        errors,
        [
            err(Kind::Missing, "ICB", 0),
            err(Kind::Missing, "MTC", 0),
            err(Kind::Chars, "IMC", 0),
            err(Kind::NotDate, "ARR", 0),
            // QN1 of line 1 is wrong, not additionally missing.
            err(Kind::Format, "QN1", 1),
            err(Kind::Chars, "CMN", 2),
            err(Kind::Missing, "QT1", 2),
        ]
    );
    let positions: Vec<usize> = errors
        .iter()
        .map(|e| ida().position(e.field, e.rep).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn required_fields_after_a_group_are_checked_in_order() {
    // Nothing at all: H1, the group's G1 on line 1 and T1 after the group.
    assert_eq!(
        parse_errs(&TAILED, "", None),
        [
            err(Kind::Missing, "H1", 0),
            err(Kind::Missing, "G1", 1),
            err(Kind::Missing, "T1", 0)
        ]
    );
    let mut f = Fields::new(&TAILED);
    f.set("H1", "AB");
    f.set_rep("G2", 3, "Hàng");
    f.set_rep("G1", 4, "X");
    f.set("T2", "7");
    assert_eq!(f.reps_present(), [3, 4]);
    assert_eq!(
        parse_errs(&TAILED, &f.render(), None),
        [err(Kind::Missing, "G1", 3), err(Kind::Missing, "T1", 0)]
    );
    f.set_rep("G1", 3, "Y");
    f.set("T1", "Z");
    let parsed = parse_ok(&TAILED, &f.render(), None);
    assert_eq!(parsed.get("T1"), "Z");
    assert_eq!(parsed.get("T2"), "7");
    assert_eq!(parsed.get_rep("G2", 3), "Hàng");
}

// --------------------------------- 5. empty fields, too many lines

#[test]
fn trailing_empty_fields_are_not_sent_interior_ones_are_spaces() {
    let layout = ida();
    let mut f = Fields::new(layout);
    f.set("ICB", "A11");
    let body = f.render();
    let lines = lines_of(&body);
    assert_eq!(lines.len(), 6, "nothing after ICB");
    for (pos, line) in lines.iter().enumerate().take(5) {
        let (item, _) = layout.item_at(pos).unwrap();
        assert_eq!(*line, " ".repeat(item.width as usize), "line {}", pos + 1);
    }
    assert_eq!(lines[5], "A11");

    f.set("IMN", VIET);
    assert_eq!(lines_of(&f.render()).len(), 15);
    // Clearing the last value (blank counts as empty) drops its line and
    // every blank one before it.
    f.set("IMN", "   ");
    assert_eq!(f.render(), body);
    assert_eq!(f.values().len(), 6);

    // A goods field alone: everything up to it is sent, blank.
    let mut f = Fields::new(layout);
    f.set_rep("CMD", 2, "84713020");
    let body = f.render();
    let lines = lines_of(&body);
    assert_eq!(lines.len(), 175 + 46 + 1);
    assert_eq!(lines[221], "84713020    ");
    assert!(lines[..221]
        .iter()
        .all(|l| !l.is_empty() && l.bytes().all(|b| b == b' ')));
    assert!(f.get_rep("CMD", 1).is_empty());

    // Nothing set: empty body.
    assert_eq!(Fields::new(layout).render(), "");
}

#[test]
fn blank_and_short_lines_parse_as_empty_and_trailing_ones_are_dropped() {
    let f = parse_ok(&PROBE, "Đư\r\n\r\n     \r\n", None);
    assert_eq!(f.values(), ["Đư"]);
    assert_eq!(f.render(), "Đư  \r\n");
    // A last line without CR LF still counts.
    let f = parse_ok(&PROBE, "\r\nAB\r\n\r\n1.5", None);
    assert_eq!(f.values(), ["", "AB", "", "1.5"]);
    assert_eq!(f.render(), "      \r\nAB   \r\n     \r\n   1.5\r\n");
}

#[test]
fn more_lines_than_positions_is_refused() {
    let cases: Vec<(&'static Layout, String, Option<TooManyLines>)> = vec![
        (&PROBE, "\r\n".repeat(4), None),
        (
            &PROBE,
            "\r\n".repeat(5),
            Some(TooManyLines { lines: 5, max: 4 }),
        ),
        (
            &PROBE,
            "a\r\nb\r\nc\r\nd\r\ne".to_string(),
            Some(TooManyLines { lines: 5, max: 4 }),
        ),
        (
            &TAILED,
            "\r\n".repeat(17),
            Some(TooManyLines { lines: 17, max: 16 }),
        ),
        (ida(), "\r\n".repeat(2475), None),
        (
            ida(),
            "\r\n".repeat(2476),
            Some(TooManyLines {
                lines: 2476,
                max: 2475,
            }),
        ),
        (
            job_layout("IDC").unwrap(),
            "101234567890\r\n0\r\nX\r\n".to_string(),
            Some(TooManyLines { lines: 3, max: 2 }),
        ),
    ];
    for (layout, body, want) in cases {
        let got = Fields::parse(layout, &body, JobCodes::get(layout.code));
        match want {
            Some(e) => assert_eq!(got.err(), Some(e), "{} {} bytes", layout.code, body.len()),
            None => assert!(got.is_ok(), "{}", layout.code),
        }
    }
}

#[test]
fn split_lines_cases() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("a", &["a"]),
        ("a\r\n", &["a"]),
        ("\r\n", &[""]),
        ("a\r\n\r\n", &["a", ""]),
        ("a\r\nb", &["a", "b"]),
        ("a\nb\r\n", &["a\nb"]),
    ];
    for &(body, want) in cases {
        assert_eq!(split_lines(body), want, "{body:?}");
    }
}

// ------------------------------------ 6. position and item_at agree

fn check_positions(layout: &'static Layout) {
    let code = layout.code;
    let n = layout.positions();
    for pos in 0..n {
        let (item, rep) = layout
            .item_at(pos)
            .unwrap_or_else(|| panic!("{code} {pos}"));
        assert_eq!(
            layout.position(item.id, rep),
            Some(pos),
            "{code} {} rep {rep}",
            item.id
        );
    }
    assert!(layout.item_at(n).is_none(), "{code}: nothing at {n}");
    assert!(layout.position("?!", 0).is_none());
    let grouped = |k: usize| {
        layout
            .group
            .is_some_and(|g| k >= g.start && k < g.start + g.len)
    };
    let mut seen = 0;
    for (k, item) in layout.items.iter().enumerate() {
        if grouped(k) {
            let g = layout.group.unwrap();
            assert_eq!(
                layout.position(item.id, 0),
                None,
                "{code} {}: rep 0",
                item.id
            );
            assert_eq!(
                layout.position(item.id, g.repeat + 1),
                None,
                "{code} {}",
                item.id
            );
            // Line k of item j sits at base + k * group size (PROTOCOL.md 2.3);
            // the first loop already checked `position` at every one of them.
            for rep in 1..=g.repeat {
                let p = g.start + (rep as usize - 1) * g.len + (k - g.start);
                let (at, r) = layout.item_at(p).unwrap();
                assert!(
                    std::ptr::eq(at, item) && r == rep,
                    "{code} {} rep {rep}",
                    item.id
                );
                seen += 1;
            }
            for rep in [1, g.repeat] {
                let p = g.start + (rep as usize - 1) * g.len + (k - g.start);
                assert_eq!(layout.position(item.id, rep), Some(p), "{code} {}", item.id);
            }
        } else {
            assert_eq!(layout.position(item.id, 1), None, "{code} {}", item.id);
            let p = layout.position(item.id, 0).unwrap();
            assert!(std::ptr::eq(layout.item_at(p).unwrap().0, item));
            assert_eq!(layout.item_at(p).unwrap().1, 0);
            seen += 1;
        }
    }
    assert_eq!(seen, n, "{code}: every position reached from an item");
}

#[test]
fn position_and_item_at_are_inverse_for_every_layout() {
    for layout in tables::JOBS.iter().chain(tables::OUTPUTS) {
        check_positions(layout);
    }
    check_positions(&PROBE);
    check_positions(&TAILED);
}

#[test]
fn positions_of_ida_and_ola_match_the_examples() {
    // (layout, id, rep, 1-based line from the annotated examples)
    let cases = [
        ("IDA", "ICN", 0, 1),
        ("IDA", "ICB", 0, 6),
        ("IDA", "IMN", 0, 15),
        ("IDA", "PSC", 0, 47),
        ("IDA", "IP4", 0, 74),
        ("IDA", "I10", 0, 175),
        ("IDA", "CMD", 1, 176),
        ("IDA", "CMN", 1, 182),
        ("IDA", "TSC", 1, 194),
        ("IDA", "CMD", 2, 222),
        ("IDA", "TG5", 50, 2475),
        ("OLA", "IEI", 0, 2),
        ("OLA", "CM1", 0, 35),
        ("OLA", "WU1", 0, 64),
        ("OLA", "CNO", 1, 308),
        ("OLA", "CNO", 100, 308 + 99 * 8),
    ];
    for (code, id, rep, line) in cases {
        let layout = job_layout(code).unwrap();
        assert_eq!(
            layout.position(id, rep),
            Some(line - 1),
            "{code} {id} {rep}"
        );
        let (item, r) = layout.item_at(line - 1).unwrap();
        assert_eq!((item.id, r), (id, rep), "{code} line {line}");
    }
    assert_eq!(ida().positions(), 175 + 50 * 46);
    assert_eq!(job_layout("OLA").unwrap().positions(), 307 + 100 * 8);
}

#[test]
fn positions_after_a_group() {
    let want = [
        ("H1", 0),
        ("H2", 0),
        ("G1", 1),
        ("G2", 1),
        ("G3", 1),
        ("G1", 2),
        ("G2", 2),
        ("G3", 2),
        ("G1", 3),
        ("G2", 3),
        ("G3", 3),
        ("G1", 4),
        ("G2", 4),
        ("G3", 4),
        ("T1", 0),
        ("T2", 0),
    ];
    assert_eq!(TAILED.positions(), want.len());
    for (pos, (id, rep)) in want.into_iter().enumerate() {
        let (item, r) = TAILED.item_at(pos).unwrap();
        assert_eq!((item.id, r), (id, rep), "item_at({pos})");
        assert_eq!(TAILED.position(id, rep), Some(pos), "position({id}, {rep})");
    }
    assert_eq!(TAILED.item_at(16), None);
    assert_eq!(TAILED.position("T1", 1), None);
    assert_eq!(TAILED.position("G1", 5), None);
}

// ------------------------------ 7. field errors become result codes

#[test]
fn field_errors_map_to_the_jobs_result_codes() {
    // (job, kind, field, rep, text); codes as listed in codes_table.rs.
    let cases = [
        // Specific codes of the kind for the field.
        ("IDA", Kind::Missing, "CMD", 3, "S0150-CMD -0003"),
        ("IDA", Kind::Missing, "ICB", 0, "S0055-ICB -0000"),
        ("IDA", Kind::Missing, "CMN", 1, "S0270-CMN -0001"),
        ("IDA", Kind::Missing, "OR", 2, "S0151-OR  -0002"),
        ("IDA", Kind::Missing, "QN1", 1, "S1097-QN1 -0001"),
        ("IDA", Kind::Missing, "QT1", 50, "S1098-QT1 -0050"),
        ("IDA", Kind::Missing, "ARR", 0, "S1021-ARR -0000"),
        ("IDA", Kind::Missing, "PSC", 0, "S1025-PSC -0000"),
        ("IDA", Kind::NotDate, "ARR", 0, "S1022-ARR -0000"),
        ("IDA", Kind::NotDate, "RED", 0, "S1006-RED -0000"),
        ("IDA", Kind::NotDate, "D07", 0, "S1086-D07 -0000"),
        ("IDA", Kind::Format, "QN1", 4, "S0026-QN1 -0004"),
        ("IDA", Kind::Format, "BPR", 1, "S0024-BPR -0001"), // first of S0024/S0048
        ("IDA", Kind::Format, "NO", 0, "S1009-NO  -0000"),
        ("IDA", Kind::TooLong, "IMN", 0, "S0999-IMN -0000"),
        ("IDA", Kind::TooLong, "CMN", 12, "S0999-CMN -0012"),
        ("IDA", Kind::Chars, "ICB", 0, "S0900-ICB -0000"),
        ("IDA", Kind::Chars, "CMN", 7, "S0900-CMN -0007"),
        // No code of that kind for the field: the field's Chars code.
        ("IDA", Kind::Missing, "MTC", 0, "S0900-MTC -0000"),
        ("IDA", Kind::Missing, "SKB", 0, "S0900-SKB -0000"),
        ("IDA", Kind::TooLong, "ICB", 0, "S0900-ICB -0000"),
        ("IDA", Kind::Format, "ICB", 0, "S0900-ICB -0000"),
        ("IDA", Kind::Format, "CMN", 5, "S0900-CMN -0005"),
        ("IDA", Kind::NotDate, "CMD", 1, "S0900-CMD -0001"),
        // No Chars code for the field either: its Format code.
        ("OLC", Kind::Chars, "SCG", 0, "S0004-SCG -0000"),
        ("OLC", Kind::TooLong, "SCG", 0, "S0004-SCG -0000"),
        // Nothing for the field: a code of the kind that names no field ...
        ("IDC", Kind::Format, "JKN", 0, "L0991-JKN -0000"),
        // ... but not one that names other fields (S0025 is about ICN,
        // S0008 about the B/L numbers): then the system format code.
        ("IDC", Kind::Missing, "JKN", 0, "A0017-JKN -0000"),
        ("IDA", Kind::Missing, "ZZZ", 0, "A0017-ZZZ -0000"),
        ("IDC", Kind::TooLong, "JKN", 0, "A0017-JKN -0000"),
        ("IDC", Kind::NotDate, "JKN", 0, "A0017-JKN -0000"),
        ("OLC", Kind::NotDate, "OLT", 0, "A0017-OLT -0000"),
    ];
    for (job, kind, id, rep, text) in cases {
        let codes = JobCodes::get(job).unwrap();
        let rc = FieldError {
            kind,
            field: id,
            rep,
        }
        .to_result(codes);
        assert_eq!(rc.to_string(), text, "{job} {kind:?} {id} {rep}");
        assert_eq!(text.len(), 15);
        assert_eq!(ResultCode::parse(text), Some(rc.clone()));
        assert_eq!(rc.field(), Some(id));
        assert_eq!(rc.rep(), rep);
        let code = &text[..5];
        assert!(
            code == super::codes::SYS_FORMAT || codes.find(code).is_some(),
            "{code}"
        );
    }
}

#[test]
fn fallback_codes_always_exist_in_the_jobs_table() {
    let kinds = [
        Kind::Missing,
        Kind::Format,
        Kind::NotDate,
        Kind::Chars,
        Kind::TooLong,
    ];
    for job in ["IDA", "IDB", "IDC", "EDA", "OLA", "OLC", "AMA", "TIA"] {
        let codes = JobCodes::get(job).unwrap();
        for item in job_layout(job).unwrap().items {
            for kind in kinds {
                let code = codes.for_field(kind, item.id);
                assert!(
                    code == super::codes::SYS_FORMAT || codes.find(code).is_some(),
                    "{job} {kind:?} {}: {code}",
                    item.id
                );
            }
        }
    }
}

#[test]
fn parse_errors_become_the_result_line() {
    let mut f = minimal_ida();
    for &(id, r, v) in IDA_MINIMAL {
        if r == 1 {
            f.set_rep(id, 2, v);
            f.set_rep(id, 3, v);
        }
    }
    f.set_rep("CMD", 3, "");
    f.set("ARR", "31022024");
    let codes = ida_codes();
    let line: String = parse_errs(ida(), &f.render(), Some(codes))
        .iter()
        .map(|e| e.to_result(codes).to_string())
        .collect();
    assert_eq!(line, "S1022-ARR -0000S0150-CMD -0003");
    let back: Vec<String> = ResultCode::parse_line(&line)
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(back, ["S1022-ARR -0000", "S0150-CMD -0003"]);
}

// ----------------------------------------------- 8. header and examples

#[test]
fn header_fields_tile_the_398_bytes() {
    let mut next = 0;
    for h in HField::ALL {
        let (off, width) = h.span();
        assert_eq!(off, next, "{h:?} starts where the previous field ends");
        assert!(width > 0);
        next = off + width;
    }
    assert_eq!(next, 398);
    assert_eq!(HEADER_LEN, 400);
    let annotated = [
        (HField::Control, 0, 3),
        (HField::JobCode, 3, 5),
        (HField::OutCode, 8, 7),
        (HField::UserId, 29, 8),
        (HField::Password, 37, 8),
        (HField::Path, 45, 6),
        (HField::Subject, 115, 64),
        (HField::RtpInfo, 179, 30),
        (HField::DataInfo, 219, 26),
        (HField::Div, 245, 3),
        (HField::EndFlag, 248, 1),
        (HField::SendGuard, 251, 1),
        (HField::IndexInfo, 263, 100),
        (HField::System, 364, 1),
        (HField::Length, 392, 6),
    ];
    for (h, off, width) in annotated {
        assert_eq!(h.span(), (off, width), "{h:?}");
    }
}

#[test]
fn header_set_pads_cuts_and_masks() {
    let mut h = Header::default();
    assert_eq!(h.get(HField::Div), "001");
    assert_eq!(h.get(HField::EndFlag), "E");
    assert_eq!(h.get(HField::System), "1");
    assert_eq!(h.length(), Some(400));
    let cases = [
        (HField::JobCode, "IDA", "IDA  "),
        (HField::JobCode, "IDA01", "IDA01"),
        (HField::JobCode, "IDA0123", "IDA01"),
        (HField::Path, "T1", "T1    "),
        (HField::UserId, "ÂBC", "??BC    "),
        (HField::Control, "", "   "),
    ];
    for (f, value, raw) in cases {
        h.set(f, value);
        assert_eq!(h.raw_field(f), raw, "{f:?} {value:?}");
    }
    assert!(h.bytes().iter().all(|b| (0x20..=0x7E).contains(b)));
    h.set(HField::Length, "00x400");
    assert_eq!(h.length(), None);
    h.set_length(10748);
    assert_eq!(h.raw_field(HField::Length), "010748");
}

fn example_header(job: &str) -> Header {
    let mut h = Header::default();
    h.set(HField::Control, "SS");
    h.set(HField::JobCode, job);
    h.set(HField::UserId, "ABC12001");
    h.set(HField::Password, "PASSW0RD");
    h.set(HField::Path, "T12345");
    h.set(HField::DataInfo, "T1234520240115093000000001");
    h
}

/// The header of example 01, byte by byte from its annotation.
fn annotated_ida_header(total: usize) -> Vec<u8> {
    let mut raw = vec![b' '; 398];
    for (off, text) in [
        (0, "SS"),
        (3, "IDA"),
        (29, "ABC12001"),
        (37, "PASSW0RD"),
        (45, "T12345"),
        (219, "T1234520240115093000000001"),
        (245, "001"),
        (248, "E"),
        (364, "1"),
    ] {
        raw[off..off + text.len()].copy_from_slice(text.as_bytes());
    }
    raw[392..398].copy_from_slice(format!("{total:06}").as_bytes());
    raw.extend_from_slice(b"\r\n");
    raw
}

#[test]
fn ida_request_like_example_01() {
    let layout = ida();
    let mut f = Fields::new(layout);
    let imn = "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ";
    let cmn = "Máy tính xách tay, mới 100%";
    f.set("ICB", "A11");
    f.set("IMN", imn);
    f.set_rep("CMD", 1, "84713020");
    f.set_rep("CMN", 1, cmn);
    let bytes = Message::new(example_header("IDA"), f.render()).render();

    // Byte offsets from 01-import-IDA-request.annotated.txt: ICB line 6 at
    // 450, IMN line 15 at 511, CMD line 176 at 9980, CMN line 182 at 10038;
    // the body ends with CMN, so the message is 10038 + 600 + 2 bytes.
    let total = 10038 + 600 + 2;
    assert_eq!(bytes.len(), total);
    assert_eq!(&bytes[..400], &annotated_ida_header(total)[..]);
    assert_eq!(&bytes[392..398], b"010640");
    assert_eq!(&bytes[398..400], b"\r\n");

    // Lines 1..14 are full-width blanks (ICB aside), so IMN starts at 511.
    let mut off = 400;
    for pos in 0..14 {
        let (item, _) = layout.item_at(pos).unwrap();
        let w = item.width as usize;
        let content = &bytes[off..off + w];
        if item.id == "ICB" {
            assert_eq!(off, 450);
            assert_eq!(content, b"A11");
        } else {
            assert!(content.iter().all(|&b| b == b' '), "line {} blank", pos + 1);
        }
        assert_eq!(&bytes[off + w..off + w + 2], b"\r\n");
        off += w + 2;
    }
    assert_eq!(off, 511);
    let imn_line = &bytes[511..811];
    assert_eq!(&imn_line[..imn.len()], imn.as_bytes());
    assert!(imn_line[imn.len()..].iter().all(|&b| b == b' '));
    assert_eq!(&bytes[811..813], b"\r\n");
    assert_eq!(&bytes[9980..9992], b"84713020    ");
    assert_eq!(&bytes[9992..9994], b"\r\n");
    assert_eq!(&bytes[10038..10038 + cmn.len()], cmn.as_bytes());
    assert_eq!(&bytes[total - 2..], b"\r\n");

    // And back.
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.job_code(), "IDA");
    assert_eq!(m.header.get(HField::UserId), "ABC12001");
    assert_eq!(m.header.length(), Some(total));
    assert_eq!(m.render(), bytes);
    let back = parse_errs(layout, &m.body, Some(ida_codes()));
    // Only the four fields were sent; the other required ones are missing.
    assert!(back.iter().all(|e| e.kind == Kind::Missing), "{back:?}");
    assert!(!back
        .iter()
        .any(|e| ["ICB", "CMD", "CMN"].contains(&e.field)));
}

/// (line, byte offset, id, rep, value) as the annotated examples list them.
type Annotated = [(usize, usize, &'static str, u16, &'static str)];

const EXAMPLE_01_IDA: &Annotated = &[
    (6, 450, "ICB", 0, "A11"),
    (8, 458, "MTC", 0, "2"),
    (9, 461, "SKB", 0, "4"),
    (10, 464, "CH", 0, "02CI"),
    (11, 472, "CHB", 0, "02"),
    (14, 496, "IMC", 0, "0101234567"),
    (15, 511, "IMN", 0, "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ"),
    (17, 822, "IMA", 0, "SỐ 1 ĐƯỜNG VÍ DỤ, QUẬN MẪU, HÀ NỘI"),
    (18, 1124, "IMT", 0, "02412345678"),
    (22, 1478, "EPN", 0, "EXAMPLE TRADING CO., LTD"),
    (24, 1561, "EPA", 0, "1-2-3 EXAMPLE STREET"),
    (26, 1635, "EP3", 0, "TOKYO"),
    (28, 1709, "EPO", 0, "JP"),
    (31, 1792, "BL1", 0, "EXAMPLEBL0001"),
    (36, 1977, "NO", 0, "10"),
    (37, 1987, "NOT", 0, "PK"),
    (38, 1992, "GW", 0, "1250.5"),
    (39, 2004, "GWT", 0, "KGM"),
    (40, 2009, "ST", 0, "02CIS01"),
    (43, 2171, "VSN", 0, "EXAMPLE VESSEL"),
    (44, 2208, "ARR", 0, "15012024"),
    (45, 2218, "DST", 0, "VNCLI"),
    (47, 2263, "PSC", 0, "JPTYO"),
    (66, 2475, "IV1", 0, "B"),
    (68, 2492, "IV3", 0, "INV-2024-001"),
    (69, 2529, "IVD", 0, "10012024"),
    (70, 2539, "IVP", 0, "KC"),
    (71, 2548, "IP1", 0, "A"),
    (72, 2551, "IP2", 0, "CIF"),
    (73, 2556, "IP3", 0, "USD"),
    (74, 2561, "IP4", 0, "25000"),
    (176, 9980, "CMD", 1, "84713020"),
    (182, 10038, "CMN", 1, "Máy tính xách tay, mới 100%"),
    (183, 10640, "OR", 1, "CN"),
    (187, 10664, "QN1", 1, "100"),
    (188, 10678, "QT1", 1, "PCE"),
    (191, 10704, "BPR", 1, "25000"),
    (192, 10726, "UPR", 1, "250"),
    (193, 10737, "UPC", 1, "USD"),
    (194, 10742, "TSC", 1, "PCE"),
];

const EXAMPLE_02_EDA: &Annotated = &[
    (6, 450, "ECB", 0, "B11"),
    (8, 458, "MTC", 0, "2"),
    (10, 471, "CH", 0, "02CI"),
    (11, 479, "CHB", 0, "01"),
    (13, 493, "EPC", 0, "0301234567"),
    (14, 508, "EPN", 0, "CÔNG TY CỔ PHẦN XUẤT KHẨU MẪU"),
    (16, 819, "EPA", 0, "12 ĐƯỜNG MẪU, PHƯỜNG 1, TP. HỒ CHÍ MINH"),
    (17, 1121, "EPT", 0, "02838123456"),
    (21, 1475, "CGN", 0, "SAMPLE IMPORT INC"),
    (23, 1558, "CGA", 0, "100 SAMPLE AVE"),
    (25, 1632, "CAC", 0, "LOS ANGELES"),
    (27, 1706, "CGK", 0, "US"),
    (29, 1717, "EKN", 0, "EXAMPLEBK0002"),
    (30, 1754, "NO", 0, "5"),
    (31, 1764, "NOT", 0, "CT"),
    (32, 1769, "GW", 0, "800"),
    (33, 1781, "GWT", 0, "KGM"),
    (35, 1795, "DSC", 0, "USLAX"),
    (37, 1839, "PSC", 0, "VNCLI"),
    (41, 1932, "SYM", 0, "20012024"),
    (58, 2297, "IP2", 0, "FOB"),
    (59, 2302, "IP3", 0, "USD"),
    (60, 2307, "IP4", 0, "12000"),
    (61, 2329, "IP1", 0, "A"),
    (184, 9635, "CMD", 1, "61091000"),
    (190, 9693, "CMN", 1, "Áo thun nam 100% cotton"),
    (193, 10320, "QN1", 1, "1200"),
    (194, 10334, "QT1", 1, "PCE"),
    (197, 10360, "BPR", 1, "12000"),
];

const EXAMPLE_03_OLA: &Annotated = &[
    (2, 414, "IEI", 0, "I"),
    (3, 417, "CHC", 0, "02CI"),
    (4, 425, "TRC", 0, "0309999999"),
    (5, 440, "TRN", 0, "CÔNG TY VẬN TẢI MẪU"),
    (10, 1077, "BYA", 0, "31"),
    (11, 1081, "OBJ", 0, "FAC"),
    (12, 1086, "USS", 0, "NR"),
    (13, 1090, "SDT", 0, "15012024"),
    (14, 1100, "SDH", 0, "08"),
    (15, 1104, "EDT", 0, "15012024"),
    (16, 1114, "EDH", 0, "17"),
    (17, 1118, "DPR", 0, "02CIS01"),
    (21, 1250, "ARR", 0, "02XEOZZ"),
    (33, 2245, "CG1", 0, "EXAMPLEBL0001"),
    (35, 2292, "CM1", 0, "Linh kiện điện tử"),
    (61, 4652, "PC1", 0, "10"),
    (62, 4662, "PU1", 0, "PK"),
    (63, 4667, "GW1", 0, "1250.5"),
    (64, 4679, "WU1", 0, "KGM"),
];

const EXAMPLE_05_VAD1AC: &Annotated = &[
    (1, 400, "ICN", 0, "101234567890"),
    (7, 453, "A06", 0, "1"),
    (8, 458, "A02", 0, "A11"),
    (10, 466, "ADB", 0, "2"),
    (11, 469, "A05", 0, "4"),
    (13, 478, "A07", 0, "CCHQCLHCM"),
    (14, 490, "A08", 0, "02"),
    (15, 494, "A09", 0, "15012024"),
    (16, 504, "AD1", 0, "120002"),
    (21, 543, "A18", 0, "0101234567"),
    (22, 558, "A19", 0, "CÔNG TY TNHH THƯƠNG MẠI VÍ DỤ"),
];

/// Renders the annotated fields and checks every annotated byte fact:
/// line numbers, byte offsets, padded line contents, total length.
fn check_example(
    layout: &'static Layout,
    header: Header,
    entries: &Annotated,
    total: usize,
) -> Vec<u8> {
    let code = layout.code;
    let mut f = Fields::new(layout);
    for &(_, _, id, rep, v) in entries {
        f.set_rep(id, rep, v);
        assert_eq!(f.get_rep(id, rep), v, "{code} {id}");
    }
    let bytes = Message::new(header, f.render()).render();
    assert_eq!(bytes.len(), total, "{code}: message ends at byte {total}");
    assert_eq!(&bytes[392..398], format!("{total:06}").as_bytes(), "{code}");
    assert_eq!(&bytes[398..400], b"\r\n");
    let body = std::str::from_utf8(&bytes[400..]).unwrap();
    assert_eq!(
        lines_of(body).len(),
        entries.last().unwrap().0,
        "{code}: body lines"
    );
    for &(line, off, id, rep, v) in entries {
        let pos = layout.position(id, rep).unwrap();
        assert_eq!(pos + 1, line, "{code} {id}: line");
        let item = layout.item_at(pos).unwrap().0;
        let w = item.width as usize;
        let want = padded(item, v) + "\r\n";
        assert_eq!(
            std::str::from_utf8(&bytes[off..off + w + 2]).ok(),
            Some(want.as_str()),
            "{code} {id} at byte {off}"
        );
        // The line really starts there: the preceding body has line - 1 CR LFs.
        assert_eq!(
            body[..off - 400].matches("\r\n").count(),
            line - 1,
            "{code} {id}"
        );
    }
    let m = Message::parse(&bytes).unwrap();
    let parsed = parse_ok(layout, &m.body, JobCodes::get(code));
    assert!(parsed == f, "{code}: parses back");
    bytes
}

#[test]
fn annotated_examples_byte_for_byte() {
    let bytes = check_example(ida(), example_header("IDA"), EXAMPLE_01_IDA, 10748);
    assert_eq!(&bytes[..400], &annotated_ida_header(10748)[..]);
    check_example(
        job_layout("EDA").unwrap(),
        example_header("EDA"),
        EXAMPLE_02_EDA,
        10382,
    );
    check_example(
        job_layout("OLA").unwrap(),
        example_header("OLA"),
        EXAMPLE_03_OLA,
        4684,
    );
    let mut h = example_header("");
    h.set(HField::OutCode, "VAD1AC0");
    check_example(output_layout("VAD1AC").unwrap(), h, EXAMPLE_05_VAD1AC, 860);
}

#[test]
fn header_only_message_is_400_bytes() {
    // 06b: an ?A2 acknowledgement has no body and Length 000400.
    let bytes = Message::new(example_header("?A2"), String::new()).render();
    assert_eq!(bytes.len(), 400);
    assert_eq!(&bytes[392..400], b"000400\r\n");
    assert_eq!(&bytes[3..8], b"?A2  ");
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.body, "");
}
