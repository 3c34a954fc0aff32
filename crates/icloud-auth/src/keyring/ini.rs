//! The text of Python keyrings.alt's plain-text keyring: an INI file as Python's
//! `configparser.RawConfigParser` reads and writes it.
//!
//! A password is stored in section `escape(service)`, option `escape(username)` (lowercased, as
//! configparser lowercases option names), as a newline followed by the base64 of its UTF-8
//! bytes in 76-character lines. configparser writes such a value as continuation lines indented
//! with a tab (`→` here) and ended by a line holding only a tab:
//!
//! ```text
//! [pyicloud_3A_2F_2Ficloud_2Dpassword]
//! jdoe_40gmail_2ecom =
//! →cMOkOnNzPXdbb11yZA==
//! →
//! ```
//!
//! (with a space after `=`). Reading follows configparser's rules for the parts such a file can
//! hold: comments, blank lines inside values, continuation lines, `=` or `:` as the delimiter.
//! Like configparser, a line it cannot place, a repeated section or a repeated option is an
//! error, so a file that is not understood is never rewritten. Writing renders the whole file
//! the way configparser does, so other sections and options are kept (comments are not, as in
//! Python).
//!
//! Values hold encoded passwords: nothing here implements `Debug`, and errors name line
//! numbers, never contents.

use std::fmt;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

/// The section configparser merges into every other one; it may appear more than once.
const DEFAULT_SECTION: &str = "DEFAULT";

/// Bytes per line of `base64.encodebytes` (76 characters).
const BYTES_PER_LINE: usize = 57;

/// Returns `value` with every UTF-8 byte that is not an ASCII letter or digit written as `_XX`
/// (upper-case hex), as keyrings.alt's `escape` does.
pub(super) fn escape(value: &str) -> String {
    use fmt::Write as _;
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() {
            escaped.push(char::from(byte));
        } else {
            let _ = write!(escaped, "_{byte:02X}");
        }
    }
    escaped
}

/// Returns the stored form of a password: a newline, then `base64.encodebytes` of it.
pub(super) fn encode_secret(secret: &[u8]) -> String {
    let mut value = String::from("\n");
    for line in secret.chunks(BYTES_PER_LINE) {
        value.push_str(&STANDARD.encode(line));
        value.push('\n');
    }
    value
}

/// Returns the password bytes of a stored value, or `None` if it is not base64.
///
/// Like Python's `base64.decodebytes`, characters outside the base64 alphabet (the newlines and
/// indentation of the stored form) are skipped and missing padding is accepted.
pub(super) fn decode_secret(value: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let digits: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
        .collect();
    LENIENT.decode(digits).ok()
}

/// Why a keyring file could not be read; never shows the file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParseError {
    line: usize,
    problem: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for ParseError {}

/// A keyring file's sections and options, in file order.
#[derive(Default)]
pub(super) struct Document {
    sections: Vec<Section>,
}

struct Section {
    name: String,
    /// Names are lowercased, as configparser stores them; values are joined and trimmed at
    /// the end, as configparser returns them.
    options: Vec<(String, String)>,
}

impl Section {
    fn position(&self, option: &str) -> Option<usize> {
        self.options.iter().position(|(name, _)| name == option)
    }
}

impl Document {
    /// Parses the text of a keyring file.
    pub(super) fn parse(text: &str) -> Result<Self, ParseError> {
        let mut parser = Parser::default();
        for (index, line) in text.lines().enumerate() {
            parser.line(index + 1, line)?;
        }
        Ok(parser.finish())
    }

    /// Returns the value of `option` in `section`. Like configparser, the option name is
    /// matched without regard to case and a `[DEFAULT]` option counts for every section.
    pub(super) fn get(&self, section: &str, option: &str) -> Option<&str> {
        let option = option.to_lowercase();
        let lookup = |name: &str| {
            let section = self.section(name)?;
            section
                .position(&option)
                .map(|i| section.options[i].1.as_str())
        };
        self.section(section)?;
        lookup(section).or_else(|| lookup(DEFAULT_SECTION))
    }

