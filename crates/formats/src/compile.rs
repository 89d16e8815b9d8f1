//! The format-string compiler: nginx `log_format`, Apache `LogFormat` and GoAccess `log-format`
//! lines, and nginx JSON templates, all compile to one [`Format`].
//!
//! Every preset in [`crate::presets`] is such a line too, so there is a single tokenizer for all
//! positional formats. Presets may use a few variables of clickpath's own (`$cp_*`) for fields no
//! web server names (load-balancer `ip:port`, durations in ms or ns).

use crate::error::{Error, Result};
use crate::spec::{DurationUnit, Encoding, FieldKind, FieldSpec, Format, Layout, TimeKind, Token};

/// Which syntax a format line is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `$remote_addr - $remote_user [$time_local] "$request" ...`, or a JSON template.
    Nginx,
    /// `%h %l %u %t "%r" %>s %b ...`
    Apache,
    /// `%h %^[%d:%t %^] "%r" %s %b "%R" "%u"`
    GoAccess,
}

impl Syntax {
    /// Guesses the syntax of a pasted line: `$` variables are nginx; `%^`, `%d`, `%R` or `%~`
    /// (which Apache does not have) are GoAccess; other `%` directives are Apache.
    pub fn guess(line: &str) -> Syntax {
        let line = line.trim_start();
        if line.starts_with("log_format") || line.contains('$') {
            Syntax::Nginx
        } else if ["%^", "%d", "%R", "%~", "%x"]
            .iter()
            .any(|s| line.contains(s))
        {
            Syntax::GoAccess
        } else {
            Syntax::Apache
        }
    }
}

/// Compiles a format line. `name` is what reports show (`custom` for a user's line).
pub fn compile(name: &str, line: &str, syntax: Syntax) -> Result<Format> {
    let bad = |reason: String| Error::BadFormatString {
        format: line.to_owned(),
        reason,
    };
    let body = match syntax {
        Syntax::Nginx => strip_nginx_directive(line),
        Syntax::Apache => strip_apache_directive(line),
        Syntax::GoAccess => (line.trim().to_owned(), false),
    };
    let (body, json_escape) = body;
    if body.is_empty() {
        return Err(bad("the format is empty".into()));
    }
    if syntax == Syntax::Nginx && body.trim_start().starts_with('{') {
        let keys = compile_json_template(&body).map_err(bad)?;
        return Ok(Format {
            name: name.to_owned(),
            source: line.to_owned(),
            layout: Layout::Json { keys },
        });
    }
    let raw = match syntax {
        Syntax::Nginx => lex_nginx(&body),
        Syntax::Apache => lex_apache(&body),
        Syntax::GoAccess => lex_goaccess(&body),
    }
    .map_err(bad)?;
    let quoted_encoding = if json_escape {
        Encoding::Json
    } else {
        Encoding::Backslash
    };
    let tokens = finish(raw, quoted_encoding).map_err(bad)?;
    Ok(Format {
        name: name.to_owned(),
        source: line.to_owned(),
        layout: Layout::Positional { tokens, w3c: None },
    })
}

/// Accepts a whole `log_format name [escape=...] '...' '...';` directive or just its body.
/// Returns the body and whether `escape=json` was set.
fn strip_nginx_directive(line: &str) -> (String, bool) {
    let t = line.trim();
    let Some(rest) = t.strip_prefix("log_format") else {
        return (unquote_whole(t), false);
    };
    let mut rest = rest.trim_start();
    // The format's name.
    rest = rest
        .split_once(char::is_whitespace)
        .map_or("", |(_, r)| r)
        .trim_start();
    let mut json = false;
    if let Some(r) = rest.strip_prefix("escape=") {
        let (value, r) = r.split_once(char::is_whitespace).unwrap_or((r, ""));
        json = value == "json";
        rest = r.trim_start();
    }
    // Concatenate the quoted strings, as nginx does.
    let mut body = String::new();
    let mut chars = rest.trim_end_matches(';').chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            while let Some(d) = chars.next() {
                if d == '\\' {
                    if let Some(e) = chars.next() {
                        body.push(e);
                    }
                } else if d == c {
                    break;
                } else {
                    body.push(d);
                }
            }
        } else if !c.is_whitespace() {
            // An unquoted body (allowed by nginx for single words).
            body.push(c);
        }
    }
    (body, json)
}

