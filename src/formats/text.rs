//! Bytes to text for the response and calibration readers: what a file is
//! when it is not text ([`not_text`]), how it is decoded ([`decode`]), and
//! how a line of it is quoted in an error ([`quote`]).
//!
//! Decoding: a UTF-8 BOM or valid UTF-8 is UTF-8; a UTF-16 BOM, or NUL
//! bytes in the pattern of UTF-16 ASCII text, is UTF-16 (LE or BE); any
//! other bytes are CP949 (EUC-KR, as Korean Windows writes REW's comments)
//! when they decode as such and hold Hangul, else Windows-1252 (Latin-1),
//! which decodes any byte. Only comments and headers are ever non-ASCII in
//! these files, so a wrong guess changes a comment, never a number.

use std::path::Path;

/// What to tell a user who gave a binary file instead of a text export.
const TEXT_EXPORT: &str = "give a text export (REW: File > Export > Export measurement as text)";

/// Why `bytes` (read from `path`) are not a text file, phrased to follow
/// the file name ("rec.wav is a WAV file: ..."); `None` for text. WAV,
/// REW's `.mdat` (a Java-serialised object stream, magic `AC ED 00 05`, or
/// any file named `.mdat`), other audio, archives and images are named;
/// any other file with NUL bytes that is not UTF-16 text, or with many
/// control bytes, is "a binary file". No byte of the file is quoted.
pub fn not_text(bytes: &[u8], path: &Path) -> Option<String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    let mdat = "is REW's own binary format (.mdat): export as text in REW \
                (File > Export > Export measurement as text)";
    if ext == "mdat" || starts(&[0xAC, 0xED, 0x00, 0x05]) {
        return Some(mdat.into());
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") || starts(b"RF64") {
        return Some(format!("is a WAV file: {TEXT_EXPORT}"));
    }
    if utf16_order(bytes).is_some() {
        return None;
    }
    let named: Option<&str> = if starts(b"fLaC") {
        Some("a FLAC audio file")
    } else if starts(b"OggS") {
        Some("an Ogg audio file")
    } else if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("an MP3 audio file")
    } else if starts(b"FORM") && matches!(bytes.get(8..12), Some(b"AIFF" | b"AIFC")) {
        Some("an AIFF audio file")
    } else if starts(b"PK\x03\x04") {
        Some("a ZIP archive (unpack it and give one of its text files)")
    } else if starts(&[0x1F, 0x8B]) {
        Some("a gzip archive (unpack it first)")
    } else if starts(b"%PDF") {
        Some("a PDF document")
    } else if starts(b"\x89PNG") || starts(&[0xFF, 0xD8, 0xFF]) || starts(b"GIF8") {
        Some("an image")
    } else {
        None
    };
    if let Some(what) = named {
        return Some(format!("is {what}, not a text export: {TEXT_EXPORT}"));
    }
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    if sample.contains(&0) || control * 100 > sample.len().max(1) {
        return Some(format!(
            "is a binary file, not a text export: {TEXT_EXPORT}"
        ));
    }
    None
}

/// UTF-16 byte order of `bytes`: by BOM, else `Some(true)` (little end
/// first) when at least 3/4 of the odd bytes of the first 4 kB are NUL and
/// hardly any even one is (ASCII text as UTF-16 LE), `Some(false)` for the
/// mirror pattern (UTF-16 BE).
fn utf16_order(bytes: &[u8]) -> Option<bool> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Some(true);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(false);
    }
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_nul = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 4 >= pairs * 3 && even_nul * 20 <= pairs {
        Some(true)
    } else if even_nul * 4 >= pairs * 3 && odd_nul * 20 <= pairs {
        Some(false)
    } else {
        None
    }
}

/// `bytes` as text and the name of the encoding it was read in ("UTF-8",
/// "UTF-16LE", "UTF-16BE", "CP949", "Windows-1252"); a BOM is removed.
/// Call [`not_text`] first: binary bytes decode to nonsense, not an error.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (String::from_utf8_lossy(rest).into_owned(), "UTF-8");
    }
    if let Some(le) = utf16_order(bytes) {
        let body = match bytes {
            [0xFF, 0xFE, rest @ ..] | [0xFE, 0xFF, rest @ ..] => rest,
            _ => bytes,
        };
        let units = body.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
        return (text, if le { "UTF-16LE" } else { "UTF-16BE" });
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), "UTF-8");
    }
    if let Some(s) = encoding_rs::EUC_KR.decode_without_bom_handling_and_without_replacement(bytes)
    {
        if s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
            return (s.into_owned(), "CP949");
        }
    }
    let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    (s.into_owned(), "Windows-1252")
}

