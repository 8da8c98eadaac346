//! Pre-tokenisation: cutting a sentence into the pieces a tokenizer works inside.
//! BPE never merges across two pieces; the word tokenizer keeps each piece as a word.
//!
//! A piece is one of
//! ```text
//!  " "? letters      a run of letters, with the space before it if there is one
//!  " "? digits       a run of digits, likewise
//!  " "? one symbol   one punctuation mark or other symbol, likewise
//!  one whitespace    a whitespace character not taken by the rules above: a tab, a
//!                    no-break space, the first of two spaces, a trailing space
//! ```
//! so the pieces, put back together, are exactly the sentence:
//! ```text
//!  " Zwei junge  Männer, 3-mal."  →  " Zwei" " junge" " " " Männer" "," " 3" "-" "mal" "."
//! ```
//! Inside a token the space is written [`SPACE_MARKER`] `▁` (SentencePiece's word
//! boundary marker), so `▁Männer` reads as "the word Männer, after a space", and
//! decoding is concatenation followed by `▁` → space.
//!
//! Read next: `bpe/mod.rs`, which encodes each piece, and `word.rs`.

/// The word-boundary marker `▁` (U+2581) that stands for a space inside a token.
pub const SPACE_MARKER: char = '\u{2581}';

/// The kind of character a piece is made of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Symbol,
}

fn class(c: char) -> Class {
    if c.is_alphabetic() {
        Class::Letter
    } else if c.is_numeric() {
        Class::Digit
    } else {
        Class::Symbol
    }
}

/// Cut `text` into pieces (see the module doc); their concatenation is `text`.
///
/// ```
/// use ferrograd::text::pre_tokenize;
/// assert_eq!(
///     pre_tokenize("Ein Hund, 2 Katzen."),
///     ["Ein", " Hund", ",", " 2", " Katzen", "."]
/// );
/// assert_eq!(pre_tokenize("a\t b  "), ["a", "\t", " b", " ", " "]);
/// ```
pub fn pre_tokenize(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let head = if c == ' ' {
            match chars.peek() {
                Some(&(_, next)) if !next.is_whitespace() => {
                    chars.next();
                    next
                }
                _ => c,
            }
        } else {
            c
        };
        if !head.is_whitespace() {
            let kind = class(head);
            if kind != Class::Symbol {
                while chars.next_if(|&(_, next)| class(next) == kind).is_some() {}
            }
        }
        let end = chars.peek().map_or(text.len(), |&(i, _)| i);
        pieces.push(&text[start..end]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_put_back_together_are_the_text() {
        for text in [
            "",
            " ",
            "  two  spaces  ",
            "Ein Oklahoma-Sooners-Football-Spieler trägt die Nummer\u{a0}28.",
            "\"Zwei Personen\" in einer \tWasserfontäne…",
            "95.000 € (etwa 38 Jahre) – ok?!",
        ] {
            assert_eq!(pre_tokenize(text).concat(), text, "{text:?}");
        }
    }

    #[test]
    fn spaces_join_the_following_word_or_symbol() {
        assert_eq!(
            pre_tokenize(" Zwei junge  Männer, 3-mal."),
            [
                " Zwei", " junge", " ", " Männer", ",", " 3", "-", "mal", "."
            ]
        );
        assert_eq!(pre_tokenize("x ..."), ["x", " .", ".", "."]);
        assert_eq!(pre_tokenize("A4 12ab"), ["A", "4", " 12", "ab"]);
    }
}
