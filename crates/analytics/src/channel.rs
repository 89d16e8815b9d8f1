//! Where a session came from: marketing channel, UTM campaign, referrer domain.

use serde::Serialize;

/// Marketing channel of a session, from its landing request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Direct,
    OrganicSearch,
    PaidSearch,
    Social,
    Email,
    Referral,
    /// Landed with a referrer on the site itself (a session resumed after the idle timeout).
    Internal,
    /// A campaign with another `utm_medium` (display, affiliate...).
    OtherCampaign,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::OrganicSearch => "organic_search",
            Channel::PaidSearch => "paid_search",
            Channel::Social => "social",
            Channel::Email => "email",
            Channel::Referral => "referral",
            Channel::Internal => "internal",
            Channel::OtherCampaign => "other_campaign",
        }
    }
}

/// The UTM parameters of a landing URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.medium.is_none() && self.campaign.is_none()
    }
}

/// Ad click identifiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClickIds {
    /// `gclid`, `gbraid`, `wbraid`, `msclkid`, `dclid`: paid search.
    pub paid_search: bool,
    /// `fbclid`, `ttclid`, `twclid`, `li_fat_id`: social.
    pub social: bool,
}

/// Parses the campaign parameters of a query string (`utm_*` percent- and `+`-decoded).
pub fn campaign_params(query: Option<&str>) -> (Utm, ClickIds) {
    let mut utm = Utm::default();
    let mut clicks = ClickIds::default();
    let Some(q) = query else {
        return (utm, clicks);
    };
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match k.to_ascii_lowercase().as_str() {
            "utm_source" => &mut utm.source,
            "utm_medium" => &mut utm.medium,
            "utm_campaign" => &mut utm.campaign,
            "utm_term" => &mut utm.term,
            "utm_content" => &mut utm.content,
            "gclid" | "gbraid" | "wbraid" | "msclkid" | "dclid" => {
                clicks.paid_search = true;
                continue;
            }
            "fbclid" | "ttclid" | "twclid" | "li_fat_id" => {
                clicks.social = true;
                continue;
            }
            _ => continue,
        };
        let v = percent_decode(v);
        if !v.is_empty() {
            *slot = Some(v.to_lowercase());
        }
    }
    (utm, clicks)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Host of a referrer URL, lower case, without `www.` and port.
pub fn referrer_host(referrer: &str) -> Option<&str> {
    let rest = referrer.split_once("://").map_or(referrer, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => &authority[..i],
        _ => authority,
    };
    (!host.is_empty() && host.contains('.')).then_some(host)
}