/// The lines of `text` with their 1-based numbers: split at `\n` (a `\r`
/// before it is dropped), or at `\r` when the text has no `\n` at all (old
/// Mac line ends).
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let cr_only = !text.contains('\n') && text.contains('\r');
    let sep = if cr_only { '\r' } else { '\n' };
    text.split_terminator(sep)
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// Longest quote of a line in an error, in characters.
pub const QUOTE_CHARS: usize = 60;

/// A line of a file as it may appear in an error: tabs become spaces,
/// other control characters (and the BOM) become `\u{FFFD}`, and past
/// [`QUOTE_CHARS`] characters it is cut with `...`.
pub fn quote(line: &str) -> String {
    let mut out = String::new();
    for (i, c) in line.trim().chars().enumerate() {
        if i == QUOTE_CHARS {
            out.push_str("...");
            break;
        }
        out.push(match c {
            '\t' => ' ',
            c if c.is_control() || c == '\u{feff}' => char::REPLACEMENT_CHARACTER,
            c => c,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(bytes: &[u8], name: &str) -> Option<String> {
        not_text(bytes, Path::new(name))
    }

    #[test]
    fn binary_files_are_named_by_what_they_are() {
        let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
        wav.extend([0u8; 20]);
        assert!(why(&wav, "rec.wav")
            .unwrap()
            .starts_with("is a WAV file: give a text export"));
        let mdat = [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x10];
        assert!(why(&mdat, "x.bin")
            .unwrap()
            .starts_with("is REW's own binary format"));
        assert!(why(b"20 1\n30 2\n", "m.mdat").unwrap().contains("REW"));
        assert!(why(b"PK\x03\x04rest", "a.txt").unwrap().contains("ZIP"));
        assert!(why(b"fLaC\0\0\0\"", "a.txt").unwrap().contains("FLAC"));
        assert!(why(b"abc\0\x01\x02def\0", "a.txt")
            .unwrap()
            .starts_with("is a binary file"));
        assert_eq!(why(b"* REW\n20\t1\n", "a.txt"), None);
        assert_eq!(why("* caf\u{e9}\n20 1\n".as_bytes(), "a.txt"), None);
        assert_eq!(why(b"", "a.txt"), None);
    }

    #[test]
    fn utf16_text_is_text_and_decodes() {
        let text = "* REW\r\n20\t1.5\r\n30\t2\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let mut bom = vec![0xFF, 0xFE];
        bom.extend(&le);
        for (bytes, enc) in [(&le, "UTF-16LE"), (&be, "UTF-16BE"), (&bom, "UTF-16LE")] {
            assert_eq!(why(bytes, "a.txt"), None, "{enc}");
            assert_eq!(decode(bytes), (text.to_string(), enc));
        }
    }

    #[test]
    fn legacy_encodings_decode_without_failing() {
        // "마이크" in CP949, then Latin-1 "café"
        let korean = b"* Source: \xb8\xb6\xc0\xcc\xc5\xa9\n20 1\n";
        assert_eq!(decode(korean), ("* Source: 마이크\n20 1\n".into(), "CP949"));
        let latin = b"* caf\xe9\n20 1\n";
        assert_eq!(decode(latin), ("* café\n20 1\n".into(), "Windows-1252"));
        assert_eq!(decode(b"\xef\xbb\xbf20 1"), ("20 1".into(), "UTF-8"));
    }

    #[test]
    fn quotes_have_no_control_characters_and_are_short() {
        assert_eq!(quote("overall dB\t0.0 dB"), "overall dB 0.0 dB");
        let q = quote("a\u{0}b\u{7}c\u{1b}[2J");
        assert!(!q.chars().any(char::is_control), "{q:?}");
        let long = quote(&"x".repeat(500));
        assert_eq!(long.chars().count(), QUOTE_CHARS + 3);
    }

    #[test]
    fn lines_split_lf_crlf_and_cr() {
        let l: Vec<_> = lines("a\r\nb\nc").collect();
        assert_eq!(l, vec![(1, "a"), (2, "b"), (3, "c")]);
        let l: Vec<_> = lines("a\rb\r").collect();
        assert_eq!(l, vec![(1, "a"), (2, "b")]);
    }
}
