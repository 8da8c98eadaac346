//! Saving a BPE tokenizer to a text file and loading it back.
//!
//! The file lists the alphabet and the merges in order; the vocabulary is rebuilt
//! from them exactly as training built it, so ids survive the round trip.
//! ```text
//!  ferrograd-bpe 1
//!  # ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>, the alphabet from 4, then one token per merge
//!  alphabet 3              ← number of characters, then one per line, in id order
//!  ▁                         (▁ is the space)
//!  e
//!  r
//!  merges 2                ← number of merges, then "left right", in merge order
//!  e r
//!  ▁ er
//! ```
//! `#` lines are comments, allowed only before `alphabet`. Inside a token a backslash
//! is written `\\` and a whitespace or control character `\u{hex}` (a tab is `\u{9}`),
//! so a line never holds a bare space except the one between the two sides of a
//! merge. Read next: `../word.rs`.

use std::path::Path;

use tensor::error::{Error, ErrorKind};

use super::Bpe;
use crate::text::pretokenize::SPACE_MARKER;
use crate::text::vocab::SPECIALS;

const HEADER: &str = "ferrograd-bpe 1";

impl Bpe {
    /// Write the tokenizer to `path` (format in the module doc). The file is written
    /// under a temporary name and then renamed, so it is never left half-written.
    ///
    /// ```
    /// use ferrograd::text::Bpe;
    /// let bpe = Bpe::train(["ein Hund, zwei Hunde"].iter(), 6);
    /// let path = std::env::temp_dir().join(format!("ferrograd-doc-{}.bpe", std::process::id()));
    /// bpe.save(&path).unwrap();
    /// let loaded = Bpe::load(&path).unwrap();
    /// assert_eq!(loaded.encode("drei Hunde"), bpe.encode("drei Hunde"));
    /// ```
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file if it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let tokens = self.vocab.tokens();
        let alphabet = &tokens[4..4 + self.alphabet.len()];
        let mut text = format!(
            "{HEADER}\n# ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>, the alphabet from 4, then one token per merge\nalphabet {}\n",
            alphabet.len()
        );
        for token in alphabet {
            text.push_str(&escape(token));
            text.push('\n');
        }
        text.push_str(&format!("merges {}\n", self.merges.len()));
        for &(a, b) in &self.merges {
            let (a, b) = (&tokens[a as usize], &tokens[b as usize]);
            text.push_str(&format!("{} {}\n", escape(a), escape(b)));
        }
        let name = path
            .file_name()
            .map_or("bpe".into(), |n| n.to_string_lossy());
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                io_error("Bpe::save", path, format!("cannot write: {e}"))
            })
    }

    /// Read a tokenizer written by [`Bpe::save`].
    ///
    /// # Errors
    /// An [`ErrorKind::Io`] error naming the file (and the line) if it cannot be read
    /// or is not a BPE file: a wrong header or count, a bad escape, an alphabet entry
    /// that is not one character, a merge of a token not defined above it.
    pub fn load(path: impl AsRef<Path>) -> Result<Bpe, Error> {
        let path = path.as_ref();
        let fail = |line: usize, problem: String| {
            io_error("Bpe::load", path, format!("line {line}: {problem}"))
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| io_error("Bpe::load", path, format!("cannot read: {e}")))?;
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let mut next = |what: &str| {
            lines
                .next()
                .ok_or_else(|| io_error("Bpe::load", path, format!("the file ends before {what}")))
        };
        let (n, header) = next("its header")?;
        if header != HEADER {
            return Err(fail(
                n,
                format!("expected the header `{HEADER}`, found `{header}`"),
            )
            .with_hint("the file was not written by Bpe::save"));
        }
        let (mut n, mut line) = next("`alphabet <count>`")?;
        while line.starts_with('#') {
            (n, line) = next("`alphabet <count>`")?;
        }
        let count =
            |line: &str, key: &str| line.strip_prefix(key).and_then(|c| c.parse::<usize>().ok());
        let size = count(line, "alphabet ")
            .ok_or_else(|| fail(n, format!("expected `alphabet <count>`, found `{line}`")))?;
        let mut alphabet = Vec::with_capacity(size);
        for i in 0..size {
            let (n, line) = next(&format!("alphabet entry {} of {size}", i + 1))?;
            let token = unescape(line).map_err(|e| fail(n, e))?;
            let mut chars = token.chars();
            let c = match (chars.next(), chars.next()) {
                (Some(SPACE_MARKER), None) => ' ',
                (Some(c), None) if !alphabet.contains(&c) => c,
                (Some(_), None) => {
                    return Err(fail(n, format!("`{line}` is in the alphabet twice")));
                }
                _ => {
                    return Err(fail(
                        n,
                        format!("an alphabet entry is one character, found `{line}`"),
                    ));
                }
            };
            alphabet.push(c);
        }
        let mut bpe = Bpe::with_alphabet(alphabet);
        let (n, line) = next("`merges <count>`")?;
        let merges = count(line, "merges ")
            .ok_or_else(|| fail(n, format!("expected `merges <count>`, found `{line}`")))?;
        for i in 0..merges {
            let (n, line) = next(&format!("merge {} of {merges}", i + 1))?;
            let (left, right) = line
                .split_once(' ')
                .ok_or_else(|| fail(n, format!("expected a merge `left right`, found `{line}`")))?;
            let id = |side: &str| -> Result<u32, Error> {
                let token = unescape(side).map_err(|e| fail(n, e))?;
                let id = bpe.vocab.token_to_id(&token);
                id.filter(|&id| id as usize >= SPECIALS.len())
                    .ok_or_else(|| {
                        fail(
                            n,
                            format!(
                                "the merge `{line}` uses `{side}`, which no line above defines"
                            ),
                        )
                    })
            };
            let pair = (id(left)?, id(right)?);
            bpe.push_merge(pair);
        }
        if let Some((n, line)) = lines.find(|(_, l)| !l.is_empty()) {
            return Err(fail(
                n,
                format!("unexpected text after the {merges} merges: `{line}`"),
            ));
        }
        Ok(bpe)
    }
}