/// Accepts `LogFormat "..." nickname` or the bare string.
fn strip_apache_directive(line: &str) -> (String, bool) {
    let t = line.trim();
    let Some(rest) = t
        .strip_prefix("LogFormat")
        .or_else(|| t.strip_prefix("CustomLog"))
    else {
        return (unquote_whole(t), false);
    };
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('"') {
        let mut body = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(e) = chars.next() {
                        body.push(e);
                    }
                }
                '"' => break,
                c => body.push(c),
            }
        }
        (body, false)
    } else {
        (rest.to_owned(), false)
    }
}

/// `'...'` around a whole pasted body is shell or config quoting, not part of the format.
fn unquote_whole(t: &str) -> String {
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        t[1..t.len() - 1].to_owned()
    } else {
        t.to_owned()
    }
}

/// Tokens before quoting and literal merging.
enum Raw {
    Lit(String),
    Field(FieldKind),
    /// A field whose encoding is forced (W3C-style presets).
    Coded(FieldKind, Encoding),
}

fn nginx_variable(name: &str) -> FieldKind {
    use DurationUnit::*;
    use FieldKind::*;
    match name {
        "remote_addr" | "realip_remote_addr" | "binary_remote_addr" => Client,
        "http_x_forwarded_for" | "proxy_add_x_forwarded_for" => ForwardedFor,
        "cp_client_port" => ClientPort,
        "cp_vhost" => HostPort,
        "host" | "server_name" | "http_host" => Host,
        "request" => Request,
        "request_method" => Method,
        "request_uri" => Uri,
        "uri" | "document_uri" => Path,
        "args" | "query_string" => Query,
        "server_protocol" => Protocol,
        "status" => Status,
        "body_bytes_sent" | "bytes_sent" => Bytes,
        "http_referer" => Referrer,
        "http_user_agent" => UserAgent,
        "time_local" => Time(TimeKind::Clf),
        "time_iso8601" => Time(TimeKind::Iso8601),
        "msec" => Time(TimeKind::EpochSeconds),
        "cp_time" => Time(TimeKind::Any),
        "request_time" => Duration(Seconds),
        "cp_duration_ms" => Duration(Millis),
        "cp_duration_us" => Duration(Micros),
        "cp_duration_ns" => Duration(Nanos),
        _ => Skip,
    }
}

fn lex_nginx(body: &str) -> Result<Vec<Raw>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("`${{` at byte {i} has no closing `}}`"))?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            lit.push('$');
        } else {
            if !lit.is_empty() {
                out.push(Raw::Lit(std::mem::take(&mut lit)));
            }
            out.push(Raw::Field(nginx_variable(name)));
        }
        rest = tail;
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Raw::Lit(lit));
    }
    Ok(out)
}

fn apache_directive(letter: char, arg: Option<&str>) -> Result<Vec<Raw>, String> {
    use DurationUnit::*;
    use FieldKind::*;
    let one = |k| Ok(vec![Raw::Field(k)]);
    match (letter, arg) {
        ('h' | 'a', _) => one(Client),
        (
            'l' | 'u' | 'e' | 'n' | 'o' | 'C' | 'I' | 'S' | 'p' | 'P' | 'k' | 'L' | 'X' | 'R' | 'f'
            | 'A' | 'c' | '^',
            _,
        ) => one(Skip),
        ('i', Some(h)) if h.eq_ignore_ascii_case("referer") => one(Referrer),
        ('i', Some(h)) if h.eq_ignore_ascii_case("user-agent") => one(UserAgent),
        ('i', Some(h)) if h.eq_ignore_ascii_case("host") => one(Host),
        ('i', Some(h)) if h.eq_ignore_ascii_case("x-forwarded-for") => one(ForwardedFor),
        ('i', _) => one(Skip),
        ('t', None) => Ok(vec![
            Raw::Lit("[".into()),
            Raw::Field(Time(TimeKind::Clf)),
            Raw::Lit("]".into()),
        ]),
        ('t', Some(a)) => {
            let a = a
                .strip_prefix("begin:")
                .or_else(|| a.strip_prefix("end:"))
                .unwrap_or(a);
            match a {
                "sec" => one(Time(TimeKind::EpochSeconds)),
                "msec" => one(Time(TimeKind::EpochMillis)),
                "usec" => one(Time(TimeKind::EpochMicros)),
                "%d/%b/%Y:%H:%M:%S %z" => one(Time(TimeKind::Clf)),
                "%Y-%m-%dT%H:%M:%S%z" | "%Y-%m-%dT%H:%M:%S" | "%FT%T%z" | "%FT%T" => {
                    one(Time(TimeKind::Iso8601))
                }
                _ => Err(format!(
                    "time format %{{{a}}}t is not supported: use %t, %{{sec}}t, %{{msec}}t, %{{usec}}t or an ISO 8601 form"
                )),
            }
        }
        ('r', _) => one(Request),
        ('m', _) => one(Method),
        ('U', _) => one(Path),
        ('q', _) => one(Query),
        ('H', _) => one(Protocol),
        ('s', _) => one(Status),
        ('b' | 'B' | 'O', _) => one(Bytes),
        ('D', _) => one(Duration(Micros)),
        ('T', None | Some("s")) => one(Duration(Seconds)),
        ('T', Some("ms")) => one(Duration(Millis)),
        ('T', Some("us")) => one(Duration(Micros)),
        ('v' | 'V', _) => one(Host),
        _ => Err(format!("unknown Apache directive %{letter}")),
    }
}

