//! User agents: bot or human, and for humans the browser, OS and device. Each distinct user
//! agent string is classified once and cached.

use rustc_hash::FxHashMap;

use crate::bots::{BotFamily, known_bot};

/// Device class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    Other,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Bot => "bot",
            Device::Other => "other",
        }
    }
}

/// What one user agent string is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agent {
    /// `Some((name, family))` for automated clients.
    pub bot: Option<(String, BotFamily)>,
    pub browser: String,
    pub os: String,
    pub device: Device,
}

/// Classifier with a cache: ids are indexes into [`Agents::get`].
pub struct Agents {
    patterns: isbot::Bots,
    parser: woothee::parser::Parser,
    ids: FxHashMap<Box<str>, u32>,
    agents: Vec<Agent>,
}

/// Bot name of browser user agents that fetched `/robots.txt`.
pub const ROBOTS_TXT_FETCHER_NAME: &str = "(robots.txt fetcher)";

/// Id of the agent for requests without a user agent.
const NO_USER_AGENT: u32 = 0;
/// Id of the agent standing for browser user agents that fetched `/robots.txt`.
const ROBOTS_TXT_FETCHER: u32 = 1;
/// Id of the agent of requests read with a format that has no user-agent field.
const NOT_LOGGED: u32 = 2;

fn special_bot(name: &str, family: BotFamily) -> Agent {
    Agent {
        bot: Some((name.into(), family)),
        browser: "(bot)".into(),
        os: "(bot)".into(),
        device: Device::Bot,
    }
}

impl Default for Agents {
    fn default() -> Self {
        Self::new()
    }
}

impl Agents {
    pub fn new() -> Self {
        Self {
            patterns: isbot::Bots::default(),
            parser: woothee::parser::Parser::new(),
            ids: FxHashMap::default(),
            agents: vec![
                special_bot("(no user agent)", BotFamily::EmptyUa),
                special_bot(ROBOTS_TXT_FETCHER_NAME, BotFamily::RobotsTxt),
                Agent {
                    bot: None,
                    browser: "(not logged)".into(),
                    os: "(not logged)".into(),
                    device: Device::Other,
                },
            ],
        }
    }

    /// The id of a user agent (`None`: the log had `-` or nothing).
    pub fn id(&mut self, ua: Option<&str>) -> u32 {
        let Some(ua) = ua else { return NO_USER_AGENT };
        if let Some(&id) = self.ids.get(ua) {
            return id;
        }
        let agent = self.classify(ua);
        let id = self.push(agent);
        self.ids.insert(ua.into(), id);
        id
    }

    /// The agent of requests whose format does not log user agents: counted as humans, since
    /// nothing tells bots apart.
    pub fn not_logged(&self) -> u32 {
        NOT_LOGGED
    }

    /// The agent standing for browser user agents that fetched `/robots.txt`.
    pub fn robots_txt_fetcher(&self) -> u32 {
        ROBOTS_TXT_FETCHER
    }

    pub fn get(&self, id: u32) -> &Agent {
        &self.agents[id as usize]
    }

    fn push(&mut self, a: Agent) -> u32 {
        self.agents.push(a);
        (self.agents.len() - 1) as u32
    }

    fn classify(&self, ua: &str) -> Agent {
        let lower = ua.to_ascii_lowercase();
        let parsed = self.parser.parse(ua);
        let browser = parsed
            .as_ref()
            .map(|p| p.name)
            .filter(|n| *n != "UNKNOWN")
            .unwrap_or("Other")
            .to_owned();
        let os = parsed
            .as_ref()
            .map(|p| p.os)
            .filter(|n| *n != "UNKNOWN")
            .unwrap_or("Other")
            .to_owned();
        let bot = if ua.trim().is_empty() || ua == "-" {
            Some(("(no user agent)".to_owned(), BotFamily::EmptyUa))
        } else if let Some((name, family)) = known_bot(&lower) {
            Some((name.to_owned(), family))
        } else if self.patterns.is_bot(ua)
            || parsed.as_ref().is_some_and(|p| p.category == "crawler")
        {
            Some((bot_name(ua), BotFamily::Other))
        } else {
            None
        };
        let device = if bot.is_some() {
            Device::Bot
        } else if lower.contains("ipad")
            || lower.contains("tablet")
            || (lower.contains("android") && !lower.contains("mobile"))
        {
            Device::Tablet
        } else {
            match parsed.as_ref().map(|p| p.category) {
                Some("smartphone" | "mobilephone") => Device::Mobile,
                Some("pc") => Device::Desktop,
                _ => Device::Other,
            }
        };
        Agent {
            bot,
            browser,
            os,
            device,
        }
    }
}

/// A short name for an unknown bot: the product token that looks like one (`FooBot/1.2`), else
/// the first product token.
fn bot_name(ua: &str) -> String {
    let tokens =
        ua.split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')' || c == ',');
    let mut first = None;
    for t in tokens {
        let name = t.split('/').next().unwrap_or(t).trim_start_matches('+');
        if name.is_empty()
            || name.eq_ignore_ascii_case("mozilla")
            || name.eq_ignore_ascii_case("compatible")
        {
            continue;
        }
        let l = name.to_ascii_lowercase();
        if l.contains("bot") || l.contains("crawl") || l.contains("spider") {
            return name.chars().take(40).collect();
        }
        first.get_or_insert(name);
    }
    first.unwrap_or("(unnamed bot)").chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(ua: &str) -> (Option<(String, BotFamily)>, Device, String) {
        let mut a = Agents::new();
        let id = a.id(Some(ua));
        let ag = a.get(id);
        (ag.bot.clone(), ag.device, ag.browser.clone())
    }

    #[test]
    fn bots_by_family() {
        let cases = [
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot",
                BotFamily::Search,
            ),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
                "GPTBot",
                BotFamily::Ai,
            ),
            (
                "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
                "AhrefsBot",
                BotFamily::Seo,
            ),
            (
                "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
                "UptimeRobot",
                BotFamily::Monitoring,
            ),
            ("curl/8.4.0", "curl", BotFamily::Library),
            ("Go-http-client/1.1", "Go-http-client", BotFamily::Library),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
                "HeadlessChrome",
                BotFamily::Headless,
            ),
            ("Mozilla/5.0 zgrab/0.x", "zgrab", BotFamily::Scanner),
            ("Mozilla/4.75 (Nikto/1.32 )", "Nikto", BotFamily::Scanner),
            (
                "Mozilla/5.0 (compatible; PriceScoutBot/2.4; +https://pricescout.example/bot)",
                "PriceScoutBot",
                BotFamily::Other,
            ),
        ];
        for (ua, name, family) in cases {
            let (bot, device, _) = classify(ua);
            assert_eq!(bot, Some((name.to_owned(), family)), "{ua}");
            assert_eq!(device, Device::Bot);
        }
    }

    #[test]
    fn browsers_are_humans_with_devices() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                Device::Desktop,
                "Chrome",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
                Device::Mobile,
                "Safari",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                Device::Tablet,
                "Safari",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
                Device::Desktop,
                "Firefox",
            ),
        ];
        for (ua, device, browser) in cases {
            let (bot, d, b) = classify(ua);
            assert_eq!((bot, d, b.as_str()), (None, device, browser), "{ua}");
        }
        let mut a = Agents::new();
        let none = a.id(None);
        assert_eq!(a.get(none).bot.as_ref().unwrap().1, BotFamily::EmptyUa);
        assert_eq!(a.id(Some("-")), a.id(Some("-")));
    }
}
