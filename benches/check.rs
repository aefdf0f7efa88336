//! `wellconsole check` and project loading at scale (issue 16): 50,000 alarm points, and 50,000 tags that
//! each have a problem (every one located at its line and column), each checked in under 2 s. Both were
//! quadratic before (10,000 alarms took 19.5 s): every located problem scanned its file from the top.

// Tests and benches may unwrap (a panic is their failure report) and be long (a scenario reads top to bottom).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::time::Duration;
use wellconsole::project::{self, ProjectFiles};

const N: usize = 50_000;

/// The demo project's files, with `edit` applied.
fn demo_with(edit: impl Fn(&mut Vec<(String, String)>)) -> ProjectFiles {
    let mut files: Vec<(String, String)> = ProjectFiles::embedded_demo()
        .iter()
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
        .collect();
    edit(&mut files);
    ProjectFiles::from_memory(files)
}

fn many_alarms() -> ProjectFiles {
    let tags = [
        "ct01/weight",
        "ct01/depth",
        "ct01/wellhead_pressure",
        "esp01/motor_temp",
        "sep01/pressure",
    ];
    let mut text = String::with_capacity(N * 160);
    for i in 0..N {
        let _ = write!(
            text,
            "[[alarm]]\nid = \"many-{i:06}\"\ntag = \"{}\"\ntype = \"hi\"\nlimit = {}.0\npriority = \"low\"\nmessage = {{ en = \"Generated {i}\", es = \"Generada {i}\" }}\n\n",
            tags[i % tags.len()],
            100_000 + i
        );
    }
    demo_with(|f| f.push(("alarms/many.toml".into(), text.clone())))
}

fn many_bad_tags() -> ProjectFiles {
    let mut extra = String::with_capacity(N * 80);
    for i in 0..N {
        let _ = write!(
            extra,
            "\n[[tag]]\nname = \"gen{:03}/sig_{i:06}\"\ndriver = \"nosuch\"\ntype = \"f64\"\n",
            i % 1000
        );
    }
    demo_with(|f| {
        if let Some((_, site)) = f.iter_mut().find(|(p, _)| p == "site.toml") {
            site.push_str(&extra);
        }
    })
}

fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let alarms = many_alarms();
    assert!(project::check(&alarms).is_empty(), "the generated alarms are valid");
    g.bench_function("50k_alarms", |b| b.iter(|| project::check(&alarms)));
    let tags = many_bad_tags();
    assert_eq!(project::check(&tags).len(), N, "one problem per generated tag");
    g.bench_function("50k_tags_each_with_a_problem", |b| b.iter(|| project::check(&tags)));
    g.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