    /// Sets `option` in `section`, adding either at the end if missing.
    pub(super) fn set(&mut self, section: &str, option: &str, value: String) {
        let option = option.to_lowercase();
        let index = match self.sections.iter().position(|s| s.name == section) {
            Some(index) => index,
            None => {
                self.sections.push(Section {
                    name: section.to_owned(),
                    options: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        let section = &mut self.sections[index];
        match section.position(&option) {
            Some(i) => section.options[i].1 = value,
            None => section.options.push((option, value)),
        }
    }

    /// Removes `option` from `section` (not from `[DEFAULT]`, as in configparser) and returns
    /// whether it was there. The section stays, even if empty.
    pub(super) fn remove(&mut self, section: &str, option: &str) -> bool {
        let option = option.to_lowercase();
        let Some(section) = self.sections.iter_mut().find(|s| s.name == section) else {
            return false;
        };
        match section.position(&option) {
            Some(i) => {
                section.options.remove(i);
                true
            }
            None => false,
        }
    }

    /// Returns the file's text as configparser writes it: `[DEFAULT]` first, then the sections
    /// in order, each `name = value` with the value's line breaks followed by a tab, and a blank
    /// line after each section.
    pub(super) fn render(&self) -> String {
        let (defaults, others): (Vec<&Section>, Vec<&Section>) = self
            .sections
            .iter()
            .partition(|s| s.name == DEFAULT_SECTION);
        let mut text = String::new();
        for section in defaults.into_iter().chain(others) {
            text.push('[');
            text.push_str(&section.name);
            text.push_str("]\n");
            for (name, value) in &section.options {
                text.push_str(name);
                text.push_str(" = ");
                text.push_str(&value.replace('\n', "\n\t"));
                text.push('\n');
            }
            text.push('\n');
        }
        text
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// configparser's line-by-line reading (`RawConfigParser._read`, strict mode, no inline
/// comments, blank lines allowed inside values).
#[derive(Default)]
struct Parser {
    sections: Vec<Section>,
    /// Value lines of each option of each section, joined at the end.
    lines: Vec<Vec<Vec<String>>>,
    /// The section being read, and the option whose value may continue.
    current: Option<usize>,
    option: Option<usize>,
    indent: usize,
}

impl Parser {
    fn line(&mut self, number: usize, line: &str) -> Result<(), ParseError> {
        let error = |problem| ParseError {
            line: number,
            problem,
        };
        let stripped = line.trim();
        let comment = stripped.starts_with('#') || stripped.starts_with(';');
        if stripped.is_empty() || comment {
            // A blank line belongs to the value being read; a comment line to nothing.
            if let (false, Some(value)) = (comment, self.value_lines()) {
                value.push(String::new());
            }
            return Ok(());
        }
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if indent > self.indent
            && let Some(value) = self.value_lines()
        {
            value.push(stripped.to_owned());
            return Ok(());
        }
        self.indent = indent;
        if let Some(name) = section_header(stripped) {
            self.option = None;
            if let Some(index) = self.sections.iter().position(|s| s.name == name) {
                if name != DEFAULT_SECTION {
                    return Err(error("a section appears twice"));
                }
                self.current = Some(index);
            } else {
                self.sections.push(Section {
                    name: name.to_owned(),
                    options: Vec::new(),
                });
                self.lines.push(Vec::new());
                self.current = Some(self.sections.len() - 1);
            }
            return Ok(());
        }
        let Some(current) = self.current else {
            return Err(error("text before the first [section] line"));
        };
        let Some(split) = stripped.find(['=', ':']) else {
            return Err(error(
                "a line that is neither a [section] nor an option = value",
            ));
        };
        let name = stripped[..split].trim_end().to_lowercase();
        if name.is_empty() {
            return Err(error("an option without a name"));
        }
        let section = &mut self.sections[current];
        if section.position(&name).is_some() {
            return Err(error("an option appears twice in its section"));
        }
        section.options.push((name, String::new()));
        self.lines[current].push(vec![stripped[split + 1..].trim().to_owned()]);
        self.option = Some(section.options.len() - 1);
        Ok(())
    }

    /// Returns the lines of the value being read, if an option is being read.
    fn value_lines(&mut self) -> Option<&mut Vec<String>> {
        let (section, option) = (self.current?, self.option?);
        self.lines.get_mut(section)?.get_mut(option)
    }

    fn finish(mut self) -> Document {
        for (section, lines) in self.sections.iter_mut().zip(self.lines) {
            for ((_, value), lines) in section.options.iter_mut().zip(lines) {
                *value = lines.join("\n").trim_end().to_owned();
            }
        }
        Document {
            sections: self.sections,
        }
    }
}

/// Returns the name in a `[name]` line: everything between the first `[` and the last `]`.
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly where it unwraps")]
mod tests {
    use super::*;

    const SERVICE: &str = "pyicloud_3A_2F_2Ficloud_2Dpassword";

    /// What Python's keyring 25.6.0 with keyrings.alt 5.0.2 wrote for `set_password` of
    /// `jdoe@gmail.com` (password `pä:s=[m]od`), then of `other@example.com`. The first value
    /// lost its trailing tab line when Python read and rewrote the file for the second.
    const PYTHON_WRITTEN: &str = "[pyicloud_3A_2F_2Ficloud_2Dpassword]\n\
                                  jdoe_40gmail_2ecom = \n\
                                  \tcMOkOnM9W21db2Q=\n\
                                  other_40example_2ecom = \n\
                                  \tc2Vjb25k\n\
                                  \t\n\
                                  \n";

    #[test]
    fn escape_matches_keyrings_alt() {
        assert_eq!(escape("pyicloud://icloud-password"), SERVICE);
        assert_eq!(escape("jdoe@gmail.com"), "jdoe_40gmail_2Ecom");
        assert_eq!(escape("a+b.c@x"), "a_2Bb_2Ec_40x");
        assert_eq!(escape("Zoë"), "Zo_C3_AB");
        assert_eq!(escape("AZaz09"), "AZaz09");
        assert_eq!(escape("_ "), "_5F_20");
    }

    #[test]
    fn encoding_matches_encodebytes() {
        assert_eq!(encode_secret(b"hunter2"), "\naHVudGVyMg==\n");
        // 57 bytes make exactly one 76-character line.
        let long = encode_secret(&[b'x'; 58]);
        let lines: Vec<&str> = long.split('\n').collect();
        assert_eq!(lines.len(), 4, "{long}");
        assert_eq!(
            (lines[0], lines[1].len(), lines[2], lines[3]),
            ("", 76, "eA==", "")
        );
        assert_eq!(decode_secret(&long).unwrap(), vec![b'x'; 58]);
        assert_eq!(decode_secret("\n\taHVu dGVyMg").unwrap(), b"hunter2");
        assert_eq!(decode_secret("").unwrap(), b"");
        assert!(decode_secret("a").is_none());
    }

    #[test]
    fn reads_what_python_wrote() {
        let doc = Document::parse(PYTHON_WRITTEN).unwrap();
        let value = doc.get(SERVICE, "jdoe_40gmail_2Ecom").unwrap();
        assert_eq!(value, "\ncMOkOnM9W21db2Q=");
        assert_eq!(
            String::from_utf8(decode_secret(value).unwrap()).unwrap(),
            "pä:s=[m]od"
        );
        let other = doc.get(SERVICE, "OTHER_40example_2Ecom").unwrap();
        assert_eq!(decode_secret(other).unwrap(), b"second");
        assert!(doc.get(SERVICE, "nobody").is_none());
        assert!(doc.get("elsewhere", "jdoe_40gmail_2ecom").is_none());
        // Rendering gives back Python's bytes, less the trailing tab line of values that
        // configparser trims on reading (Python itself rewrites them the same way).
        assert_eq!(
            doc.render(),
            PYTHON_WRITTEN.replace("c2Vjb25k\n\t\n", "c2Vjb25k\n")
        );
    }

    #[test]
    fn new_entries_are_written_as_python_writes_them() {
        // Each store reads the file, changes it and writes it back, as Python does.
        let mut doc = Document::default();
        doc.set(
            SERVICE,
            &escape("jdoe@gmail.com"),
            encode_secret("pä:s=[m]od".as_bytes()),
        );
        let mut doc = Document::parse(&doc.render()).unwrap();
        doc.set(
            SERVICE,
            &escape("other@example.com"),
            encode_secret(b"second"),
        );
        assert_eq!(doc.render(), PYTHON_WRITTEN);
    }

    #[test]
    fn set_and_remove_keep_everything_else() {
        let text = "; a comment Python drops too\n\
                    [DEFAULT]\nshared: 1\n\
                    [first]\nKey = one\n  two\n\n  three\n# comment inside\nempty =\n\
                    [pyicloud_3A_2F_2Ficloud_2Dpassword]\nkept = \n\tc2Vjb25k\n\
                    [last]\nx=y\n";
        let mut doc = Document::parse(text).unwrap();
        assert_eq!(doc.get("first", "KEY").unwrap(), "one\ntwo\n\nthree");
        assert_eq!(doc.get("first", "empty").unwrap(), "");
        assert_eq!(doc.get("last", "shared").unwrap(), "1");
        doc.set(SERVICE, "new", encode_secret(b"pw"));
        doc.set("first", "key", "replaced".to_owned());
        assert!(doc.remove(SERVICE, "KEPT"));
        assert!(!doc.remove(SERVICE, "kept"));
        assert!(!doc.remove("last", "shared"));
        assert!(!doc.remove("missing", "x"));
        assert_eq!(
            doc.render(),
            "[DEFAULT]\nshared = 1\n\n\
             [first]\nkey = replaced\nempty = \n\n\
             [pyicloud_3A_2F_2Ficloud_2Dpassword]\nnew = \n\tcHc=\n\t\n\n\
             [last]\nx = y\n\n"
        );
        // Read back, the value loses the tab line that ended it, as in Python; after that,
        // reading and writing changes nothing.
        let again = Document::parse(&doc.render()).unwrap();
        assert_eq!(again.get(SERVICE, "new").unwrap(), "\ncHc=");
        assert_eq!(again.render(), doc.render().replace("cHc=\n\t\n", "cHc=\n"));
        assert_eq!(
            Document::parse(&again.render()).unwrap().render(),
            again.render()
        );
    }

    #[test]
    fn indented_option_lines_and_crlf() {
        let doc = Document::parse("[s]\r\n  a = 1\r\n    more\r\n  b : 2\r\n").unwrap();
        assert_eq!(doc.get("s", "a").unwrap(), "1\nmore");
        assert_eq!(doc.get("s", "b").unwrap(), "2");
    }

    #[test]
    fn files_configparser_rejects_are_errors_without_contents() {
        let cases = [
            ("secret = x\n", 1, "text before the first [section] line"),
            ("[s]\nsecretvalue\n", 2, "a line that is neither"),
            ("[s]\n= secret\n", 2, "an option without a name"),
            ("[s]\na = 1\nA = secret\n", 3, "an option appears twice"),
            ("[s]\n[t]\n[s]\n", 3, "a section appears twice"),
        ];
        for (text, line, problem) in cases {
            let err = Document::parse(text).err().unwrap();
            assert_eq!(err.line, line, "{text:?}");
            let shown = err.to_string();
            assert!(shown.contains(problem), "{text:?}: {shown}");
            assert!(!shown.contains("secret"), "{shown}");
        }
        // configparser allows [DEFAULT] twice and an empty file.
        assert!(Document::parse("[DEFAULT]\na=1\n[DEFAULT]\nb=2\n").is_ok());
        assert_eq!(Document::parse("").unwrap().render(), "");
    }
}
