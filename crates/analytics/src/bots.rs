//! Known automated clients, by family. The table names the bots a marketing or SEO team asks
//! about; anything else the `isbot` pattern database recognises is family `other`.

use serde::Serialize;

/// What kind of automated client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BotFamily {
    /// Search engine crawlers.
    Search,
    /// AI crawlers and assistants (training and retrieval).
    Ai,
    /// SEO tools.
    Seo,
    /// Uptime monitors and health checks.
    Monitoring,
    /// HTTP libraries and command-line clients.
    Library,
    /// Headless and automated browsers.
    Headless,
    /// Vulnerability scanners and internet-wide scanners.
    Scanner,
    /// No user agent at all (`-` or empty): TLS handshakes, raw sockets.
    EmptyUa,
    /// A browser user agent that fetched `/robots.txt`: a crawler in disguise, from that
    /// request on.
    RobotsTxt,
    /// Recognised by the bot pattern database but not in our table.
    Other,
}

impl BotFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            BotFamily::Search => "search",
            BotFamily::Ai => "ai",
            BotFamily::Seo => "seo",
            BotFamily::Monitoring => "monitoring",
            BotFamily::Library => "library",
            BotFamily::Headless => "headless",
            BotFamily::Scanner => "scanner",
            BotFamily::EmptyUa => "empty_ua",
            BotFamily::RobotsTxt => "robots_txt",
            BotFamily::Other => "other",
        }
    }
}

use BotFamily::*;