fn lex_percent(
    body: &str,
    directive: impl Fn(char, Option<&str>) -> Result<Vec<Raw>, String>,
) -> Result<Vec<Raw>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        // Modifiers: `<`, `>`, status conditions like `!200,304`.
        let mut arg = None;
        let letter = loop {
            match chars.next() {
                None => return Err(format!("`%` at byte {i} ends the format")),
                Some((_, '%')) => break '%',
                Some((_, '<' | '>' | '!' | ',' | '0'..='9')) => continue,
                Some((j, '{')) => {
                    let close = body[j..]
                        .find('}')
                        .ok_or_else(|| format!("`%{{` at byte {i} has no closing `}}`"))?;
                    arg = Some(&body[j + 1..j + close]);
                    while chars.peek().is_some_and(|&(k, _)| k <= j + close) {
                        chars.next();
                    }
                }
                Some((_, l)) => break l,
            }
        };
        if letter == '%' {
            lit.push('%');
            continue;
        }
        let raws = directive(letter, arg)?;
        for r in raws {
            match r {
                Raw::Lit(s) => lit.push_str(&s),
                other => {
                    if !lit.is_empty() {
                        out.push(Raw::Lit(std::mem::take(&mut lit)));
                    }
                    out.push(other);
                }
            }
        }
    }
    if !lit.is_empty() {
        out.push(Raw::Lit(lit));
    }
    Ok(out)
}

fn lex_apache(body: &str) -> Result<Vec<Raw>, String> {
    lex_percent(body, apache_directive)
}

fn goaccess_specifier(letter: char, _arg: Option<&str>) -> Result<Vec<Raw>, String> {
    use DurationUnit::*;
    use FieldKind::*;
    let one = |k| Ok(vec![Raw::Field(k)]);
    match letter {
        'd' => one(Time(TimeKind::Date)),
        't' => one(Time(TimeKind::TimeOfDay)),
        'x' => Err("%x needs GoAccess's --datetime-format, which clickpath does not read: write the date and time with %d and %t".into()),
        'v' => one(Host),
        'h' => one(Client),
        'r' => one(Request),
        'm' => one(Method),
        'U' => one(Uri),
        'q' => one(Query),
        'H' => one(Protocol),
        's' => one(Status),
        'b' => one(Bytes),
        'R' => one(Referrer),
        'u' => one(UserAgent),
        'D' => one(Duration(Micros)),
        'T' => one(Duration(Seconds)),
        'L' => one(Duration(Millis)),
        'n' => one(Duration(Nanos)),
        'e' | 'C' | 'K' | 'k' | 'M' | 'j' | '^' => one(Skip),
        '~' => Ok(vec![]),
        _ => Err(format!("unknown GoAccess specifier %{letter}")),
    }
}

fn lex_goaccess(body: &str) -> Result<Vec<Raw>, String> {
    let mut raws = lex_percent(body, goaccess_specifier)?;
    // `%d:%t %^]` is GoAccess's way to skip the zone of a CLF time: read the whole CLF time
    // instead, so the offset is honoured.
    let mut i = 0;
    while i + 4 < raws.len() {
        let is = matches!(
            (&raws[i], &raws[i + 1], &raws[i + 2], &raws[i + 3]),
            (Raw::Field(FieldKind::Time(TimeKind::Date)), Raw::Lit(a), Raw::Field(FieldKind::Time(TimeKind::TimeOfDay)), Raw::Lit(b))
                if a == ":" && b == " "
        ) && matches!(raws.get(i + 4), Some(Raw::Field(FieldKind::Skip)));
        if is {
            raws.splice(i..i + 5, [Raw::Field(FieldKind::Time(TimeKind::Clf))]);
        }
        i += 1;
    }
    Ok(raws)
}