/// `www.google.co.uk` -> `google.co.uk`.
/// The path of a referrer URL, without query or fragment (`/` when it has none): the source
/// page of a broken link.
pub fn referrer_path(referrer: &str) -> &str {
    let rest = referrer
        .split_once("://")
        .map_or(referrer, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// A host is one of the site's (`www.` aside, case ignored).
pub fn is_site_host(host: &str, site_hosts: &[String]) -> bool {
    site_hosts
        .iter()
        .any(|s| strip_www(s).eq_ignore_ascii_case(strip_www(host)))
}

pub fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// A referrer host is the site's own when it is the request's host or one of the site's hosts
/// (`www.` aside, case ignored): what the dataset's `channel` calls `internal`.
pub fn is_internal(referrer_host: &str, own_host: Option<&str>, site_hosts: &[String]) -> bool {
    own_host.is_some_and(|own| strip_www(own).eq_ignore_ascii_case(strip_www(referrer_host)))
        || is_site_host(referrer_host, site_hosts)
}

const SEARCH: &[&str] = &[
    "google.",
    "bing.com",
    "duckduckgo.com",
    "yahoo.",
    "yandex.",
    "baidu.com",
    "ecosia.org",
    "qwant.com",
    "startpage.com",
    "search.brave.com",
    "naver.com",
    "seznam.cz",
    "sogou.com",
    "ask.com",
    "aol.com",
    "so.com",
    "mojeek.com",
    "kagi.com",
];
const SOCIAL: &[&str] = &[
    "facebook.com",
    "instagram.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "pinterest.",
    "youtube.com",
    "tiktok.com",
    "threads.net",
    "bsky.app",
    "mastodon.",
    "vk.com",
    "weibo.com",
    "news.ycombinator.com",
    "quora.com",
    "snapchat.com",
    "whatsapp.com",
    "telegram.org",
    "discord.com",
];
const WEBMAIL: &[&str] = &[
    "mail.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "mail.yahoo.com",
    "mail.aol.com",
    "mail.proton.me",
    "mail.zoho.com",
    "webmail.",
    "mail.yandex.",
    "gmx.",
    "web.de",
];

fn host_in(host: &str, list: &[&str]) -> bool {
    let host = strip_www(host);
    // `d` at `i` in `host`, right after a dot.
    let after_dot = |i: usize| i > 0 && host.as_bytes()[i - 1] == b'.';
    list.iter().any(|d| {
        if d.ends_with('.') {
            // a brand prefix: `google.` matches google.de, google.co.uk, m.google.com
            host.starts_with(d) || host.match_indices(d).any(|(i, _)| after_dot(i))
        } else {
            host == *d || (host.ends_with(d) && after_dot(host.len() - d.len()))
        }
    })
}

/// The channel of a landing: campaign parameters first, then click ids, then the referrer.
pub fn channel(
    referrer_host: Option<&str>,
    internal: bool,
    utm: &Utm,
    clicks: ClickIds,
) -> Channel {
    if let Some(medium) = utm.medium.as_deref() {
        match medium {
            "cpc" | "ppc" | "paid" | "paidsearch" | "paid_search" | "paid-search" | "sem" => {
                return Channel::PaidSearch;
            }
            "email" | "e-mail" | "newsletter" => return Channel::Email,
            "social" | "social-network" | "social_network" | "social-media" | "sm"
            | "paid_social" | "paidsocial" => {
                return Channel::Social;
            }
            "organic" => return Channel::OrganicSearch,
            "referral" => return Channel::Referral,
            _ => return Channel::OtherCampaign,
        }
    }
    if clicks.paid_search {
        return Channel::PaidSearch;
    }
    let Some(host) = referrer_host else {
        return if utm.is_empty() {
            Channel::Direct
        } else {
            Channel::OtherCampaign
        };
    };
    if internal {
        Channel::Internal
    } else if host_in(host, WEBMAIL) {
        Channel::Email
    } else if host_in(host, SEARCH) {
        Channel::OrganicSearch
    } else if clicks.social || host_in(host, SOCIAL) {
        Channel::Social
    } else {
        Channel::Referral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(referrer: Option<&str>, query: Option<&str>) -> Channel {
        let (utm, clicks) = campaign_params(query);
        let host = referrer.and_then(referrer_host);
        channel(host, host == Some("shop.example.com"), &utm, clicks)
    }

    #[test]
    fn channels() {
        use Channel::*;
        let cases = [
            (None, None, Direct),
            (Some("https://www.google.co.uk/"), None, OrganicSearch),
            (Some("https://duckduckgo.com/"), None, OrganicSearch),
            (
                Some("https://www.google.com/"),
                Some("utm_source=google&utm_medium=cpc&utm_campaign=brand"),
                PaidSearch,
            ),
            (
                Some("https://www.google.com/"),
                Some("gclid=abc"),
                PaidSearch,
            ),
            (None, Some("msclkid=1"), PaidSearch),
            (Some("https://l.facebook.com/"), None, Social),
            (Some("https://t.co/x"), None, Social),
            (Some("https://mail.google.com/"), None, Email),
            (
                None,
                Some("utm_source=newsletter&utm_medium=email&utm_campaign=weekly"),
                Email,
            ),
            (Some("https://blog.example.org/post"), None, Referral),
            (Some("https://shop.example.com/cart"), None, Internal),
            (
                None,
                Some("utm_source=partner&utm_medium=display"),
                OtherCampaign,
            ),
            (
                Some("https://www.google.com/"),
                Some("utm_medium=Email"),
                Email,
            ),
        ];
        for (r, q, want) in cases {
            assert_eq!(ch(r, q), want, "{r:?} {q:?}");
        }
    }

    #[test]
    fn utm_values_are_decoded_and_lower_cased() {
        let (utm, _) = campaign_params(Some(
            "a=1&utm_source=News%20Letter&utm_campaign=Spring+Sale&utm_term=",
        ));
        assert_eq!(utm.source.as_deref(), Some("news letter"));
        assert_eq!(utm.campaign.as_deref(), Some("spring sale"));
        assert_eq!(utm.term, None);
    }

    #[test]
    fn referrer_hosts() {
        assert_eq!(
            referrer_host("https://www.google.co.uk/"),
            Some("www.google.co.uk")
        );
        assert_eq!(
            referrer_host("http://user@host.example:8080/x?y"),
            Some("host.example")
        );
        assert_eq!(
            referrer_host("android-app://com.google.android.gm"),
            Some("com.google.android.gm")
        );
        assert_eq!(referrer_host("-"), None);
    }
}
