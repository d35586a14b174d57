//! squig.link / CrinGraph conventions: file names and the phone book.
//!
//! A graph tool loads `DIR + file + " " + channel + ".txt"` for each
//! channel of `default_channels` (`["L","R"]`), so a measurement of one
//! IEM with one variant (a tip, a nozzle, a sample) is a pair of files
//! `IEM Name (Variant) L.txt` / `IEM Name (Variant) R.txt`; a credit may
//! follow as `(by Someone)`. The phone book (`phone_book.json`) lists
//! brands, each with phones; a phone whose `file` is a list of file bases
//! is one phone with variants, named in the menu by its `suffix` list
//! (`name + " " + suffix`).

use crate::session::config::Ear;

/// What a squig.link file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquigName {
    /// The IEM: the part before the first ` (` (without a ` Target`
    /// suffix).
    pub iem: String,
    /// The variant: the last parenthesised group that is not a credit
    /// (`Spring Tips` in `Chu (Spring Tips) L.txt`).
    pub variant: Option<String>,
    /// A credit: `Someone` from `(by Someone)` or `(Tips, by Someone)`.
    pub credit: Option<String>,
    /// The ear (channel) the name ends with: ` L` / ` R`, also with a
    /// sample number (` L2`) or after `_` / `-`.
    pub ear: Option<Ear>,
    /// The sample number after the channel (`L2` -> 2).
    pub sample: Option<u32>,
    /// The file is a target curve (`... Target.txt`).
    pub target: bool,
}

/// The outermost parenthesised groups of `s`.
pub(crate) fn paren_groups(s: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    groups.push(&s[start..i]);
                }
            }
            _ => {}
        }
    }
    groups
}

/// A group split into its text and a credit (`by X`, `..., by X`).
fn split_credit(group: &str) -> (&str, Option<&str>) {
    let g = group.trim();
    let lower = g.to_ascii_lowercase();
    if lower.starts_with("by ") {
        return ("", Some(g[3..].trim()));
    }
    match lower.find(", by ") {
        Some(i) if g.is_char_boundary(i) => (g[..i].trim(), Some(g[i + 5..].trim())),
        _ => (g, None),
    }
}

/// The stem without a trailing channel mark, the ear and the sample
/// number.
fn split_channel(stem: &str) -> (&str, Option<Ear>, Option<u32>) {
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, num) = stem.split_at(stem.len() - digits);
    for sep in [' ', '_', '-'] {
        for (mark, ear) in [('L', Ear::Left), ('R', Ear::Right)] {
            let suffix = format!("{sep}{mark}");
            if let Some(rest) = head.strip_suffix(suffix.as_str()) {
                if !rest.trim().is_empty() {
                    return (rest.trim_end(), Some(ear), num.parse().ok());
                }
            }
        }
    }
    (stem, None, None)
}

/// Parse a squig.link file name (with or without `.txt` / `.csv`).
pub fn parse_name(file_name: &str) -> SquigName {
    let name = file_name.trim();
    let stem = [".txt", ".csv", ".TXT", ".CSV"]
        .iter()
        .find_map(|e| name.strip_suffix(e))
        .unwrap_or(name)
        .trim();
    let (base, ear, sample) = split_channel(stem);
    let (base, target) = match base.strip_suffix(" Target") {
        Some(b) if !b.trim().is_empty() => (b.trim_end(), true),
        _ => (base, false),
    };
    let mut variant = None;
    let mut credit = None;
    for g in paren_groups(base) {
        let (text, by) = split_credit(g);
        if let Some(by) = by.filter(|b| !b.is_empty()) {
            credit = Some(by.to_string());
        }
        if !text.is_empty() {
            variant = Some(text.to_string());
        }
    }
    let iem = base.split(" (").next().unwrap_or(base).trim();
    SquigName {
        iem: if iem.is_empty() { base.trim() } else { iem }.to_string(),
        variant,
        credit,
        ear,
        sample,
        target,
    }
}

/// `s` made safe in a file name: path separators, `:*?"<>|` and control
/// characters become `-`, parentheses become brackets (they delimit the
/// variant), runs of white space one space.
fn safe(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '(' => '[',
            ')' => ']',
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let joined = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = joined.trim_matches('.').trim();
    if trimmed.is_empty() {
        "-".into()
    } else {
        trimmed.to_string()
    }
}

/// The file base of an IEM and variant: `IEM Name (Variant)`, or
/// `IEM Name` without a variant.
pub fn file_base(iem: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{} ({})", safe(iem), safe(v)),
        None => safe(iem),
    }
}

