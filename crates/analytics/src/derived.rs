//! The columns the dataset adds to each request that need nothing but the request itself:
//! local date, visitor key, page view or not, device, browser, OS, referrer host, channel and
//! UTM parameters. Computed on the parser threads; [`crate::Sessionizer`] adds the columns that
//! depend on earlier requests.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, BooleanArray, Date32Array, RecordBatch, UInt64Array};
use rustc_hash::{FxHashMap, FxHasher};

use crate::agent::Agents;
use crate::channel::{
    Channel, ClickIds, Utm, campaign_params, channel, is_internal, referrer_host,
};
use crate::config::VisitorKey;
use crate::hits::{Hits, opt};
use crate::pages::PageRules;

const MICROS: i64 = 1_000_000;

/// What the derived columns depend on. Fixed for a dataset (kept in its manifest).
#[derive(Clone, Debug)]
pub struct DeriveConfig {
    pub visitor_key: VisitorKey,
    pub pages: PageRules,
    /// The site's own hosts (a referrer on them is `internal`) besides the request's host.
    pub site_hosts: Vec<String>,
}

/// One request as the sessionizer needs it.
#[derive(Clone, Copy, Debug)]
pub struct SessionInput {
    pub ts: i64,
    /// Local day number (days since 1970-01-01).
    pub day: i32,
    /// Client and user agent: who fetched `/robots.txt`.
    pub who: u64,
    /// The visitor key: `who`, or the client alone.
    pub visitor: u64,
    /// The user agent is a bot's.
    pub bot: bool,
    pub robots_txt: bool,
    pub page: bool,
    /// Hash of the UTM parameters, 0 without any.
    pub utm: u64,
}

/// The stateless derived columns of one batch, in [`clickpath_model::dataset_schema`] order
/// (`date` .. `user_agent_logged`, without `session_id` / `is_bot` / `bot_*`), plus what the
/// sessionizer needs.
pub struct Derived {
    pub date: ArrayRef,
    pub visitor: ArrayRef,
    /// Bot family and name from the user agent alone.
    pub ua_bot_family: Vec<Option<&'static str>>,
    pub ua_bot_name: Vec<Option<Arc<str>>>,
    pub rest: Vec<ArrayRef>,
    pub rows: Vec<SessionInput>,
}

/// Computes [`Derived`] with a user-agent cache; one per thread.
pub struct Deriver {
    cfg: DeriveConfig,
    agents: Agents,
    names: Vec<Option<Arc<str>>>,
    /// Hash of each agent's user-agent string, by agent id (0: not computed yet).
    ua_keys: Vec<u64>,
    /// Channel of a referrer host (and whether it is internal) for requests without campaign
    /// parameters or click ids: most requests, few distinct hosts.
    /// Indexed by `internal`.
    channels: [FxHashMap<Box<str>, Channel>; 2],
}

