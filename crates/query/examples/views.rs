//! Times the plans over a dataset (bench/scale.sh): session figures, request figures (with
//! slow pages and the timeline), broken links, then the example config's goals, the error
//! causes, the example's funnels and the restarts and incidents; each filter twice, in a fresh
//! engine per filter and then again in the same one; then the whole report (`Engine::report`)
//! in a fresh engine.
//!
//!   cargo run --release -p clickpath-query --example views -- DIR [channel=email ...]

use std::time::Instant;

use clickpath_query::Engine;
use clickpath_query::views::{Audience, Filter};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("a dataset directory"));
    let mut filters = vec![Filter::default()];
    for a in args {
        let mut f = Filter::default();
        for kv in a.split(',') {
            let (k, v) = kv.split_once('=').expect("key=value");
            let v = Some(v.to_owned());
            match k {
                "from" => f.from = v,
                "to" => f.to = v,
                "channel" => f.channel = v,
                "campaign" => f.campaign = v,
                "device" => f.device = v,
                "country" => f.country = v,
                "audience" => {
                    f.audience = Some(match v.as_deref() {
                        Some("humans") => Audience::Humans,
                        _ => Audience::Bots,
                    })
                }
                _ => panic!("unknown filter {k}"),
            }
        }
        filters.push(f);
    }
    let settings = {
        let m = clickpath_store::dataset::open_for_read(&dir).expect("a dataset");
        clickpath_ingest::DatasetSettings::from_json(&dir, &m.settings).expect("its settings")
    };
    let cfg = settings.traffic_config();
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/clickpath.toml"),
    )
    .expect("examples/clickpath.toml");
    let example =
        toml::from_str::<clickpath_analytics::FileConfig>(&example).expect("the example parses");
    let (funnels, goals) = example.build().expect("the example builds");
    let money = clickpath_analytics::Money {
        average_order_value: example.average_order_value,
        currency: example.currency.clone(),
    };
    let whole = clickpath_analytics::TrafficConfig {
        funnels: funnels.clone(),
        goals: goals.clone(),
        money: money.clone(),
        top: 10,
        ..cfg.clone()
    };
    for f in &filters {
        let t = Instant::now();
        let engine = Engine::open(&dir).expect("the dataset opens");
        let opened = t.elapsed().as_secs_f64();
        let figures = engine.session_figures(f, &cfg).expect("the plans run");
        let sessions = t.elapsed().as_secs_f64();
        let requests = engine.request_figures(f, 10).expect("the plans run");
        engine
            .broken_links(f, &settings.site_hosts, None, 10)
            .expect("the plans run");
        let cold = t.elapsed().as_secs_f64();
        engine.goals(f, &goals, 10).expect("the plans run");
        let with_goals = t.elapsed().as_secs_f64();
        engine.causes(f, None).expect("the plans run");
        let with_causes = t.elapsed().as_secs_f64();
        let planned = engine
            .funnels(f, &funnels, &money, 10)
            .expect("the plans run");
        let with_funnels = t.elapsed().as_secs_f64();
        engine
            .incidents(f, &whole, Some(&planned), &settings.site_hosts)
            .expect("the plans run");
        let with_incidents = t.elapsed().as_secs_f64();
        let t = Instant::now();
        engine.session_figures(f, &cfg).expect("the plans run");
        engine.request_figures(f, 10).expect("the plans run");
        engine
            .broken_links(f, &settings.site_hosts, None, 10)
            .expect("the plans run");
        let again = t.elapsed().as_secs_f64();
        let t = Instant::now();
        Engine::open(&dir)
            .expect("the dataset opens")
            .report(f, &whole)
            .expect("the plans run");
        let report = t.elapsed().as_secs_f64();
        println!(
            "{f:?}: sessions {}, requests {}; open {opened:.3} s, sessions {sessions:.3} s, cold \
             {cold:.3} s, with goals {with_goals:.3} s, with causes {with_causes:.3} s, with \
             funnels {with_funnels:.3} s, with incidents {with_incidents:.3} s, again \
             {again:.3} s; the whole report {report:.3} s",
            figures.traffic.sessions, requests.requests
        );
    }
}
