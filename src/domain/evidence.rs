//! Evidence files: which kinds are accepted (recognised by their content, never by their
//! name), their size limit, their content address and the name they are served under.

/// The default largest evidence file, in bytes (10 MiB).
pub const DEFAULT_MAX_EVIDENCE_BYTES: u64 = 10 * 1024 * 1024;

/// The kinds of evidence file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    Pdf,
    Png,
    Jpeg,
    Xlsx,
    Csv,
}

impl EvidenceKind {
    pub fn media_type(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "application/pdf",
            EvidenceKind::Png => "image/png",
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            EvidenceKind::Csv => "text/csv",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            EvidenceKind::Pdf => "pdf",
            EvidenceKind::Png => "png",
            EvidenceKind::Jpeg => "jpg",
            EvidenceKind::Xlsx => "xlsx",
            EvidenceKind::Csv => "csv",
        }
    }

    /// The kind of a file from its whole content: PDF, PNG and JPEG by their signatures, XLSX
    /// as a ZIP archive holding `xl/workbook.xml`, CSV as non-empty UTF-8 text without NUL.
    /// `None` for anything else (an executable, HTML renamed `.pdf` is still HTML: refused
    /// unless it is plain text, and then it is served as `text/csv` for download only).
    pub fn sniff(content: &[u8]) -> Option<EvidenceKind> {
        if content.starts_with(b"%PDF-") {
            Some(EvidenceKind::Pdf)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(EvidenceKind::Png)
        } else if content.starts_with(b"\xFF\xD8\xFF") {
            Some(EvidenceKind::Jpeg)
        } else if content.starts_with(b"PK\x03\x04") {
            contains(content, b"xl/workbook.xml").then_some(EvidenceKind::Xlsx)
        } else if !content.is_empty()
            && !content.contains(&0)
            && std::str::from_utf8(content).is_ok()
            && !looks_like_markup(content)
        {
            Some(EvidenceKind::Csv)
        } else {
            None
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Text that starts like HTML, XML or SVG is not a table of values.
fn looks_like_markup(content: &[u8]) -> bool {
    let start: Vec<u8> = content
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(1)
        .copied()
        .collect();
    start.first() == Some(&b'<')
}

/// Whether `text` is a SHA-256 in lowercase hex (64 characters).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file name safe to store and to send in `Content-Disposition`: the last path component,
/// ASCII letters, digits, `.`, `-` and `_` only (others become `_`), no leading dot, at most
/// 100 characters, ending in the extension of its kind.
pub fn safe_file_name(raw: &str, kind: EvidenceKind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_start_matches('.').to_string();
    let ext = kind.extension();
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) => stem.to_string(),
        None => name,
    };
    let mut stem: String = stem.chars().take(90).collect();
    stem = stem.trim_matches('.').to_string();
    if stem.is_empty() {
        stem = "evidencia".to_string();
    }
    format!("{stem}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_by_content_not_name() {
        assert_eq!(
            EvidenceKind::sniff(b"%PDF-1.7\n..."),
            Some(EvidenceKind::Pdf)
        );
        assert_eq!(
            EvidenceKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(EvidenceKind::Png)
        );
        assert_eq!(
            EvidenceKind::sniff(b"\xFF\xD8\xFF\xE0..."),
            Some(EvidenceKind::Jpeg)
        );
        assert_eq!(
            EvidenceKind::sniff(b"PK\x03\x04....xl/workbook.xml..."),
            Some(EvidenceKind::Xlsx)
        );
        assert_eq!(EvidenceKind::sniff(b"PK\x03\x04 word/document.xml"), None);
        assert_eq!(
            EvidenceKind::sniff("año,valor\n2025,3\n".as_bytes()),
            Some(EvidenceKind::Csv)
        );
        assert_eq!(EvidenceKind::sniff(b"MZ\x90\x00\x03\x00"), None);
        assert_eq!(EvidenceKind::sniff(b"  <html><script>"), None);
        assert_eq!(EvidenceKind::sniff(b"a,b\x00"), None);
        assert_eq!(EvidenceKind::sniff(b"\xC3\x28"), None);
        assert_eq!(EvidenceKind::sniff(b""), None);
    }

    #[test]
    fn file_names_lose_paths_and_odd_characters() {
        assert_eq!(
            safe_file_name("../../etc/passwd", EvidenceKind::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            safe_file_name("C:\\x\\in\"forme\r\n.pdf", EvidenceKind::Pdf),
            "in_forme__.pdf"
        );
        assert_eq!(safe_file_name("..", EvidenceKind::Csv), "evidencia.csv");
        assert_eq!(safe_file_name("tabla.exe", EvidenceKind::Csv), "tabla.csv");
        assert_eq!(safe_file_name(".hidden", EvidenceKind::Png), "hidden.png");
    }

    #[test]
    fn hashes_are_lowercase_hex_of_64() {
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(63)));
        assert!(!is_sha256_hex(&format!("{}/", "a".repeat(63))));
    }
}