fn hash<T: Hash>(v: T) -> u64 {
    let mut h = FxHasher::default();
    v.hash(&mut h);
    // Spread the bits: FxHash of small tuples clusters.
    h.finish()
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

/// The user-agent part of a visitor key for requests whose format logs no user agent.
const NOT_LOGGED: u64 = 1;

impl Deriver {
    pub fn new(cfg: DeriveConfig) -> Self {
        Self {
            cfg,
            agents: Agents::new(),
            names: Vec::new(),
            ua_keys: Vec::new(),
            channels: Default::default(),
        }
    }

    fn bot_name(&mut self, agent: u32) -> Option<Arc<str>> {
        let i = agent as usize;
        if self.names.len() <= i {
            self.names.resize(i + 1, None);
        }
        if self.names[i].is_none() {
            self.names[i] = self
                .agents
                .get(agent)
                .bot
                .as_ref()
                .map(|b| b.0.as_str().into());
        }
        self.names[i].clone()
    }

    pub fn derive(&mut self, batch: &RecordBatch, user_agents_logged: bool) -> Derived {
        let Hits {
            ts,
            tz,
            client,
            host,
            method,
            path,
            query,
            status,
            referrer,
            ua,
            ..
        } = Hits::of(batch);

        let n = batch.num_rows();
        let mut date = Vec::with_capacity(n);
        let mut visitor = Vec::with_capacity(n);
        let mut ua_bot_family = Vec::with_capacity(n);
        let mut ua_bot_name = Vec::with_capacity(n);
        let mut page = BooleanBuilder::with_capacity(n);
        let mut strings: Vec<StringBuilder> = (0..8)
            .map(|_| StringBuilder::with_capacity(n, n * 8))
            .collect();
        let mut rows = Vec::with_capacity(n);
        for r in 0..n {
            let t = ts.value(r);
            let offset = if tz.is_valid(r) { tz.value(r) } else { 0 };
            let day = (t.div_euclid(MICROS) + i64::from(offset) * 60).div_euclid(86_400) as i32;
            let (agent, ua_key) = if user_agents_logged {
                let u = opt(ua, r);
                let agent = self.agents.id(u);
                let i = agent as usize;
                if self.ua_keys.len() <= i {
                    self.ua_keys.resize(i + 1, 0);
                }
                if self.ua_keys[i] == 0 {
                    self.ua_keys[i] = u.map_or(0, hash).max(2);
                }
                (agent, self.ua_keys[i])
            } else {
                (self.agents.not_logged(), NOT_LOGGED)
            };
            let a = self.agents.get(agent);
            let bot = a.bot.as_ref().map(|b| b.1.as_str());
            strings[0].append_value(a.device.as_str());
            strings[1].append_value(&a.browser);
            strings[2].append_value(&a.os);
            let c = client.value(r);
            let who = hash((c, ua_key));
            let v = match self.cfg.visitor_key {
                VisitorKey::IpUa => who,
                VisitorKey::Ip => c,
            };
            let p = opt(path, r);
            let st = status.is_valid(r).then(|| status.value(r));
            let is_page = self.cfg.pages.is_page(opt(method, r), st, p);
            let (utm, clicks) = campaign_params(opt(query, r));
            let rh = opt(referrer, r).and_then(referrer_host).map(|h| {
                if h.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(h.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(h)
                }
            });
            let internal = rh
                .as_deref()
                .is_some_and(|h| is_internal(h, opt(host, r), &self.cfg.site_hosts));
            let ch = match &rh {
                Some(h) if utm == Utm::default() && clicks == ClickIds::default() => {
                    let cache = &mut self.channels[usize::from(internal)];
                    match cache.get(h.as_ref()) {
                        Some(c) => *c,
                        None => {
                            let c = channel(Some(h), internal, &utm, clicks);
                            cache.insert(h.as_ref().into(), c);
                            c
                        }
                    }
                }
                _ => channel(rh.as_deref(), internal, &utm, clicks),
            };
            rows.push(SessionInput {
                ts: t,
                day,
                who,
                visitor: v,
                bot: bot.is_some(),
                robots_txt: p == Some("/robots.txt"),
                page: is_page,
                utm: if utm == Default::default() {
                    0
                } else {
                    hash(&utm)
                },
            });
            ua_bot_name.push(if bot.is_some() {
                self.bot_name(agent)
            } else {
                None
            });
            ua_bot_family.push(bot);
            date.push(day);
            visitor.push(v);
            page.append_value(is_page);
            strings[3].append_option(rh);
            strings[4].append_value(ch.as_str());
            strings[5].append_option(utm.source);
            strings[6].append_option(utm.medium);
            strings[7].append_option(utm.campaign);
        }
        let mut rest: Vec<ArrayRef> = vec![Arc::new(page.finish())];
        rest.extend(strings.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        rest.push(Arc::new(BooleanArray::from(vec![user_agents_logged; n])));
        Derived {
            date: Arc::new(Date32Array::from(date)),
            visitor: Arc::new(UInt64Array::from(visitor)),
            ua_bot_family,
            ua_bot_name,
            rest,
            rows,
        }
    }
}
