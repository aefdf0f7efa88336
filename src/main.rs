//! The `wellconsole` binary: parses the command line and hands off to the library. The only place
//! that uses `anyhow` (errors here are reported to a person, not matched on).

use anyhow::{Context, Result, anyhow, bail};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;
use wellconsole::alarm::{journal, kpi};
use wellconsole::auth::admin::{self, UserChange};
use wellconsole::auth::audit;
use wellconsole::auth::users::{UserError, UserStoreConfig};
use wellconsole::auth::{Actor, Role};
use wellconsole::cli::{
    AlarmReportArgs, AlarmsArgs, AlarmsCommand, ApiArgs, ApiCommand, ApiTokenCommand, AuditArgs, AuditCommand,
    BrowseArgs, Cli, Command, ConsoleOptions, ForwardArgs, ForwardCommand, HistoryArgs, HistoryCommand, HistoryDbArgs,
    JobArgs, OpcuaArgs, OpcuaCommand, PlantArgs, ProductionArgs, ProjectArgs, ReplayArgs, RunArgs, ScreenshotArgs,
    ServeApiArgs, SimArgs, UsersArgs, UsersCommand, WriteArgs,
};
use wellconsole::driver::opcua::library_log::QuietNormalClose;
use wellconsole::historian::{History, Resolution, export};
use wellconsole::project::{self, Project, ProjectFiles};
use wellconsole::records::Records;
use wellconsole::runtime::RuntimeOptions;
use wellconsole::serve::{Broker, ServedPlant, SimError, SimRun};

/// egui rebuilds its vertex buffers every frame; mimalloc keeps those pages instead of handing them back
/// to the kernel and faulting them in again (Cargo.toml says more).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,wellconsole=info,opcua_client::config=error")
            }),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal: a service's log file or journal gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(QuietNormalClose)
        .init();
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wellconsole: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.into_command() {
        Command::Run(args) if args.headless => headless(&args),
        Command::Run(args) => gui(&args.console),
        Command::Alarms(AlarmsArgs {
            project,
            command: AlarmsCommand::Report(args),
        }) => alarm_report(&project, &args),
        Command::Users(UsersArgs { project, command }) => users(&project, command),
        Command::Audit(AuditArgs { project, command }) => audit(&project, command),
        Command::Write(args) => write(&args),
        Command::History(HistoryArgs {
            project,
            history_db,
            command,
        }) => history(&project, history_db, command),
        Command::Forward(args) => forward(args),
        Command::Check(project) => check(&project),
        Command::Sim(args) => sim(&args),
        Command::Opcua(OpcuaArgs {
            command: OpcuaCommand::Browse(args),
        }) => opcua_browse(&args),
        Command::Screenshot(args) => screenshot(&args),
        Command::Calc(args) => Ok(wellconsole::calc_cli::run(&args)),
        Command::Job(args) => job(args),
        Command::Production(args) => production(args),
        Command::Replay(args) => replay(&args),
        Command::Api(args) => api(args),
        Command::ServeApi(args) => serve_api(&args),
    }
}