/// `{"time":"$time_iso8601","status":$status,...}`: keys become JSON paths.
fn compile_json_template(body: &str) -> Result<Vec<(String, FieldSpec)>, String> {
    let mut keys = Vec::new();
    let b = body.trim();
    let inner = b
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .ok_or("a JSON template must be one object `{...}`")?;
    for pair in split_top_level(inner) {
        let (k, v) = pair
            .split_once(':')
            .ok_or_else(|| format!("`{pair}` is not a `\"key\":value` pair"))?;
        let key = k.trim().trim_matches('"').to_owned();
        let v = v.trim().trim_matches('"');
        let var = v
            .strip_prefix('$')
            .map(|s| s.trim_start_matches('{').trim_end_matches('}'))
            .ok_or_else(|| format!("the value of `{key}` is not a single $variable"))?;
        keys.push((
            key,
            FieldSpec {
                kind: nginx_variable(var),
                encoding: Encoding::Json,
                quoted: false,
            },
        ));
    }
    if keys.is_empty() {
        return Err("the JSON template has no keys".into());
    }
    Ok(keys)
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_str = false;
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b',' if !in_str => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !s[start..].trim().is_empty() {
        out.push(s[start..].trim());
    }
    out
}

/// Merges literals, marks quoted fields and rejects fields with nothing between them.
fn finish(raw: Vec<Raw>, quoted_encoding: Encoding) -> Result<Vec<Token>, String> {
    let mut tokens: Vec<Token> = Vec::new();
    for r in raw {
        match r {
            Raw::Lit(s) => match tokens.last_mut() {
                Some(Token::Literal(l)) => l.extend_from_slice(s.as_bytes()),
                _ => tokens.push(Token::Literal(s.into_bytes())),
            },
            Raw::Field(kind) | Raw::Coded(kind, _) => {
                if let Some(Token::Field(prev)) = tokens.last() {
                    return Err(format!(
                        "{:?} follows {:?} with nothing between them: clickpath cannot tell where one ends",
                        kind, prev.kind
                    ));
                }
                let encoding = match r {
                    Raw::Coded(_, e) => e,
                    _ => Encoding::Plain,
                };
                tokens.push(Token::Field(FieldSpec {
                    kind,
                    encoding,
                    quoted: false,
                }));
            }
        }
    }
    let n = tokens.len();
    for i in 0..n {
        let opens = i > 0 && matches!(&tokens[i - 1], Token::Literal(l) if l.ends_with(b"\""));
        let closes = matches!(tokens.get(i + 1), Some(Token::Literal(l)) if l.starts_with(b"\""));
        if let Token::Field(f) = &mut tokens[i]
            && opens
            && closes
        {
            f.quoted = true;
            if f.encoding == Encoding::Plain {
                f.encoding = quoted_encoding;
            }
        }
    }
    if !tokens.iter().any(|t| matches!(t, Token::Field(_))) {
        return Err("the format has no fields".into());
    }
    Ok(tokens)
}

/// Builds a positional format from explicit tokens (W3C `#Fields:` lines).
pub(crate) fn from_fields(
    name: &str,
    source: &str,
    fields: &[(FieldKind, Encoding)],
    separator: &str,
    w3c: crate::spec::W3cDialect,
) -> Result<Format> {
    let mut raw = Vec::with_capacity(fields.len() * 2);
    for (i, &(k, e)) in fields.iter().enumerate() {
        if i > 0 {
            raw.push(Raw::Lit(separator.to_owned()));
        }
        raw.push(Raw::Coded(k, e));
    }
    let tokens = finish(raw, Encoding::Plain).map_err(|reason| Error::BadFormatString {
        format: source.to_owned(),
        reason,
    })?;
    Ok(Format {
        name: name.to_owned(),
        source: source.to_owned(),
        layout: Layout::Positional {
            tokens,
            w3c: Some(w3c),
        },
    })
}

#[cfg(test)]
mod tests;
