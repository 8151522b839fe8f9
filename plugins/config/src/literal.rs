//! Reads the object literal of `commet.config.ts`.
//!
//! The file is a TypeScript module, but the part that matters is plain data:
//! the object passed to `defineConfig(...)`. This module finds that call and
//! parses its argument as a JavaScript object literal (unquoted keys, single
//! or double quotes, trailing commas, comments, `1_000` separators, a
//! trailing `as const`), keeping the line and column of every value so that
//! validation errors can point at the exact spot in the file.

use std::fmt;

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A literal value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` or `undefined`.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Node>),
    /// Properties in source order (duplicates are rejected while parsing).
    Object(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// The value as JSON (for sending and for tests).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Array(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Object(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A syntax error and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

/// Finds the object given to `defineConfig(...)` (or, failing that, an
/// `export default { ... }`) and parses it.
pub fn parse_module(source: &str) -> Result<Node, ParseError> {
    let mut p = Parser::new(source);
    if !p.seek_config_start()? {
        return Err(ParseError {
            pos: Pos { line: 1, col: 1 },
            message: "no `defineConfig({ ... })` call found; the file should contain \
                      `export default defineConfig({ features: {...}, plans: {...} })`"
                .into(),
        });
    }
    let node = p.value()?;
    p.trivia()?;
    match p.peek() {
        Some(')') | Some(';') | Some(',') | None => Ok(node),
        Some(c) => Err(p.error_here(format!(
            "expected `)` after the configuration object, found `{c}`"
        ))),
    }
}

/// Parses a lone literal (`{ ... }`, `[ ... ]`, a string, ...); the whole
/// input must be one value.
pub fn parse_value(source: &str) -> Result<Node, ParseError> {
    let mut p = Parser::new(source);
    let node = p.value()?;
    p.trivia()?;
    match p.peek() {
        None | Some(';') => Ok(node),
        Some(c) => Err(p.error_here(format!("unexpected `{c}` after the value"))),
    }
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

impl Parser {
    fn new(source: &str) -> Self {
        Parser {
            chars: source.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn error_at(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            pos,
            message: message.into(),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        Self::error_at(self.pos(), message)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.i + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Skips whitespace and comments.
    fn trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.pos();
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('*') if self.peek() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                            None => {
                                return Err(Self::error_at(
                                    start,
                                    "this `/*` comment is never closed",
                                ))
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn ident(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if !is_ident_char(c) {
                break;
            }
            out.push(c);
            self.bump();
        }
        out
    }

    /// Moves to the first character of the configuration object. Skips
    /// strings and comments so that `defineConfig` in either is ignored.
    fn seek_config_start(&mut self) -> Result<bool, ParseError> {
        let mut last_words: [String; 2] = Default::default();
        loop {
            self.trivia()?;
            let Some(c) = self.peek() else {
                return Ok(false);
            };
            if c == '"' || c == '\'' {
                self.string(c)?;
            } else if c == '`' {
                self.template()?;
            } else if is_ident_start(c) {
                let word = self.ident();
                if word == "defineConfig" {
                    self.trivia()?;
                    if self.peek() == Some('<') {
                        self.skip_type_arguments()?;
                        self.trivia()?;
                    }
                    if self.eat('(') {
                        self.trivia()?;
                        return Ok(true);
                    }
                }
                last_words = [std::mem::take(&mut last_words[1]), word];
            } else if c == '{' && last_words[0] == "export" && last_words[1] == "default" {
                // A module without the helper: `export default { ... }`.
                return Ok(true);
            } else {
                self.bump();
                if !c.is_whitespace() {
                    last_words = Default::default();
                }
            }
        }
    }

    fn skip_type_arguments(&mut self) -> Result<(), ParseError> {
        let start = self.pos();
        let mut depth = 0usize;
        loop {
            match self.bump() {
                Some('<') => depth += 1,
                Some('>') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return Err(Self::error_at(start, "this `<` is never closed")),
            }
        }
    }

    fn value(&mut self) -> Result<Node, ParseError> {
        self.trivia()?;
        let pos = self.pos();
        let value = match self.peek() {
            None => return Err(self.error_here("expected a value, found the end of the file")),
            Some('{') => self.object()?,
            Some('[') => self.array()?,
            Some(q @ ('"' | '\'')) => Value::Str(self.string(q)?),
            Some('`') => Value::Str(self.template()?),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number()?,
            Some(c) if is_ident_start(c) => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" | "undefined" => Value::Null,
                    _ => {
                        return Err(Self::error_at(
                            pos,
                            format!(
                                "`{word}` is not a literal value; commet.config.ts may only hold \
                                 strings, numbers, booleans, objects and arrays"
                            ),
                        ))
                    }
                }
            }
            Some(c) => return Err(self.error_here(format!("expected a value, found `{c}`"))),
        };
        self.type_assertion()?;
        Ok(Node { pos, value })
    }

    /// Skips a TypeScript `as const` / `as Type` / `satisfies Type` after a
    /// value.
    fn type_assertion(&mut self) -> Result<(), ParseError> {
        loop {
            let save = (self.i, self.line, self.col);
            self.trivia()?;
            let word_start = self.pos();
            if !self.peek().is_some_and(is_ident_start) {
                (self.i, self.line, self.col) = save;
                return Ok(());
            }
            let word = self.ident();
            if word != "as" && word != "satisfies" {
                (self.i, self.line, self.col) = save;
                return Ok(());
            }
            self.trivia()?;
            if !self.peek().is_some_and(is_ident_start) {
                return Err(Self::error_at(
                    word_start,
                    format!("expected a type after `{word}`"),
                ));
            }
            self.ident();
            while self.peek() == Some('.') {
                self.bump();
                self.ident();
            }
            if self.peek() == Some('<') {
                self.skip_type_arguments()?;
            }
        }
    }

    fn object(&mut self) -> Result<Value, ParseError> {
        let open = self.pos();
        self.bump(); // {
        let mut entries: Vec<Entry> = Vec::new();
        loop {
            self.trivia()?;
            let key_pos = self.pos();
            let key =
                match self.peek() {
                    None => return Err(Self::error_at(open, "this `{` is never closed")),
                    Some('}') => {
                        self.bump();
                        return Ok(Value::Object(entries));
                    }
                    Some(q @ ('"' | '\'')) => self.string(q)?,
                    Some(c) if is_ident_start(c) => self.ident(),
                    Some(c) if c.is_ascii_digit() => match self.number()? {
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => f.to_string(),
                        _ => return Err(Self::error_at(key_pos, "invalid property name")),
                    },
                    Some('.') if self.peek_at(1) == Some('.') => return Err(self.error_here(
                        "spread (`...`) is not supported in commet.config.ts; write the values out",
                    )),
                    Some('[') => return Err(self.error_here(
                        "computed property names (`[...]`) are not supported; write the key out",
                    )),
                    Some(c) => {
                        return Err(self
                            .error_here(format!("expected a property name or `}}`, found `{c}`")))
                    }
                };
            self.trivia()?;
            match self.peek() {
                Some(':') => {
                    self.bump();
                }
                Some(',') | Some('}') => {
                    return Err(Self::error_at(
                        key_pos,
                        format!("`{key}` has no value; write `{key}: <value>`"),
                    ))
                }
                Some('(') => {
                    return Err(Self::error_at(
                        key_pos,
                        format!("`{key}` is a method; only plain values are allowed"),
                    ))
                }
                Some(c) => {
                    return Err(self.error_here(format!(
                        "expected `:` after the property name `{key}`, found `{c}`"
                    )))
                }
                None => return Err(Self::error_at(open, "this `{` is never closed")),
            }
            let value = self.value()?;
            if let Some(first) = entries.iter().find(|e| e.key == key) {
                return Err(Self::error_at(
                    key_pos,
                    format!(
                        "`{key}` appears twice in this object (first at line {})",
                        first.key_pos.line
                    ),
                ));
            }
            entries.push(Entry {
                key: key.clone(),
                key_pos,
                value,
            });
            self.trivia()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {}
                None => return Err(Self::error_at(open, "this `{` is never closed")),
                Some(c) => {
                    return Err(self.error_here(format!(
                        "expected `,` or `}}` after the value of `{key}`, found `{c}`"
                    )))
                }
            }
        }
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        let open = self.pos();
        self.bump(); // [
        let mut items = Vec::new();
        loop {
            self.trivia()?;
            match self.peek() {
                None => return Err(Self::error_at(open, "this `[` is never closed")),
                Some(']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                Some(',') => {
                    return Err(self.error_here("empty array element (two commas in a row)"))
                }
                _ => {}
            }
            items.push(self.value()?);
            self.trivia()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {}
                None => return Err(Self::error_at(open, "this `[` is never closed")),
                Some(c) => {
                    return Err(
                        self.error_here(format!("expected `,` or `]` in the array, found `{c}`"))
                    )
                }
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos();
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => {
                    return Err(Self::error_at(start, "this string is never closed"));
                }
                Some(c) if c == quote => return Ok(out),
                Some('\\') => self.escape(&mut out)?,
                Some(c) => out.push(c),
            }
        }
    }

    /// A template literal without `${}` substitutions.
    fn template(&mut self) -> Result<String, ParseError> {
        let start = self.pos();
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(Self::error_at(
                        start,
                        "this template string is never closed",
                    ))
                }
                Some('`') => return Ok(out),
                Some('$') if self.peek() == Some('{') => {
                    return Err(Self::error_at(
                        start,
                        "template strings with `${...}` are not supported; write the text out",
                    ))
                }
                Some('\\') => self.escape(&mut out)?,
                Some(c) => out.push(c),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let pos = self.pos();
        let Some(c) = self.bump() else {
            return Err(Self::error_at(pos, "unfinished escape sequence"));
        };
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => out.push('\0'),
            '\n' => {} // line continuation
            'x' => {
                let code = self.hex_digits(2, pos)?;
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            'u' => {
                let code = if self.eat('{') {
                    let mut code = 0u32;
                    let mut digits = 0;
                    while let Some(d) = self.peek().and_then(|d| d.to_digit(16)) {
                        code = code.saturating_mul(16).saturating_add(d);
                        digits += 1;
                        self.bump();
                    }
                    if digits == 0 || !self.eat('}') {
                        return Err(Self::error_at(pos, "invalid `\\u{...}` escape"));
                    }
                    code
                } else {
                    let high = self.hex_digits(4, pos)?;
                    // A surrogate pair written as two escapes.
                    if (0xD800..0xDC00).contains(&high)
                        && self.peek() == Some('\\')
                        && self.peek_at(1) == Some('u')
                    {
                        self.bump();
                        self.bump();
                        let low = self.hex_digits(4, pos)?;
                        0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
                    } else {
                        high
                    }
                };
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            other => out.push(other),
        }
        Ok(())
    }

    fn hex_digits(&mut self, count: usize, pos: Pos) -> Result<u32, ParseError> {
        let mut code = 0u32;
        for _ in 0..count {
            let d = self
                .peek()
                .and_then(|d| d.to_digit(16))
                .ok_or_else(|| Self::error_at(pos, "invalid escape: expected hex digits"))?;
            code = code * 16 + d;
            self.bump();
        }
        Ok(code)
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos();
        let mut text = String::new();
        let negative = match self.peek() {
            Some('-') => {
                self.bump();
                true
            }
            Some('+') => {
                self.bump();
                false
            }
            _ => false,
        };
        if self.peek() == Some('0') && matches!(self.peek_at(1), Some('x' | 'X')) {
            self.bump();
            self.bump();
            while let Some(c) = self.peek() {
                if c.is_ascii_hexdigit() {
                    text.push(c);
                } else if c != '_' {
                    break;
                }
                self.bump();
            }
            let value = i64::from_str_radix(&text, 16)
                .map_err(|_| Self::error_at(start, "invalid hexadecimal number"))?;
            return Ok(Value::Int(if negative { -value } else { value }));
        }
        let mut is_float = false;
        while let Some(c) = self.peek() {
            match c {
                '0'..='9' => text.push(c),
                '_' => {}
                '.' | 'e' | 'E' => {
                    is_float = true;
                    text.push(c);
                }
                '+' | '-' if text.ends_with(['e', 'E']) => text.push(c),
                _ => break,
            }
            self.bump();
        }
        if self.peek().is_some_and(is_ident_start) {
            return Err(self.error_here("invalid number: unexpected letter"));
        }
        if text.is_empty() {
            return Err(Self::error_at(start, "expected a number"));
        }
        let signed = if negative { format!("-{text}") } else { text };
        if !is_float {
            if let Ok(i) = signed.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        signed
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::Float)
            .ok_or_else(|| Self::error_at(start, format!("`{signed}` is not a valid number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_define_config_argument() {
        let src = r#"
import { defineConfig } from "@commet/node";
// defineConfig({ not: "this one" })
const note = "defineConfig({ nor: 'this' })";

export default defineConfig({
  features: {
    api_calls: { name: 'API calls', type: "usage", }, // trailing comma
    /* a block
       comment */
    "sso": { name: `Single sign-on`, type: "boolean" as const },
  },
  plans: { pro: { name: "Pro", prices: [{ interval: "monthly", amount: 2_900, }], } },
});
"#;
        let node = parse_module(src).unwrap();
        assert_eq!(
            node.to_json(),
            json!({
                "features": {
                    "api_calls": {"name": "API calls", "type": "usage"},
                    "sso": {"name": "Single sign-on", "type": "boolean"},
                },
                "plans": {"pro": {"name": "Pro", "prices": [{"interval": "monthly", "amount": 2900}]}},
            })
        );
        assert_eq!(node.pos, Pos { line: 6, col: 29 });
    }

    #[test]
    fn accepts_export_default_object_and_escapes() {
        let node = parse_module(
            "export default { a: 'it\\'s', b: \"tab\\tnew\\u00e9\\u{1F600}\", c: -1.5e2, d: 0x10, e: null }",
        )
        .unwrap();
        assert_eq!(
            node.to_json(),
            json!({"a": "it's", "b": "tab\tnewé😀", "c": -150.0, "d": 16, "e": null})
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let src = "export default defineConfig({\n  features: {\n    a: { name: \"A\" type: \"usage\" },\n  },\n});\n";
        let err = parse_module(src).unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 20 });
        assert!(
            err.message.contains("expected `,` or `}`"),
            "{}",
            err.message
        );

        let err = parse_module("defineConfig({ a: 'open })").unwrap_err();
        assert_eq!(err.pos, Pos { line: 1, col: 19 });
        assert!(err.message.contains("never closed"));

        let err = parse_module("defineConfig({ a: 1, a: 2 })").unwrap_err();
        assert!(err.message.contains("appears twice"), "{}", err.message);

        let err = parse_module("defineConfig({ a: someVariable })").unwrap_err();
        assert!(err.message.contains("`someVariable` is not a literal"));
        assert_eq!(err.pos.col, 19);

        let err = parse_module("defineConfig({\n  ...base,\n})").unwrap_err();
        assert_eq!(err.pos, Pos { line: 2, col: 3 });
        assert!(err.message.contains("spread"));

        let err = parse_module("const x = 1;").unwrap_err();
        assert!(err.message.contains("defineConfig"));

        let err = parse_module("defineConfig({ a: [1,, 2] })").unwrap_err();
        assert!(err.message.contains("two commas"));

        let err = parse_module("defineConfig({ a: 1 } /* unterminated").unwrap_err();
        assert!(err.message.contains("never closed"));
    }

    #[test]
    fn parse_value_reads_a_bare_literal() {
        assert_eq!(
            parse_value("[1, 'two', { three: true },]")
                .unwrap()
                .to_json(),
            json!([1, "two", {"three": true}])
        );
        assert!(parse_value("{ a: 1 } extra").is_err());
    }
}