/// The channel letter of an ear (`L`, `R`); `None` for both.
pub fn channel(ear: Ear) -> Option<&'static str> {
    match ear {
        Ear::Left => Some("L"),
        Ear::Right => Some("R"),
        Ear::Both => None,
    }
}

/// The file name of one channel: `IEM Name (Variant) L.txt`.
pub fn file_name(iem: &str, variant: Option<&str>, channel: &str) -> String {
    format!("{} {channel}.txt", file_base(iem, variant))
}

/// A `phone_book.json` listing one IEM with its variants: one brand (the
/// IEM name's first word) holding one phone (the rest of the name, or the
/// whole name when it is one word) whose `file` lists the file bases and
/// whose `suffix` names each variant as `(Variant)`. `variants` pairs each
/// variant's name with its file base ([`file_base`]).
pub fn phone_book(iem: &str, variants: &[(String, String)]) -> serde_json::Value {
    let iem = iem.trim();
    let (brand, model) = match iem.split_once(' ') {
        Some((b, m)) if !m.trim().is_empty() => (b.trim(), m.trim()),
        _ => (iem, iem),
    };
    let files: Vec<&str> = variants.iter().map(|(_, f)| f.as_str()).collect();
    let suffixes: Vec<String> = variants.iter().map(|(v, _)| format!("({v})")).collect();
    serde_json::json!([{
        "name": brand,
        "phones": [{
            "name": model,
            "file": files,
            "suffix": suffixes,
        }],
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_real_databases_parse() {
        let n = parse_name("Aria Snow Edition Sample 2 (Grey Tips) (by ER4SR) L.txt");
        assert_eq!(n.iem, "Aria Snow Edition Sample 2");
        assert_eq!(n.variant.as_deref(), Some("Grey Tips"));
        assert_eq!(n.credit.as_deref(), Some("ER4SR"));
        assert_eq!(n.ear, Some(Ear::Left));
        let n = parse_name("7Hz Aero R.txt");
        assert_eq!(
            (n.iem.as_str(), n.variant, n.ear),
            ("7Hz Aero", None, Some(Ear::Right))
        );
        let n = parse_name("Chu (Spring Tips, by Me) R2.txt");
        assert_eq!(n.variant.as_deref(), Some("Spring Tips"));
        assert_eq!(n.credit.as_deref(), Some("Me"));
        assert_eq!((n.ear, n.sample), (Some(Ear::Right), Some(2)));
        let n = parse_name("Harman IE 2019v2 Target.txt");
        assert!(n.target);
        assert_eq!((n.iem.as_str(), n.ear), ("Harman IE 2019v2", None));
        let n = parse_name("B27 L.txt");
        assert_eq!((n.iem.as_str(), n.ear), ("B27", Some(Ear::Left)));
        let n = parse_name("L.txt");
        assert_eq!((n.iem.as_str(), n.ear), ("L", None));
    }

    #[test]
    fn written_names_parse_back() {
        for (iem, tip) in [
            ("Moondrop Chu", "Spring Tips"),
            ("Odd (name)", "a/b: c?"),
            ("KZ", "Stock (M)"),
        ] {
            for ch in ["L", "R"] {
                let name = file_name(iem, Some(tip), ch);
                let n = parse_name(&name);
                assert_eq!(n.iem, safe(iem), "{name}");
                assert_eq!(n.variant.as_deref(), Some(safe(tip).as_str()), "{name}");
                assert_eq!(channel(n.ear.unwrap()), Some(ch));
            }
        }
        assert_eq!(
            file_name("Moondrop Chu", Some("Spring Tips"), "L"),
            "Moondrop Chu (Spring Tips) L.txt"
        );
    }

    #[test]
    fn phone_book_lists_variants_as_one_phone() {
        let v = vec![
            ("Spring".to_string(), "Moondrop Chu (Spring)".to_string()),
            ("Stock".to_string(), "Moondrop Chu (Stock)".to_string()),
        ];
        let pb = phone_book("Moondrop Chu", &v);
        assert_eq!(pb[0]["name"], "Moondrop");
        assert_eq!(pb[0]["phones"][0]["name"], "Chu");
        assert_eq!(pb[0]["phones"][0]["file"][1], "Moondrop Chu (Stock)");
        assert_eq!(pb[0]["phones"][0]["suffix"][0], "(Spring)");
        assert_eq!(phone_book("Chu", &v)[0]["phones"][0]["name"], "Chu");
    }
}