/// `wellconsole api token …`: the API's tokens, each change recorded in the audit trail done or refused.
fn api(args: ApiArgs) -> Result<ExitCode> {
    use wellconsole::api::tokens::TokenStore;
    let project = load(&args.project)?;
    let records = project.records()?;
    let store = TokenStore::open(&records.api_tokens(), records.key.clone())?;
    let ApiCommand::Token(command) = args.command;
    let now = wellconsole::tag::Timestamp::now();
    let (action, name, outcome) = match command {
        ApiTokenCommand::List => {
            for t in store.list()? {
                let state = if t.sealed { "active" } else { "TAMPERED (refused)" };
                println!(
                    "{:<32} {:<11} {state:<18} since {}",
                    t.name,
                    t.role,
                    t.created.to_rfc3339()
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        ApiTokenCommand::Add { name, role } => {
            let made = store.add(&name, role, now);
            let detail = match &made {
                Ok(_) => Ok(format!("role {role}")),
                Err(e) => Err(e.to_string()),
            };
            (
                "API token added",
                name,
                made.map(Some).map_err(anyhow::Error::from).map(|t| (t, detail)),
            )
        }
        ApiTokenCommand::Revoke { name } => {
            let done = store.revoke(&name);
            let detail = match &done {
                Ok(()) => Ok(String::new()),
                Err(e) => Err(e.to_string()),
            };
            (
                "API token revoked",
                name,
                done.map(|()| None).map_err(anyhow::Error::from).map(|t| (t, detail)),
            )
        }
    };
    let (allowed, detail) = match &outcome {
        Ok((_, Ok(d))) => (true, d.clone()),
        Ok((_, Err(d))) => (false, d.clone()),
        Err(e) => (false, e.to_string()),
    };
    let trail = project.audit_trail(&records);
    let recorded = audit::open(&trail).and_then(|mut db| {
        audit::append(
            &mut db,
            &trail,
            &audit::AuditEntry::by(now, &cli_actor(), action, &name, detail, allowed),
        )
    });
    if let Err(e) = recorded {
        // A token nobody can account for must not work: one made just now is taken back. A revocation
        // stands (refusing is the safe side) and is said unrecorded.
        if matches!(outcome, Ok((Some(_), _))) {
            store.revoke(&name)?;
            return Err(
                anyhow::Error::from(e).context("the audit trail could not record the new token, so it was taken back")
            );
        }
        return Err(
            anyhow::Error::from(e).context(format!("{action} ({name}), but the audit trail could not record it"))
        );
    }
    match outcome? {
        (Some(token), _) => {
            println!("{token}");
            eprintln!(
                "{action}: {name}. This is the only time the token is shown: give it to its user now (Authorization: Bearer <token>)."
            );
        }
        (None, _) => println!("{action}: {name}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Resolves at Ctrl-C or SIGTERM (a service manager's stop), whichever comes first.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// `wellconsole serve-api`: the site's console without a window, for its HTTP API, until stopped.
fn serve_api(args: &ServeApiArgs) -> Result<ExitCode> {
    let c = &args.console;
    let project = load(&c.project)?;
    let Some(cfg) = project.site.api.clone() else {
        bail!(
            "this site has no [api] table in site.toml: there is no API to serve (see the README's Deployment section)"
        );
    };
    let duration = args.for_secs.map(secs).transpose()?;
    let mut opts = with_history(plant_options(&c.plant), &c.history);
    keep_records(&project, &mut opts)?;
    // The stop signals are caught before anything starts: a stop sent while the console starts still
    // closes it in order (history committed), never by the signal's default action.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stopped = rt.block_on(async { stop_signals() })?;
    let runtime = wellconsole::runtime::Runtime::start(project, opts, Vec::new(), None)?;
    let Some(api) = runtime.api.as_ref() else {
        bail!("the API could not start on {} (the log says why)", cfg.listen);
    };
    let mut url = cfg.clone();
    url.listen = api.local_addr();
    println!("serving {} (Ctrl-C to stop)", url.url());
    let stats = api.stats();
    rt.block_on(async {
        let ended = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = stopped => {}
            _ = ended => {}
        }
    });
    let report = runtime.shutdown();
    use std::sync::atomic::Ordering::Relaxed;
    println!(
        "API stopped: {} requests ({} refused, {} without a valid token, {} answered busy, {} failed)",
        stats.requests.load(Relaxed),
        stats.refused.load(Relaxed),
        stats.unauthorized.load(Relaxed),
        stats.busy.load(Relaxed),
        stats.failed.load(Relaxed)
    );
    if let Some(h) = report {
        println!("history: {} samples stored", h.samples_stored);
    }
    Ok(ExitCode::SUCCESS)
}

/// `wellconsole forward …`: the central store, from the command line (`forward::verify`).
fn forward(args: ForwardArgs) -> Result<ExitCode> {
    use wellconsole::forward::verify;
    let project = load(&args.project)?;
    let Some(cfg) = project.site.forward.clone() else {
        bail!("this site has no [forward] table in site.toml: nothing is forwarded");
    };
    let records = project.records()?;
    let sources = wellconsole::forward::Sources {
        history: args.history_db.clone().unwrap_or_else(|| project.history_path()),
        journal: Some(records.alarm_journal()).filter(|p| p.exists()),
        audit: Some(project.audit_trail(&records).path).filter(|p| p.exists()),
        jobs: Some(records.jobs()),
        well_tests: Some(records.production()),
        site: project.site.name.clone(),
    };
    if !sources.history.exists() {
        bail!(
            "{}: no history database there (run the console first)",
            sources.history.display()
        );
    }
    match args.command {
        ForwardCommand::Sync => {
            let n = verify::sync(&cfg, &sources)?;
            println!("sent {n} rows to {}", cfg.target());
        }
        ForwardCommand::Adopt => {
            let (instance, before) = verify::adopt(&cfg, &sources)?;
            let by = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let detail = format!(
                "instance {} -> {instance} (by OS user {by})",
                before.as_deref().unwrap_or("none")
            );
            let trail = project.audit_trail(&records);
            let mut audit_db = audit::open(&trail)?;
            audit::append(
                &mut audit_db,
                &trail,
                &audit::AuditEntry::system(
                    wellconsole::tag::Timestamp::now(),
                    "central store name adopted",
                    &cfg.console,
                    detail.clone(),
                ),
            )?;
            println!(
                "console '{}' now forwards from this history database ({detail})",
                cfg.console
            );
        }
        ForwardCommand::Status => {
            let st = verify::status(&cfg, &sources)?;
            let oldest = st.backlog.oldest_us.map_or("-".to_owned(), export::format_time);
            println!("central: {} as console '{}'", cfg.target(), cfg.console);
            println!(
                "waiting: {} samples (oldest {oldest}), {} rollup rows, {} journal lines and audit records",
                st.backlog.samples, st.backlog.rollups, st.records_waiting
            );
            match &st.central {
                Ok(streams) => {
                    println!("{:<10} {:>14} {:>14}  updated", "stream", "position", "rows");
                    for (stream, pos, rows, at) in streams {
                        let at = export::format_time(wellconsole::forward::central::micros(*at));
                        println!("{stream:<10} {pos:>14} {rows:>14}  {at}");
                    }
                }
                Err(e) => println!("central store not reachable: {e}"),
            }
        }
        ForwardCommand::Verify { from, to } => {
            let now = wellconsole::tag::Timestamp::now();
            // Defaults: all of it, from 1970 to the year 9999 (within PostgreSQL's timestamps).
            let from = from.map_or(Ok(wellconsole::tag::Timestamp(0)), |f| export::parse_time(&f, now))?;
            let to = to.map_or(Ok(wellconsole::tag::Timestamp(253_402_300_799_000_000)), |t| {
                export::parse_time(&t, now)
            })?;
            let v = verify::verify(&cfg, &sources, from.0, to.0)?;
            for d in &v.differ {
                let how = if d.contents_differ {
                    " (same count, contents differ)"
                } else {
                    ""
                };
                println!(
                    "DIFFERS {} {}: local {} central {}{how}",
                    d.tag, d.day, d.local, d.central
                );
            }
            println!(
                "{} tag-days, {} samples compared: {} differ; alarm journal local {} central {}; audit trail local {} central {}, {} records differ, {} chain breaks in the central copy",
                v.days,
                v.samples,
                v.differ.len(),
                v.journal.0,
                v.journal.1,
                v.audit.0,
                v.audit.1,
                v.audit_differ,
                v.audit_breaks
            );
            println!(
                "jobs local {} central {} ({} missing or differing); well tests local {} central {} ({} missing or differing)",
                v.jobs.0, v.jobs.1, v.jobs.2, v.well_tests.0, v.well_tests.1, v.well_tests.2
            );
            if !v.ok() {
                return Ok(ExitCode::FAILURE);
            }
            println!("central store matches local records");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `wellconsole job …`: the office's side of the job records (`job_cli`). Reading needs no login; a change
/// is made as at the console, by the person `command_line_actor` settles. Exit 1: refused or invalid.
fn job(args: JobArgs) -> Result<ExitCode> {
    let project = load(&args.project)?;
    let records = project.records()?;
    let by = match args.command.login() {
        Some(login) => {
            let who = Who {
                user: login.user.as_deref(),
                password_env: &login.password_env,
                role: login.role,
            };
            match command_line_actor(&project, &records, &who, "wellconsole job")? {
                Some(actor) => Some(actor),
                None => return Ok(ExitCode::FAILURE),
            }
        }
        None => None,
    };
    let office = wellconsole::job_cli::Office {
        project: &project,
        records: &records,
        history: args.history_db.clone().unwrap_or_else(|| project.history_path()),
    };
    match wellconsole::job_cli::run(&office, args.command, by.as_ref()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.refused() => {
            eprintln!("wellconsole job: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// `wellconsole production …`: the office's side of the well tests (`production_cli`). Reading needs no
/// login; a change, and a certificate written to a file, is made as at the console, by the person
/// `command_line_actor` settles. Exit 1: refused or invalid.
fn production(args: ProductionArgs) -> Result<ExitCode> {
    let project = load(&args.project)?;
    let records = project.records()?;
    let by = match args.command.login() {
        Some(login) => {
            let who = Who {
                user: login.user.as_deref(),
                password_env: &login.password_env,
                role: login.role,
            };
            match command_line_actor(&project, &records, &who, "wellconsole production")? {
                Some(actor) => Some(actor),
                None => return Ok(ExitCode::FAILURE),
            }
        }
        None => None,
    };
    let office = wellconsole::production_cli::Office {
        project: &project,
        records: &records,
        history: args.history_db.clone().unwrap_or_else(|| project.history_path()),
    };
    match wellconsole::production_cli::run(&office, args.command, by.as_ref()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.refused() => {
            eprintln!("wellconsole production: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

/// The simulator's speed and faults as the command line sets them; nothing else started or kept yet.
fn plant_options(plant: &PlantArgs) -> RuntimeOptions {
    RuntimeOptions {
        speed: plant.speed,
        faults: plant.faults.clone(),
        ..RuntimeOptions::default()
    }
}

/// A picture keeps no records: no history, journal or audit, only the plant running for a moment.
fn screenshot(args: &ScreenshotArgs) -> Result<ExitCode> {
    use wellconsole::ui::screenshot::{ScreenshotRequest, screenshot};
    let project = load(&args.project)?;
    if !(args.after.is_finite() && (0.0..=3600.0).contains(&args.after)) {
        bail!("--after {}: seconds between 0 and 3600", args.after);
    }
    let req = ScreenshotRequest {
        screen: args.screen.clone(),
        width: args.width,
        height: args.height,
        lang: args.locale.lang,
        units: args.locale.units,
        sunlight: args.sunlight,
        warm_up: Duration::from_secs_f64(args.after),
    };
    let image = screenshot(project, plant_options(&args.plant), &req)?;
    image.write_png(&args.out)?;
    println!(
        "{}: {} x {} ({})",
        args.out.display(),
        image.width,
        image.height,
        args.screen
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs keep history unless told not to; where is settled once the project is loaded.
fn with_history(mut opts: RuntimeOptions, h: &HistoryDbArgs) -> RuntimeOptions {
    if !h.no_history {
        opts.history = Some(h.history_db.clone().unwrap_or_default());
    }
    opts
}

/// Settles where history goes and opens the site's records (the project's, never a flag's): alarm journal
/// and trip state, audit trail, user store.
fn keep_records(project: &Project, opts: &mut RuntimeOptions) -> Result<Records> {
    if opts.history.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
        opts.history = Some(project.history_path());
    }
    if let Some(p) = &opts.history {
        tracing::info!(path = %p.display(), "keeping history");
    }
    let records = project.records()?;
    tracing::info!(path = %records.dir.display(), "keeping records");
    opts.alarm_journal = Some(records.alarm_journal());
    opts.ct_records = Some(records.ct_strings());
    opts.job_records = Some(records.jobs());
    opts.production_records = Some(records.production());
    opts.audit = Some(project.audit_trail(&records));
    opts.api_tokens = Some((records.api_tokens(), records.key.clone()));
    Ok(records)
}

fn history(p: &ProjectArgs, history_db: Option<std::path::PathBuf>, command: HistoryCommand) -> Result<ExitCode> {
    let path = match history_db {
        Some(db) => db,
        None => load(p)?.history_path(),
    };
    if !path.exists() {
        bail!(
            "{}: no history database there (run the console first, or pass --history-db FILE)",
            path.display()
        );
    }
    let db = History::open(&path)?;
    match command {
        HistoryCommand::Stats => {
            let st = db.stats()?;
            println!("{}", path.display());
            println!(
                "{:<32} {:>12} {:>8} {:>12} {:>8}  span",
                "tag", "samples", "chunks", "bytes", "B/sample"
            );
            for t in &st.tags {
                let span = match (t.first, t.last) {
                    (Some(a), Some(b)) => format!("{} .. {}", export::format_time(a), export::format_time(b)),
                    _ => "-".into(),
                };
                let per = if t.samples > 0 {
                    t.bytes as f64 / t.samples as f64
                } else {
                    0.0
                };
                println!(
                    "{:<32} {:>12} {:>8} {:>12} {:>8.2}  {span}",
                    t.name, t.samples, t.chunks, t.bytes, per
                );
            }
            let per = |b: u64| {
                if st.samples > 0 {
                    b as f64 / st.samples as f64
                } else {
                    0.0
                }
            };
            println!(
                "total: {} samples, {} tags, {:.2} bytes/sample in chunks, {:.2} bytes/sample on disk ({:.1} MiB file), {} rollup rows",
                st.samples,
                st.tags.len(),
                per(st.chunk_bytes),
                per(st.file_bytes),
                st.file_bytes as f64 / 1_048_576.0,
                st.rollup_rows
            );
        }
        HistoryCommand::Export(args) => {
            let now = wellconsole::tag::Timestamp::now();
            let from = export::parse_time(&args.from, now)?;
            let to = export::parse_time(&args.to, now)?;
            if to <= from {
                bail!("--to must be later than --from");
            }
            let resolution = Resolution::parse(&args.resolution)
                .ok_or_else(|| anyhow!("--resolution must be raw, 1m or 1h, not '{}'", args.resolution))?;
            let req = export::ExportRequest {
                tags: args.tags.clone(),
                from: from.0,
                to: to.0,
                resolution,
            };
            let bar = indicatif::ProgressBar::new(1_000);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} exporting [{bar:40}] {percent}% {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let mut progress = |f: f64| bar.set_position((f * 1_000.0) as u64);
            let summary = match &args.out {
                Some(file) => {
                    // Written next to the target and renamed at the end: a failed export leaves no half file.
                    let tmp = file.with_extension("csv.part");
                    let f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
                    let mut w = std::io::BufWriter::new(f);
                    let s = export::export_csv(&db, &req, &mut w, &mut progress)?;
                    drop(w);
                    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
                    s
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = std::io::BufWriter::new(stdout.lock());
                    export::export_csv(&db, &req, &mut w, &mut progress)?
                }
            };
            bar.finish_and_clear();
            eprintln!("{} rows", summary.rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn files(p: &ProjectArgs) -> Result<ProjectFiles> {
    match &p.project {
        Some(dir) => Ok(ProjectFiles::from_dir(dir)?),
        None => Ok(ProjectFiles::embedded_demo()),
    }
}

fn load(p: &ProjectArgs) -> Result<Project> {
    let files = files(p)?;
    let what = files.describe();
    Project::load(files).map_err(|problems| {
        for line in project::listing(&problems) {
            eprintln!("{line}");
        }
        anyhow!(
            "{what}: {} problem(s) in the project files; run `wellconsole check` for the list",
            problems.len()
        )
    })
}

fn gui(options: &ConsoleOptions) -> Result<ExitCode> {
    let project = load(&options.project)?;
    let mut opts = with_history(plant_options(&options.plant), &options.history);
    let records = keep_records(&project, &mut opts)?;
    console_window(project, opts, &records, options)
}

/// The console window over a started project (live, or a replay): its settings from the command line.
fn console_window(
    project: Project,
    mut opts: RuntimeOptions,
    records: &Records,
    options: &ConsoleOptions,
) -> Result<ExitCode> {
    let measure = wellconsole::ui::MeasureOptions {
        exit_after: options.measure.exit_after.map(secs).transpose()?,
        frame_stats: options.measure.frame_stats.clone(),
    };
    let c = &options.settings;
    // With any user in the store, people log in and the console starts view-only.
    let users = logins(&project, records)?;
    opts.users = users.clone();
    if let Some(u) = &users
        && (c.user.is_some() || c.role.is_some())
    {
        bail!(
            "--user and --role apply only to a site with no users; this site has users in {}: start the console and log in",
            u.path.display()
        );
    }
    let actor = named_actor(c.user.as_deref(), c.role);
    if let Some(u) = &users {
        tracing::info!(users = %u.path.display(), "logins required; the console starts view-only");
    }
    let console = wellconsole::ui::ConsoleSettings {
        actor,
        lang: options.locale.lang,
        sound: project.alarms.sound(&c.sound_profile),
        horn: true,
        users,
        idle_logout: {
            let m = c.idle_logout_min;
            if !(m.is_finite() && (0.0..=1440.0).contains(&m)) {
                bail!("--idle-logout-min {m}: minutes from 0 (never) to 1440");
            }
            std::time::Duration::from_secs_f64(m * 60.0)
        },
        audit: opts.audit.clone(),
        // Per console machine, beside its records: which screens were open on which monitor.
        layout: Some(records.screen_layout()),
        backoff_after: project.site.security.backoff_after,
        touch: c.touch,
        sunlight: c.sunlight,
        units: options.locale.units,
    };
    wellconsole::ui::run(project, opts, measure, console)
        .map_err(|e| anyhow!("the console window could not run: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The site's user store when people log in there: when it holds any user. A store that exists but cannot
/// be read stops the start (it must never mean "no logins"), and so does a missing or empty one on a site
/// whose audit trail records users added.
fn logins(project: &Project, records: &Records) -> Result<Option<UserStoreConfig>> {
    let store = project.user_store(records);
    let any = store.path.exists()
        && store
            .open()
            .and_then(|s| s.any())
            .with_context(|| format!("{}: the user store cannot be read", store.path.display()))?;
    if !any && audit::users_were_added(&project.audit_trail(records))? {
        bail!(
            "{}: the user store is missing or empty, but the audit trail records users added to this site: restore users.db from the records' backup",
            store.path.display()
        );
    }
    Ok(any.then_some(store))
}

/// Who acts on a site with no users: the name given (default: the OS user), as the role given (default:
/// operator).
fn named_actor(user: Option<&str>, role: Option<Role>) -> Actor {
    let role = role.unwrap_or(Role::Operator);
    match user {
        Some(u) => Actor::new(u, role),
        None => Actor::from_os(role),
    }
}

/// A person's write from the command line, on the project's running drivers and hub as `run --headless`
/// starts them. The value is read as the console's keypad reads it; the hub checks the role and records the
/// write in the audit trail as for one from a screen. Exit 0: the device confirmed it; 1: refused (the value,
/// the tag, the login or the role), failed, or no answer in time; 2 (an `Err`): usage or project problems.
fn write(args: &WriteArgs) -> Result<ExitCode> {
    use wellconsole::headless::{WriteAnswer, write_once};
    use wellconsole::hub::WriteOutcome;
    let project = load(&args.project)?;
    let mut opts = plant_options(&args.plant);
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        bail!("--timeout {}: seconds, more than 0 and at most 3600", args.timeout);
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let Some(def) = project.site.tags.by_name(&args.tag).cloned() else {
        bail!("{}: the project has no tag '{}'", project.files.describe(), args.tag);
    };
    let loc = wellconsole::locale::Locale {
        lang: args.locale.lang,
        units: args.locale.units,
    };
    // Who asks comes first: a refused write is a person's act too, and recorded with their name.
    let records = keep_records(&project, &mut opts)?;
    let who = Who {
        user: args.user.as_deref(),
        password_env: &args.password_env,
        role: args.role,
    };
    let Some(by) = command_line_actor(&project, &records, &who, "wellconsole write")? else {
        return Ok(ExitCode::FAILURE);
    };
    let refused = |why: String| -> Result<ExitCode> {
        let trail = project.audit_trail(&records);
        let mut conn = audit::open(&trail)?;
        let detail = format!("value {}: {why}", args.value.trim());
        let now = wellconsole::tag::Timestamp::now();
        audit::append(
            &mut conn,
            &trail,
            &audit::AuditEntry::by(now, &by, "write", &def.name, detail, false),
        )?;
        Ok(ExitCode::FAILURE)
    };
    if !def.writable {
        println!(
            "{}: refused, nothing sent: the tag is not writable (`writable = true` in site.toml makes a tag a setpoint or command)",
            def.name
        );
        return refused("the tag is not writable".into());
    }
    let value = match loc.parse_write(&def, &args.value) {
        Ok(v) => v,
        Err(want) => {
            let refused_words = loc.pick("refused, nothing sent: enter", "rechazado, nada enviado: ingrese");
            println!("{} = {}: {refused_words} {want}", def.name, args.value.trim());
            return refused(format!("not sent: the value must be {want}"));
        }
    };
    let what = format!(
        "{} = {} by {} ({})",
        def.name,
        loc.value_text(&def.unit, Some(&value), def.decimals),
        by.user,
        by.role
    );
    // The running console keeps history, journal and trip state: this process writes none of them.
    opts.history = None;
    opts.alarm_journal = None;
    opts.ct_records = None;
    opts.job_records = None;
    opts.production_records = None;
    opts.write_only = Some(def.id);
    let (code, outcome) = match write_once(project, opts, def.id, value, by, timeout)? {
        WriteAnswer::Outcome(WriteOutcome::Confirmed) => (ExitCode::SUCCESS, "confirmed by the device".to_owned()),
        WriteAnswer::Outcome(WriteOutcome::Refused(why)) => (ExitCode::FAILURE, format!("refused: {why}")),
        WriteAnswer::Outcome(WriteOutcome::Failed(why)) => (ExitCode::FAILURE, format!("failed: {why}")),
        WriteAnswer::Outcome(WriteOutcome::Sent) => (
            ExitCode::FAILURE,
            format!(
                "timed out: sent, but the device did not answer within {} s",
                args.timeout
            ),
        ),
        WriteAnswer::NoData => (
            ExitCode::FAILURE,
            format!(
                "timed out, nothing sent: the tag's device reported nothing within {} s",
                args.timeout
            ),
        ),
    };
    println!("{what}: {outcome}");
    Ok(code)
}

/// Who a command line names as acting: `--user`, `--password-env`, `--role`.
struct Who<'a> {
    user: Option<&'a str>,
    password_env: &'a Option<String>,
    role: Option<Role>,
}

/// Who acts at the command line, as the console would have them act: on a site with users, `--user` logs in
/// (`cli_login`; None: refused, and said); on a site with none, the name and role given (`named_actor`).
/// `command` is what the login is for, as the audit trail records it.
fn command_line_actor(project: &Project, records: &Records, who: &Who, command: &str) -> Result<Option<Actor>> {
    match logins(project, records)? {
        None => {
            if who.password_env.is_some() {
                bail!(
                    "--password-env applies only to a site with users, and this one has none: --user and --role name who acts"
                );
            }
            Ok(Some(named_actor(who.user, who.role)))
        }
        Some(store) => {
            if who.role.is_some() {
                bail!(
                    "--role applies only to a site with no users; this site has users in {}: the user's own role counts",
                    store.path.display()
                );
            }
            let Some(name) = who.user else {
                bail!(
                    "this site has users in {}: --user NAME logs in (the password from standard input or --password-env VAR)",
                    store.path.display()
                );
            };
            cli_login(project, records, &store, name, who.password_env, command)
        }
    }
}

/// Logs `name` in at the command line (`admin::command_line_login`) for `command`, the password from
/// `password_env` or standard input. `None`: refused (said on standard output).
fn cli_login(
    project: &Project,
    records: &Records,
    store: &UserStoreConfig,
    name: &str,
    password_env: &Option<String>,
    command: &str,
) -> Result<Option<Actor>> {
    let password = password_from(password_env, &format!("password for {name}"))?;
    if password.is_empty() {
        // The console's dialog offers no login without a password either: not a try, and not counted.
        bail!("no password given (standard input was empty)");
    }
    let trail = project.audit_trail(records);
    match admin::command_line_login(store, &trail, name, &password, command)? {
        Ok(actor) => Ok(Some(actor)),
        Err(why) => {
            println!("{name}: login refused: {}", UserError::LoginFailed(why));
            Ok(None)
        }
    }
}

/// `wellconsole replay`: the project's console (or a headless run) over a window of its history instead of
/// its drivers. The records are opened as for the console (logins, the audit trail); the runtime writes
/// no history, journal, trip state or CT record in replay.
fn replay(args: &ReplayArgs) -> Result<ExitCode> {
    use wellconsole::driver::replay::ReplaySpec;
    let project = load(&args.project)?;
    let history = args.history_db.clone().unwrap_or_else(|| project.history_path());
    if !history.is_file() {
        bail!(
            "{}: no history database there (run the console first, or pass --history-db FILE)",
            history.display()
        );
    }
    let mut opts = RuntimeOptions::default();
    let records = keep_records(&project, &mut opts)?;
    let (from, to) = replay_window(args, &records)?;
    let spec = ReplaySpec {
        history,
        from,
        to,
        speed: args.speed,
    };
    spec.check()?;
    println!(
        "replaying {} from {} to {} at {}x: no driver runs, no write leaves",
        spec.history.display(),
        from.to_rfc3339(),
        to.to_rfc3339(),
        spec.speed
    );
    opts.replay = Some(spec);
    if args.headless {
        return replay_headless(project, opts, args);
    }
    let options = ConsoleOptions {
        project: args.project.clone(),
        plant: PlantArgs::default(),
        measure: args.measure.clone(),
        history: HistoryDbArgs {
            history_db: None,
            no_history: true,
        },
        locale: args.locale.clone(),
        settings: args.settings.clone(),
    };
    console_window(project, opts, &records, &options)
}

/// The window to replay: the job's actual start and end (to now while it runs), or --from and --to.
fn replay_window(
    args: &ReplayArgs,
    records: &Records,
) -> Result<(wellconsole::tag::Timestamp, wellconsole::tag::Timestamp)> {
    let now = wellconsole::tag::Timestamp::now();
    if let Some(number) = &args.job {
        let path = records.jobs();
        if !path.is_file() {
            bail!("{}: no job records here (jobs are kept by the console)", path.display());
        }
        let store = wellconsole::job::store::JobStore::open(&path)?;
        let job = store.job(number)?;
        let Some(from) = job.actual_start else {
            bail!("job {number} has not started: there is nothing of it to replay");
        };
        let to = job.actual_end.unwrap_or(now);
        if to <= from {
            bail!("job {number} ended when it started: there is nothing of it to replay");
        }
        return Ok((from, to));
    }
    let from = export::parse_time(args.from.as_deref().unwrap_or("-1h"), now).map_err(|e| anyhow!("--from: {e}"))?;
    let to = export::parse_time(args.to.as_deref().unwrap_or("now"), now).map_err(|e| anyhow!("--to: {e}"))?;
    if to <= from {
        bail!("--to must be after --from");
    }
    Ok((from, to))
}

/// A replay without a window, for --for seconds or until the window's end, reported as `run --headless`
/// reports, with what the replay did.
fn replay_headless(project: Project, opts: RuntimeOptions, args: &ReplayArgs) -> Result<ExitCode> {
    use wellconsole::headless::{HeadlessReport, TripsReport};
    let duration = secs(args.for_secs.context("--for SECONDS is required with --headless")?)?;
    let site = project.site.name.clone();
    let runtime = wellconsole::runtime::Runtime::start(project, opts, Vec::new(), None)?;
    let started = std::time::Instant::now();
    let status = runtime.replay.as_ref().map(|r| r.status.clone());
    while started.elapsed() < duration && !status.as_ref().is_some_and(|s| s.finished()) {
        std::thread::sleep((duration.saturating_sub(started.elapsed())).min(Duration::from_millis(100)));
    }
    // Let the hub publish what arrived in the last instant before reading the final picture.
    std::thread::sleep(Duration::from_millis(50));
    let snap = runtime.snapshot.load_full();
    let mut report = HeadlessReport::from_snapshot(&site, started.elapsed(), &snap);
    report.alarms = runtime
        .alarms
        .view
        .load()
        .rows
        .iter()
        .map(|r| (r.def.id.to_string(), r.state.code().to_owned()))
        .collect();
    report.trips = TripsReport::from_view(&runtime.trips.load());
    report.history = runtime.shutdown();
    println!("{}", report.summary());
    if let Some(s) = &status {
        println!(
            "replay: reached {}{}, {} samples of {} tags replayed, {} writes refused",
            s.position().to_rfc3339(),
            if s.finished() { " (the end)" } else { "" },
            s.samples_replayed(),
            s.tags(),
            s.writes_refused()
        );
        if let Some(why) = s.problem() {
            println!("replay stopped: the history could not be read: {why}");
        }
    }
    if let Some(path) = &args.stats_json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn headless(args: &RunArgs) -> Result<ExitCode> {
    let c = &args.console;
    let project = load(&c.project)?;
    let mut opts = with_history(plant_options(&c.plant), &c.history);
    keep_records(&project, &mut opts)?;
    let duration = secs(args.for_secs.context("--for SECONDS is required with --headless")?)?;
    let report = wellconsole::headless::run_for(project, opts, duration)?;
    println!("{}", report.summary());
    if let Some(path) = &args.stats_json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn alarm_report(p: &ProjectArgs, args: &AlarmReportArgs) -> Result<ExitCode> {
    // Read where the console keeps it; reading makes no records folder or key.
    let path = load(p)?.records_dir().join("alarms.db");
    if !path.is_file() {
        bail!(
            "{}: no alarm journal here (the console writes it while it runs)",
            path.display()
        );
    }
    let now = wellconsole::tag::Timestamp::now();
    let from = export::parse_time(&args.from, now).map_err(|e| anyhow!("--from: {e}"))?;
    let to = export::parse_time(&args.to, now).map_err(|e| anyhow!("--to: {e}"))?;
    if to <= from {
        bail!("--to must be after --from");
    }
    let conn = journal::open_reader(&path)?;
    let acts = journal::activations(&conn, from, to)?;
    let standing = journal::standing(&conn)?;
    let report = kpi::report(from, to, &acts, &standing);
    let text = if args.csv { report.to_csv() } else { report.to_text() };
    match &args.out {
        Some(out) => std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Who runs the command line: the OS account, recorded as such (it has the records and their key, so it
/// acts as admin). The account's number comes from the kernel, not from `$USER`, which anyone can set.
fn cli_actor() -> Actor {
    let mut a = Actor::from_os(wellconsole::auth::Role::Admin);
    #[cfg(unix)]
    let uid = std::fs::metadata("/proc/self")
        .ok()
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
    #[cfg(not(unix))]
    let uid: Option<u32> = None;
    a.user = match uid {
        Some(u) => format!("{} (uid {u}, command line)", a.user),
        None => format!("{} (command line)", a.user),
    };
    a
}

/// A password from the environment variable `env` names, or one line of standard input. At a terminal it
/// asks with `prompt` and keeps what is typed off the screen (`stty -echo`: no terminal library needed).
fn password_from(env: &Option<String>, prompt: &str) -> Result<String> {
    if let Some(var) = env {
        return std::env::var(var).with_context(|| format!("environment variable {var} is not set"));
    }
    let stdin = std::io::stdin();
    let hidden = stdin.is_terminal() && {
        let off = stty("-echo");
        eprint!("{prompt}{}: ", if off { "" } else { " (shown as typed)" });
        off
    };
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    if hidden {
        stty("echo");
        eprintln!();
    }
    read.context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Sets a mode of the terminal on standard input; false where `stty` is missing or fails.
fn stty(mode: &str) -> bool {
    std::process::Command::new("stty")
        .arg(mode)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn users(p: &ProjectArgs, command: UsersCommand) -> Result<ExitCode> {
    let project = load(p)?;
    let records = project.records()?;
    let store = project.user_store(&records).open()?;
    let trail = project.audit_trail(&records);
    let mut audit_db = audit::open(&trail)?;
    let now = wellconsole::tag::Timestamp::now();
    let new_password = |env: &Option<String>, name: &str| password_from(env, &format!("new password for {name}"));
    let change = match command {
        UsersCommand::List => {
            for u in store.list(now)? {
                let state = match (u.sealed, u.disabled, u.locked_until) {
                    (false, _, _) => "TAMPERED".to_owned(),
                    (true, true, _) => "disabled".to_owned(),
                    (true, false, Some(t)) => format!("locked until {}", t.to_rfc3339()),
                    (true, false, None) => "active".to_owned(),
                };
                println!(
                    "{:<24} {:<11} {state:<9} since {}",
                    u.name,
                    u.role,
                    u.created.to_rfc3339()
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Unlock { name } => UserChange::Unlock { name },
        UsersCommand::Add {
            name,
            role,
            password_env,
        } => UserChange::Add {
            password: new_password(&password_env, &name)?,
            name,
            role,
        },
        UsersCommand::Passwd { name, password_env } => UserChange::SetPassword {
            password: new_password(&password_env, &name)?,
            name,
        },
        UsersCommand::Restore {
            name,
            role,
            password_env,
        } => UserChange::Restore {
            password: new_password(&password_env, &name)?,
            name,
            role,
        },
        UsersCommand::Disable { name } => UserChange::Disable { name },
        UsersCommand::Enable { name } => UserChange::Enable { name },
    };
    admin::change_user(&store, &trail, &mut audit_db, &cli_actor(), &change, now)?;
    println!("{}: {}", change.action(), change.user());
    Ok(ExitCode::SUCCESS)
}

fn audit(p: &ProjectArgs, command: AuditCommand) -> Result<ExitCode> {
    let project = load(p)?;
    let records = project.records()?;
    let trail = project.audit_trail(&records);
    let path = trail.path.clone();
    let anchor = audit::read_anchor(&trail);
    if !path.is_file() {
        return match anchor {
            // The trail is gone but its anchor is not: that is the finding.
            Ok(Some(a)) if a.seq > 0 => {
                let t = audit::Tamper::Truncated {
                    anchored: a.seq,
                    found: 0,
                };
                println!("{}: {t}", path.display());
                Ok(ExitCode::FAILURE)
            }
            _ => bail!("{}: no audit trail here yet", path.display()),
        };
    }
    let conn = audit::open(&trail)?;
    match command {
        AuditCommand::Verify => match audit::verify(&conn, &trail)
            .and_then(|v| audit::verify_external(&conn, &trail, v.records).map(|ext| (v, ext)))
        {
            Ok((v, external)) => {
                println!(
                    "{}: {} records, chain intact, anchored at {}; head {}",
                    path.display(),
                    v.records,
                    v.anchor.map_or(0, |a| a.seq),
                    v.head
                );
                if let Some(ext) = &trail.external {
                    match &external {
                        Some(a) => println!("external anchor at {ext}: agrees at record {}", a.seq),
                        None => println!("external anchor at {ext}: the broker holds no head yet"),
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(audit::AuditError::Tampered(t)) => {
                println!("{}: {t}", path.display());
                Ok(ExitCode::FAILURE)
            }
            Err(e) => Err(e.into()),
        },
        AuditCommand::List { limit } => {
            for r in audit::recent(&conn, limit)? {
                let e = &r.entry;
                let outcome = if e.allowed { "" } else { " REFUSED" };
                println!(
                    "{:>6} {} {} ({}) {} {}{outcome} {}",
                    r.seq,
                    e.at.to_rfc3339(),
                    e.user,
                    e.role,
                    e.action,
                    e.target,
                    e.detail
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check(p: &ProjectArgs) -> Result<ExitCode> {
    let files = files(p)?;
    let problems = project::check(&files);
    for line in project::listing(&problems) {
        println!("{line}");
    }
    if problems.is_empty() {
        println!("{}: ok", files.describe());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s)", problems.len());
        if problems.iter().any(|d| d.path.ends_with("site.toml")) {
            // Said, so a short list is not taken for the whole one.
            eprintln!(
                "note: with site.toml broken, alarm, trip and screen files were checked for syntax and fields only; their tags, symbols and conditions are checked once site.toml is valid"
            );
        }
        Ok(ExitCode::FAILURE)
    }
}

fn sim(args: &SimArgs) -> Result<ExitCode> {
    let project = load(&args.project)?;
    let Some(cfg) = project.site.drivers.iter().find_map(|d| d.kind.as_sim().cloned()) else {
        bail!("the project has no simulator driver");
    };
    let speed = args.plant.speed.unwrap_or(cfg.speed);
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed must be a positive number");
    }
    if !(args.every.is_finite() && args.every > 0.0) {
        bail!("--every must be a positive number of seconds");
    }
    let plant = ServedPlant::new(cfg);
    if args.modbus_map {
        print!("{}", plant.modbus_map_csv());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(endpoint) = &args.modbus_site_for {
        print!("{}", plant.modbus_site_toml(endpoint));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(broker) = &args.mqtt_site_for {
        print!("{}", plant.mqtt_site_toml(broker));
        return Ok(ExitCode::SUCCESS);
    }
    let mqtt = match &args.mqtt {
        Some(broker) => Some(Broker::parse(broker).with_context(|| format!("--mqtt {broker}: expected HOST:PORT"))?),
        None => None,
    };
    let run = SimRun {
        speed,
        every_secs: args.every,
        for_secs: args.for_secs,
        faults: args.plant.faults.clone(),
        modbus: args.modbus,
        mqtt,
    };
    match plant.run(run, &mut std::io::stdout(), &mut std::io::stderr()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A server that stops takes the simulator down, in the server's own words.
        Err(e @ (SimError::Modbus(_) | SimError::Mqtt(_))) => {
            eprintln!("wellconsole sim: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

fn opcua_browse(args: &BrowseArgs) -> Result<ExitCode> {
    use wellconsole::driver::opcua::browse;
    use wellconsole::driver::opcua::config::{Identity, OpcUaConfig, SecurityMode, SecurityPolicy};
    let policy = match args.security_policy.as_str() {
        "None" => SecurityPolicy::None,
        "Basic256Sha256" => SecurityPolicy::Basic256Sha256,
        other => bail!("--security-policy {other}: use None or Basic256Sha256"),
    };
    let mode = match (args.security_mode.as_deref(), policy) {
        (None, SecurityPolicy::None) | (Some("None"), _) => SecurityMode::None,
        (None, _) | (Some("SignAndEncrypt"), _) => SecurityMode::SignAndEncrypt,
        (Some("Sign"), _) => SecurityMode::Sign,
        (Some(other), _) => bail!("--security-mode {other}: use None, Sign or SignAndEncrypt"),
    };
    let identity = match &args.username {
        None => Identity::Anonymous,
        Some(u) => Identity::User {
            username: u.clone(),
            password: match &args.password_env {
                Some(var) => std::env::var(var).with_context(|| format!("environment variable {var} is not set"))?,
                None => String::new(),
            },
        },
    };
    let start: opcua::types::NodeId = args
        .node
        .parse()
        .map_err(|_| anyhow!("--node {}: not a node id (e.g. i=85, ns=2;s=Well1)", args.node))?;
    let cfg = OpcUaConfig {
        endpoint: args.endpoint.clone(),
        policy,
        mode,
        identity,
        pki_dir: args.pki_dir.clone(),
        trust_server_certs: args.trust_server_cert,
        timeout: Duration::from_millis(args.timeout_ms),
        subscriptions: Vec::new(),
        tags: Vec::new(),
    };
    let opts = browse::BrowseOptions {
        start,
        depth: args.depth,
        max_nodes: args.max_nodes,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let nodes = rt.block_on(browse::browse(&cfg, &opts)).map_err(|e| anyhow!(e))?;
    match &args.tags_for {
        Some(driver) => print!("{}", browse::render_tags(&nodes, driver)),
        None => print!("{}", browse::render_tree(&nodes)),
    }
    Ok(ExitCode::SUCCESS)
}

fn secs(s: f64) -> Result<Duration> {
    match Duration::try_from_secs_f64(s) {
        Ok(d) if s > 0.0 => Ok(d),
        _ => bail!("{s} is not a positive number of seconds"),
    }
}
