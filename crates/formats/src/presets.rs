//! Named formats. Each is a format line compiled by [`crate::compile`]; W3C presets are field
//! lists. Adding a format = one row here plus its table test (docs/adding-a-log-format.md).

use crate::compile::{Syntax, compile};
use crate::error::{Error, Result};
use crate::spec::Format;
use crate::w3c;

/// How a preset is written.
#[derive(Clone, Copy, Debug)]
pub enum PresetLine {
    Line(Syntax, &'static str),
    W3c(&'static str),
    /// A server's error log (not a format line: `crate::errorlog`).
    ErrorLog(crate::errorlog::ErrorLogKind),
}

/// A named format.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    pub name: &'static str,
    pub line: PresetLine,
    pub about: &'static str,
}

use crate::errorlog::ErrorLogKind;
use PresetLine::{ErrorLog, Line, W3c};
use Syntax::{Apache, Nginx};

/// All presets, in the order autodetection prefers them on a tie.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "combined",
        line: Line(
            Apache,
            r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#,
        ),
        about: "NCSA combined: Apache and nginx default (extra trailing fields tolerated)",
    },
    Preset {
        name: "common",
        line: Line(Apache, r#"%h %l %u %t "%r" %>s %b"#),
        about: "NCSA common log format",
    },
    Preset {
        name: "vhost_combined",
        line: Line(
            Nginx,
            r#"$cp_vhost $remote_addr $cp_skip $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        ),
        about: "Apache vhost_combined (%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"): virtual host, with or without :port, first",
    },
    Preset {
        name: "vhost_common",
        line: Line(
            Nginx,
            r#"$cp_vhost $remote_addr $cp_skip $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
        ),
        about: "Apache vhost_common / common_vhost (%v %h %l %u %t \"%r\" %>s %b): virtual host, with or without :port, first",
    },
    Preset {
        name: "combined_quoted",
        line: Line(
            Apache,
            r#""%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"""#,
        ),
        about: "combined with every line wrapped in double quotes (seen in exported datasets)",
    },
    Preset {
        name: "nginx_json",
        line: Line(
            Nginx,
            r#"{"time_local":"$time_local","time_iso8601":"$time_iso8601","msec":"$msec","remote_addr":"$remote_addr","host":"$host","server_name":"$server_name","request":"$request","request_method":"$request_method","request_uri":"$request_uri","uri":"$uri","args":"$args","server_protocol":"$server_protocol","status":"$status","body_bytes_sent":"$body_bytes_sent","bytes_sent":"$bytes_sent","http_referer":"$http_referer","http_user_agent":"$http_user_agent","request_time":"$request_time","time":"$cp_time","timestamp":"$cp_time","@timestamp":"$cp_time","remote_ip":"$remote_addr","client_ip":"$remote_addr","ip":"$remote_addr","method":"$request_method","url":"$request_uri","protocol":"$server_protocol","bytes":"$body_bytes_sent","size":"$body_bytes_sent","referer":"$http_referer","referrer":"$http_referer","user_agent":"$http_user_agent","duration":"$request_time"}"#,
        ),
        about: "JSON lines keyed by nginx variable names (escape=json), or by common names (time, ip, method, url, status, bytes, referer, user_agent)",
    },
    Preset {
        name: "caddy",
        line: Line(
            Nginx,
            r#"{"ts":"$msec","request.remote_ip":"$remote_addr","request.client_ip":"$remote_addr","request.proto":"$server_protocol","request.method":"$request_method","request.host":"$host","request.uri":"$request_uri","request.headers.User-Agent":"$http_user_agent","request.headers.Referer":"$http_referer","duration":"$request_time","size":"$body_bytes_sent","status":"$status"}"#,
        ),
        about: "Caddy v2 JSON access log",
    },
    Preset {
        name: "traefik_json",
        line: Line(
            Nginx,
            r#"{"StartUTC":"$time_iso8601","ClientHost":"$remote_addr","RequestMethod":"$request_method","RequestPath":"$request_uri","RequestProtocol":"$server_protocol","RequestHost":"$host","DownstreamStatus":"$status","DownstreamContentSize":"$body_bytes_sent","Duration":"$cp_duration_ns","request_User-Agent":"$http_user_agent","request_Referer":"$http_referer"}"#,
        ),
        about: "Traefik JSON access log",
    },
    Preset {
        name: "traefik_clf",
        line: Line(
            Nginx,
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $cp_skip "$cp_skip" "$cp_skip" ${cp_duration_ms}ms"#,
        ),
        about: "Traefik common log format (combined + request count, router, server, duration)",
    },
    Preset {
        name: "w3c",
        line: W3c(w3c::IIS_DEFAULT_FIELDS),
        about: "W3C extended / IIS (layout from #Fields: directives, default IIS fields)",
    },
    Preset {
        name: "cloudfront",
        line: W3c(w3c::CLOUDFRONT_DEFAULT_FIELDS),
        about: "Amazon CloudFront standard log (W3C, tab separated)",
    },
    Preset {
        name: "alb",
        line: Line(
            Nginx,
            r#"$cp_skip $time_iso8601 $cp_skip $cp_client_port $cp_skip $cp_skip $request_time $cp_skip $status $cp_skip $cp_skip $body_bytes_sent "$request" "$http_user_agent" $cp_skip $cp_skip $cp_skip "$cp_skip" "$host""#,
        ),
        about: "AWS Application Load Balancer",
    },
    Preset {
        name: "elb",
        line: Line(
            Nginx,
            r#"$time_iso8601 $cp_skip $cp_client_port $cp_skip $cp_skip $request_time $cp_skip $status $cp_skip $cp_skip $body_bytes_sent "$request" "$http_user_agent""#,
        ),
        about: "AWS Classic Elastic Load Balancer",
    },
    Preset {
        name: "s3",
        line: Line(
            Nginx,
            r#"$cp_skip $host [$time_local] $remote_addr $cp_skip $cp_skip $cp_skip $cp_skip "$request" $status $cp_skip $body_bytes_sent $cp_skip $cp_duration_ms $cp_skip "$http_referer" "$http_user_agent""#,
        ),
        about: "Amazon S3 server access log",
    },
    Preset {
        name: "haproxy",
        line: Line(
            Nginx,
            r#"$cp_skip]: $cp_client_port [$time_local] $cp_skip $cp_skip $cp_skip/$cp_skip/$cp_skip/$cp_skip/$cp_duration_ms $status $body_bytes_sent $cp_skip "$request""#,
        ),
        about: "HAProxy HTTP log (option httplog) behind a syslog prefix",
    },
    Preset {
        name: "haproxy_stdout",
        line: Line(
            Nginx,
            r#"$cp_client_port [$time_local] $cp_skip $cp_skip $cp_skip/$cp_skip/$cp_skip/$cp_skip/$cp_duration_ms $status $body_bytes_sent $cp_skip "$request""#,
        ),
        about: "HAProxy HTTP log without the syslog prefix (logging to stdout in a container)",
    },
    Preset {
        name: "nginx_error",
        line: ErrorLog(ErrorLogKind::Nginx),
        about: "nginx error.log (every level, multi-line messages): events joined to the requests",
    },
    Preset {
        name: "apache_error",
        line: ErrorLog(ErrorLogKind::Apache),
        about: "Apache httpd error_log (2.4's default ErrorLogFormat, and 2.2's): events joined to the requests",
    },
];