/// (lower-case token found in the user agent, bot name, family), checked in order: more
/// specific tokens first (`googlebot-image` before `googlebot`, AI before search).
pub const KNOWN_BOTS: &[(&str, &str, BotFamily)] = &[
    // AI crawlers and assistants.
    ("gptbot", "GPTBot", Ai),
    ("chatgpt-user", "ChatGPT-User", Ai),
    ("oai-searchbot", "OAI-SearchBot", Ai),
    ("claudebot", "ClaudeBot", Ai),
    ("claude-web", "Claude-Web", Ai),
    ("claude-user", "Claude-User", Ai),
    ("anthropic-ai", "anthropic-ai", Ai),
    ("perplexitybot", "PerplexityBot", Ai),
    ("perplexity-user", "Perplexity-User", Ai),
    ("ccbot", "CCBot", Ai),
    ("bytespider", "Bytespider", Ai),
    ("google-extended", "Google-Extended", Ai),
    ("amazonbot", "Amazonbot", Ai),
    ("meta-externalagent", "meta-externalagent", Ai),
    ("cohere-ai", "cohere-ai", Ai),
    ("diffbot", "Diffbot", Ai),
    ("youbot", "YouBot", Ai),
    ("applebot-extended", "Applebot-Extended", Ai),
    ("mistralai-user", "MistralAI-User", Ai),
    // Search engines.
    ("googlebot", "Googlebot", Search),
    ("adsbot-google", "AdsBot-Google", Search),
    ("mediapartners-google", "Mediapartners-Google", Search),
    ("google-inspectiontool", "Google-InspectionTool", Search),
    ("storebot-google", "Storebot-Google", Search),
    ("bingbot", "bingbot", Search),
    ("bingpreview", "BingPreview", Search),
    ("msnbot", "msnbot", Search),
    ("adidxbot", "adidxbot", Search),
    ("yandex", "YandexBot", Search),
    ("baiduspider", "Baiduspider", Search),
    ("duckduckbot", "DuckDuckBot", Search),
    ("duckassistbot", "DuckAssistBot", Search),
    ("applebot", "Applebot", Search),
    ("yahoo! slurp", "Yahoo! Slurp", Search),
    ("sogou", "Sogou", Search),
    ("exabot", "Exabot", Search),
    ("seznambot", "SeznamBot", Search),
    ("qwantify", "Qwantify", Search),
    ("qwantbot", "Qwantbot", Search),
    ("petalbot", "PetalBot", Search),
    ("naver", "Yeti (Naver)", Search),
    ("mojeekbot", "MojeekBot", Search),
    ("coccocbot", "coccocbot", Search),
    // SEO tools.
    ("ahrefsbot", "AhrefsBot", Seo),
    ("ahrefssiteaudit", "AhrefsSiteAudit", Seo),
    ("semrushbot", "SemrushBot", Seo),
    ("mj12bot", "MJ12bot", Seo),
    ("dotbot", "DotBot", Seo),
    ("screaming frog", "Screaming Frog", Seo),
    ("rogerbot", "rogerbot", Seo),
    ("blexbot", "BLEXBot", Seo),
    ("serpstatbot", "serpstatbot", Seo),
    ("dataforseobot", "DataForSeoBot", Seo),
    ("barkrowler", "Barkrowler", Seo),
    ("seokicks", "SEOkicks", Seo),
    // Monitoring and health checks.
    ("uptimerobot", "UptimeRobot", Monitoring),
    ("pingdom", "Pingdom", Monitoring),
    ("statuscake", "StatusCake", Monitoring),
    ("site24x7", "Site24x7", Monitoring),
    ("elb-healthchecker", "ELB-HealthChecker", Monitoring),
    ("kube-probe", "kube-probe", Monitoring),
    ("googlehc", "GoogleHC", Monitoring),
    ("datadog", "Datadog", Monitoring),
    ("newrelicpinger", "NewRelicPinger", Monitoring),
    ("better uptime", "Better Uptime", Monitoring),
    ("betteruptime", "Better Uptime", Monitoring),
    ("checkly", "Checkly", Monitoring),
    ("health check", "health check", Monitoring),
    ("healthcheck", "health check", Monitoring),
    ("nagios", "Nagios", Monitoring),
    ("zabbix", "Zabbix", Monitoring),
    // Headless and automated browsers.
    ("headlesschrome", "HeadlessChrome", Headless),
    ("phantomjs", "PhantomJS", Headless),
    ("puppeteer", "Puppeteer", Headless),
    ("playwright", "Playwright", Headless),
    ("selenium", "Selenium", Headless),
    ("electron/", "Electron", Headless),
    // Scanners and attack tools.
    ("zgrab", "zgrab", Scanner),
    ("nmap", "Nmap", Scanner),
    ("masscan", "masscan", Scanner),
    ("nikto", "Nikto", Scanner),
    ("sqlmap", "sqlmap", Scanner),
    ("censys", "Censys", Scanner),
    ("expanse", "Expanse", Scanner),
    ("nuclei", "Nuclei", Scanner),
    ("wpscan", "WPScan", Scanner),
    ("acunetix", "Acunetix", Scanner),
    ("netsparker", "Netsparker", Scanner),
    ("w3af", "w3af", Scanner),
    ("dirbuster", "DirBuster", Scanner),
    ("gobuster", "gobuster", Scanner),
    ("ffuf", "ffuf", Scanner),
    ("zmeu", "ZmEu", Scanner),
    ("morfeus", "Morfeus", Scanner),
    ("internetmeasurement", "InternetMeasurement", Scanner),
    ("shodan", "Shodan", Scanner),
    ("leakix", "LeakIX", Scanner),
    ("openvas", "OpenVAS", Scanner),
    ("jorgee", "Jorgee", Scanner),
    ("muieblackcat", "muieblackcat", Scanner),
    // HTTP libraries and command-line clients.
    ("curl/", "curl", Library),
    ("wget", "Wget", Library),
    ("python-requests", "python-requests", Library),
    ("python-urllib", "python-urllib", Library),
    ("python-httpx", "python-httpx", Library),
    ("aiohttp", "aiohttp", Library),
    ("go-http-client", "Go-http-client", Library),
    ("okhttp", "okhttp", Library),
    ("apache-httpclient", "Apache-HttpClient", Library),
    ("java/", "Java", Library),
    ("libwww-perl", "libwww-perl", Library),
    ("lwp::", "libwww-perl", Library),
    ("axios", "axios", Library),
    ("node-fetch", "node-fetch", Library),
    ("undici", "undici", Library),
    ("guzzlehttp", "Guzzle", Library),
    ("scrapy", "Scrapy", Library),
    ("httpie", "HTTPie", Library),
    ("postmanruntime", "PostmanRuntime", Library),
    ("reqwest", "reqwest", Library),
    ("ruby", "Ruby", Library),
    ("php/", "PHP", Library),
    ("powershell", "PowerShell", Library),
    ("winhttp", "WinHTTP", Library),
];

/// The first known bot whose token the user agent contains.
pub fn known_bot(ua_lower: &str) -> Option<(&'static str, BotFamily)> {
    KNOWN_BOTS
        .iter()
        .find(|(token, _, _)| ua_lower.contains(token))
        .map(|&(_, name, family)| (name, family))
}