fn io_error(op: &'static str, path: &Path, problem: String) -> Error {
    Error::new(op, ErrorKind::Io, format!("{}: {problem}", path.display()))
}

/// `token` with `\` written `\\` and whitespace or control characters `\u{hex}`.
fn escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_whitespace() || c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape`].
fn unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = after;
            continue;
        }
        let c = rest
            .strip_prefix("u{")
            .and_then(|r| r.split_once('}'))
            .and_then(|(hex, after)| {
                Some((char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, after))
            });
        let Some((c, after)) = c else {
            return Err(format!(
                "bad escape in `{text}`: expected `\\\\` or `\\u{{hex}}`"
            ));
        };
        out.push(c);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ferrograd-bpe-{}-{name}", std::process::id()))
    }

    #[test]
    fn escape_round_trips_awkward_tokens() {
        for token in ["a\\b", "\t", "\u{a0}", "\\u{41}", "x\ny", "▁Männer"] {
            assert_eq!(unescape(&escape(token)).unwrap(), token);
            assert!(!escape(token).contains([' ', '\n', '\t']));
        }
        assert!(unescape("\\q").unwrap_err().contains("bad escape"));
    }

    #[test]
    fn save_then_load_gives_the_same_tokenizer() {
        let corpus = [
            "Zwei junge\tMänner \\ spielen\u{a0}Fußball.",
            "Ein Hund, zwei Hunde.",
        ];
        let bpe = Bpe::train(corpus.iter(), 30);
        let path = temp("roundtrip.bpe");
        bpe.save(&path).unwrap();
        let loaded = Bpe::load(&path).unwrap();
        assert_eq!(loaded.vocab(), bpe.vocab());
        assert_eq!(loaded.merges(), bpe.merges());
        for s in corpus {
            assert_eq!(loaded.encode(s), bpe.encode(s));
        }
    }

    #[test]
    fn load_errors_name_the_file_and_the_line() {
        let cases = [
            ("", "the file ends before its header"),
            (
                "tokenizer\n",
                "line 1: expected the header `ferrograd-bpe 1`",
            ),
            (
                "ferrograd-bpe 1\n# c\nalphabet x\n",
                "line 3: expected `alphabet <count>`",
            ),
            (
                "ferrograd-bpe 1\nalphabet 2\na\n",
                "the file ends before alphabet entry 2 of 2",
            ),
            (
                "ferrograd-bpe 1\nalphabet 1\nab\n",
                "line 3: an alphabet entry is one character",
            ),
            (
                "ferrograd-bpe 1\nalphabet 2\na\na\n",
                "line 4: `a` is in the alphabet twice",
            ),
            (
                "ferrograd-bpe 1\nalphabet 1\na\nmerges 1\na b\n",
                "line 5: the merge `a b` uses `b`",
            ),
            (
                "ferrograd-bpe 1\nalphabet 1\na\nmerges 1\n<unk> a\n",
                "line 5: the merge `<unk> a` uses `<unk>`",
            ),
            (
                "ferrograd-bpe 1\nalphabet 1\na\nmerges 1\naa\n",
                "line 5: expected a merge `left right`",
            ),
            (
                "ferrograd-bpe 1\nalphabet 1\na\nmerges 0\nx y\n",
                "line 5: unexpected text after the 0 merges",
            ),
        ];
        let path = temp("bad.bpe");
        for (text, expected) in cases {
            std::fs::write(&path, text).unwrap();
            let e = Bpe::load(&path).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Io);
            let message = e.to_string();
            assert!(
                message.starts_with("Bpe::load: ") && message.contains("bad.bpe"),
                "{message}"
            );
            assert!(
                message.contains(expected),
                "{message}\nexpected: {expected}"
            );
        }
        let e = Bpe::load(temp("missing.bpe")).unwrap_err().to_string();
        assert!(e.contains("missing.bpe: cannot read"), "{e}");
        let e = Bpe::train(["a a"].iter(), 1)
            .save(temp("no/such/dir.bpe"))
            .unwrap_err();
        assert!(
            e.to_string().starts_with("Bpe::save: ")
                && e.to_string().contains("dir.bpe: cannot write"),
            "{e}"
        );
    }
}
