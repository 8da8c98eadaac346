//! sacreBLEU's `13a` tokenizer (the tokenization of WMT's `mteval-v13a.pl`), ported
//! from sacreBLEU 2.6.0 (`tokenizers/tokenizer_13a.py` and `tokenizer_re.py`) rule by
//! rule, with no regex engine: each rule is one left-to-right scan, which is what
//! Python's `re.sub` does (matches do not overlap; after a match the scan resumes
//! behind it).
//! ```text
//!  1. remove "<skipped>"; remove "-\n"; "\n" → " "
//!  2. if the line has "&": "&quot;" → '"', "&amp;" → "&", "&lt;" → "<", "&gt;" → ">"
//!     (in this order, each over the whole line)
//!  3. pad the line with one space on each side, then
//!     ([\{-\~\[-\` -\&\(-\+\:-\@\/])  →  " \1 "   split off the symbols { | } ~ [ \ ] ^ _ `
//!                                                 space ! " # $ % & ( ) * + : ; < = > ? @ /
//!     ([^0-9])([\.,])               →  "\1 \2 "  a period or comma not after a digit
//!     ([\.,])([^0-9])               →  " \1 \2"  a period or comma not before a digit
//!     ([0-9])(-)                    →  "\1 \2 "  a dash after a digit
//!  4. split on whitespace, join with single spaces
//! ```
//! So `3.5` and `1,000` stay whole, `year-old` keeps its dash, and `"Hi!"` becomes
//! `" Hi ! "`. Whitespace in step 4 is Python's `str.split()`'s: Rust's
//! `char::is_whitespace` plus the separators U+001C–U+001F.
//! Read next: `mod.rs` (the BLEU score).

/// `line` tokenized as sacreBLEU's `13a` does (see the module doc).
///
/// ```
/// use ferrograd::text::bleu::tokenize_13a;
/// assert_eq!(tokenize_13a("A 3-year-old \"boy\", aged 3.5."), "A 3 - year-old \" boy \" , aged 3.5 .");
/// ```
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let padded: Vec<char> = format!(" {line} ").chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let period_or_comma = |c: char| c == '.' || c == ',';
    let rule_1 = split_symbols(&padded);
    let rule_2 = replace_pairs(&rule_1, |a| !digit(a), period_or_comma, r"\1 \2 ");
    let rule_3 = replace_pairs(&rule_2, period_or_comma, |b| !digit(b), r" \1 \2");
    let rule_4 = replace_pairs(&rule_3, digit, |b| b == '-', r"\1 \2 ");
    let text: String = rule_4.into_iter().collect();
    split_python(&text).collect::<Vec<_>>().join(" ")
}

/// Rule 1 of step 3: one space on each side of every character of the class.
fn split_symbols(chars: &[char]) -> Vec<char> {
    let in_class =
        |c: char| matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/');
    let mut out = Vec::with_capacity(chars.len() * 2);
    for &c in chars {
        if in_class(c) {
            out.extend([' ', c, ' ']);
        } else {
            out.push(c);
        }
    }
    out
}

/// Python's `re.sub(r"(A)(B)", template, line)` for two one-character groups: scanning
/// left to right, every `a b` with `first(a)` and `second(b)` is replaced by
/// `template`, in which `\1` stands for `a` and `\2` for `b`; the scan resumes after
/// `b`, so matches never overlap.
fn replace_pairs(
    chars: &[char],
    first: impl Fn(char) -> bool,
    second: impl Fn(char) -> bool,
    template: &str,
) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && first(chars[i]) && second(chars[i + 1]) {
            let mut t = template.chars().peekable();
            while let Some(c) = t.next() {
                let group = if c == '\\' {
                    t.next_if(|&g| g == '1' || g == '2')
                } else {
                    None
                };
                match group {
                    Some('1') => out.push(chars[i]),
                    Some(_) => out.push(chars[i + 1]),
                    None => out.push(c),
                }
            }
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The words of `text` as Python's `text.split()` finds them.
pub(super) fn split_python(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_python_space).filter(|t| !t.is_empty())
}

/// Python's `str.isspace`: Unicode White_Space plus the information separators
/// U+001C–U+001F, which Python's `str.split()` also splits on.
pub(super) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_commas_stay_inside_numbers() {
        assert_eq!(
            tokenize_13a("It costs 1,000.50 dollars."),
            "It costs 1,000.50 dollars ."
        );
        assert_eq!(tokenize_13a("a.b,c"), "a . b , c");
        // "t." is one match, then ".." is the next: every period is split off.
        assert_eq!(tokenize_13a("Wait..."), "Wait . . .");
    }

    #[test]
    fn line_breaks_entities_and_skipped_markers() {
        assert_eq!(
            tokenize_13a("long-\nword<skipped> end\nx"),
            "longword end x"
        );
        // "&amp;quot;" → "&quot;": the replacements run once each, in order.
        assert_eq!(
            tokenize_13a("&amp;quot; &lt;b&gt; &quot;"),
            "& quot ; < b > \""
        );
        assert_eq!(tokenize_13a("a\u{1f}b\u{a0}c"), "a b c");
    }
}