impl Preset {
    pub fn compile(&self) -> Result<Format> {
        match self.line {
            Line(syntax, line) => compile(self.name, line, syntax),
            W3c(fields) => w3c::compile_fields(self.name, fields),
            ErrorLog(kind) => Ok(Format::for_error_log(kind)),
        }
    }

    /// The format line as a user would write it.
    pub fn source(&self) -> &'static str {
        match self.line {
            Line(_, l) | W3c(l) => l,
            ErrorLog(kind) => kind.name(),
        }
    }
}

/// A preset by name (`common_vhost` is accepted for `vhost_common`).
pub fn preset(name: &str) -> Option<&'static Preset> {
    let name = match name {
        "common_vhost" => "vhost_common",
        "iis" => "w3c",
        "ncsa" => "common",
        n => n,
    };
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// `--format` value: a preset name, or a format line in any supported syntax.
pub fn resolve(spec: &str) -> Result<Format> {
    if let Some(p) = preset(spec.trim()) {
        return p.compile();
    }
    let looks_like_name = spec
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if looks_like_name {
        return Err(Error::UnknownPreset {
            name: spec.to_owned(),
            known: PRESETS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(fields) = spec.trim().strip_prefix("#Fields:") {
        return w3c::compile_fields("custom", fields);
    }
    compile("custom", spec, Syntax::guess(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_compiles() {
        for p in PRESETS {
            let f = p.compile().unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(f.name, p.name);
            // Error-log presets read events, not fields.
            assert!(
                !f.kinds().is_empty() || f.error_log().is_some(),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn names_and_aliases_resolve() {
        assert_eq!(resolve("common_vhost").unwrap().name, "vhost_common");
        assert_eq!(resolve("COMBINED").unwrap().name, "combined");
        let err = resolve("combinedd").unwrap_err().to_string();
        assert!(err.contains("unknown preset `combinedd`"), "{err}");
        assert_eq!(resolve("%h %l %u %t \"%r\" %>s %b").unwrap().name, "custom");
    }
}
