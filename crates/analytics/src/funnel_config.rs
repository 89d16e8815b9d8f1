//! Funnels and goals as written in `clickpath.toml` (docs/funnels.md), and their compiled form.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::matcher::{MatchConfig, Matcher};

/// The `clickpath.toml` file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The site's own hosts (internal referrers).
    #[serde(default)]
    pub site_hosts: Vec<String>,
    /// Average order value: conversions and lost conversions are also given in money.
    pub average_order_value: Option<f64>,
    /// Currency label for money figures (`EUR`, `USD`...).
    pub currency: Option<String>,
    #[serde(default)]
    pub funnel: Vec<FunnelConfig>,
    #[serde(default)]
    pub goal: Vec<GoalConfig>,
    /// `[alerts]`: read by `clickpath watch` (crates/alerts, docs/alerts.md).
    #[serde(default)]
    pub alerts: Option<serde::de::IgnoredAny>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelConfig {
    pub name: String,
    pub steps: Vec<StepConfig>,
    /// `session` (steps in order within one session) or `window` (in order within `window` of
    /// the first step, across sessions of the same visitor).
    #[serde(default)]
    pub mode: FunnelMode,
    /// Length of the window in `window` mode, e.g. `24h`, `7d`.
    pub window: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FunnelMode {
    #[default]
    Session,
    Window,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    pub name: String,
    #[serde(flatten)]
    pub matcher: MatchConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalConfig {
    pub name: String,
    /// The goal is the last step of this funnel (instead of a path).
    pub funnel: Option<String>,
    #[serde(flatten)]
    pub matcher: MatchConfig,
    /// Money per conversion (a funnel's goal defaults to the average order value).
    pub value: Option<f64>,
}

/// A compiled funnel.
#[derive(Clone, Debug)]
pub struct Funnel {
    pub name: String,
    pub steps: Vec<(String, Matcher)>,
    pub mode: FunnelMode,
    /// Window in seconds (window mode).
    pub window_s: i64,
}

/// A compiled goal.
#[derive(Clone, Debug)]
pub struct Goal {
    pub name: String,
    pub matcher: Matcher,
    pub value: Option<f64>,
}

/// Most steps over all funnels plus goals (one bit each in a 64-bit mask per request).
pub const MAX_MATCHERS: usize = 64;

/// `24h`, `7d`, `90m`, `3600s` or seconds.
pub fn parse_window(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return (n > 0).then_some(n);
    }
    let (num, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    (n > 0).then_some(n * mult)
}

impl FileConfig {
    /// Compiles funnels and goals, checking names, patterns and limits.
    pub fn build(&self) -> Result<(Vec<Funnel>, Vec<Goal>)> {
        let mut funnels = Vec::new();
        for f in &self.funnel {
            if f.steps.is_empty() {
                return Err(Error::Config(format!("funnel `{}` has no steps", f.name)));
            }
            if funnels.iter().any(|g: &Funnel| g.name == f.name) {
                return Err(Error::Config(format!("two funnels are named `{}`", f.name)));
            }
            let steps = f
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    Ok((
                        s.name.clone(),
                        Matcher::compile(
                            &s.matcher,
                            &format!("funnel `{}`, step {} `{}`", f.name, i + 1, s.name),
                        )?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            let window_s = match (f.mode, &f.window) {
                (FunnelMode::Window, Some(w)) => parse_window(w).ok_or_else(|| {
                    Error::Config(format!(
                        "funnel `{}`: window `{w}` is not like 24h or 7d",
                        f.name
                    ))
                })?,
                (FunnelMode::Window, None) => 24 * 3600,
                (FunnelMode::Session, Some(_)) => {
                    return Err(Error::Config(format!(
                        "funnel `{}`: `window` needs mode = \"window\"",
                        f.name
                    )));
                }
                (FunnelMode::Session, None) => 0,
            };
            funnels.push(Funnel {
                name: f.name.clone(),
                steps,
                mode: f.mode,
                window_s,
            });
        }
        let mut goals = Vec::new();
        for g in &self.goal {
            let matcher = match &g.funnel {
                Some(name) => {
                    let f = funnels.iter().find(|f| &f.name == name).ok_or_else(|| {
                        Error::Config(format!("goal `{}`: no funnel named `{name}`", g.name))
                    })?;
                    f.steps.last().expect("funnels have steps").1.clone()
                }
                None => Matcher::compile(&g.matcher, &format!("goal `{}`", g.name))?,
            };
            // The average order value prices orders: goals that end a funnel.
            let value = g.value.or(g.funnel.as_ref().and(self.average_order_value));
            goals.push(Goal {
                name: g.name.clone(),
                matcher,
                value,
            });
        }
        let used: usize = funnels.iter().map(|f| f.steps.len()).sum::<usize>() + goals.len();
        if used > MAX_MATCHERS {
            return Err(Error::Config(format!(
                "{used} funnel steps and goals; at most {MAX_MATCHERS}"
            )));
        }
        Ok((funnels, goals))
    }
}

/// `--funnel 'checkout:/product/*,/cart,/checkout'`: steps named after their paths.
pub fn funnel_shorthand(spec: &str) -> Result<FunnelConfig> {
    let (name, steps) = spec
        .split_once(':')
        .ok_or_else(|| Error::Config(format!("--funnel `{spec}`: write NAME:/step1,/step2,...")))?;
    let steps: Vec<StepConfig> = steps
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|p| StepConfig {
            name: p.to_owned(),
            matcher: MatchConfig {
                path: Some(p.to_owned()),
                ..Default::default()
            },
        })
        .collect();
    if name.trim().is_empty() || steps.is_empty() {
        return Err(Error::Config(format!(
            "--funnel `{spec}`: write NAME:/step1,/step2,..."
        )));
    }
    Ok(FunnelConfig {
        name: name.trim().to_owned(),
        steps,
        mode: FunnelMode::Session,
        window: None,
    })
}
