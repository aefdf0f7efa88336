//! The `wellconsole` binary: parses the command line and hands off to the library. The only place
//! that uses `anyhow` (errors here are reported to a person, not matched on).

use anyhow::{Context, Result, anyhow, bail};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use wellconsole::alarm::{journal, kpi};
use wellconsole::auth::audit;
use wellconsole::auth::users::{FailReason, UserError, UserStoreConfig};
use wellconsole::auth::{Actor, Role};
use wellconsole::cli::{
    AlarmReportArgs, AlarmsArgs, AlarmsCommand, AuditArgs, AuditCommand, BrowseArgs, Cli, Command, ConsoleOptions,
    HistoryArgs, HistoryCommand, HistoryDbArgs, OpcuaArgs, OpcuaCommand, PlantArgs, ProjectArgs, RunArgs,
    ScreenshotArgs, SimArgs, UsersArgs, UsersCommand, WriteArgs,
};
use wellconsole::driver::opcua::library_log::QuietNormalClose;
use wellconsole::historian::{History, Resolution, export};
use wellconsole::project::{self, Project, ProjectFiles};
use wellconsole::records::Records;
use wellconsole::runtime::RuntimeOptions;
use wellconsole::serve::{PlantWrite, modbus, mqtt};
use wellconsole::sim::DemoPlant;

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
        Command::Check(project) => check(&project),
        Command::Sim(args) => sim(&args),
        Command::Opcua(OpcuaArgs {
            command: OpcuaCommand::Browse(args),
        }) => opcua_browse(&args),
        Command::Screenshot(args) => screenshot(&args),
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
    opts.audit = Some(project.audit_trail(&records));
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
    let measure = wellconsole::ui::MeasureOptions {
        exit_after: options.measure.exit_after.map(secs).transpose()?,
        frame_stats: options.measure.frame_stats.clone(),
    };
    let c = &options.settings;
    // With any user in the store, people log in and the console starts view-only.
    let users = logins(&project, &records)?;
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
    let user = args.user.as_deref();
    let role = args.role;
    let by = match logins(&project, &records)? {
        None => {
            if args.password_env.is_some() {
                bail!(
                    "--password-env applies only to a site with users, and this one has none: --user and --role name who acts"
                );
            }
            named_actor(user, role)
        }
        Some(store) => {
            if role.is_some() {
                bail!(
                    "--role applies only to a site with no users; this site has users in {}: the user's own role counts",
                    store.path.display()
                );
            }
            let Some(name) = user else {
                bail!(
                    "this site has users in {}: --user NAME logs in (the password from standard input or --password-env VAR)",
                    store.path.display()
                );
            };
            match cli_login(&project, &records, &store, name, &args.password_env)? {
                Some(actor) => actor,
                None => return Ok(ExitCode::FAILURE),
            }
        }
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

/// Logs `name` in at the command line, as the console's login does: the store's lockout, an answer that
/// takes the same time whatever the cause, and the try in the audit trail with its real cause (the person
/// reads the same words whatever it was). The console's back-off counts failures in a row at one console;
/// each command line is one try, and the store's lockout counts them all. `None`: refused (said on
/// standard output).
fn cli_login(
    project: &Project,
    records: &Records,
    store: &UserStoreConfig,
    name: &str,
    password_env: &Option<String>,
) -> Result<Option<Actor>> {
    let password = password_from(password_env, &format!("password for {name}"))?;
    if password.is_empty() {
        // The console's dialog offers no login without a password either: not a try, and not counted.
        bail!("no password given (standard input was empty)");
    }
    let trail = project.audit_trail(records);
    let mut conn = audit::open(&trail)?;
    let answer = store.check_login(name, &password, Duration::ZERO);
    let now = wellconsole::tag::Timestamp::now();
    let attempted = Actor::new(name, Role::Viewer);
    let entry = |by: &Actor, action: &str, detail: String, allowed: bool| {
        audit::AuditEntry::by(now, by, action, "command line", detail, allowed)
    };
    let mut entries = Vec::new();
    let outcome = match answer {
        Ok(actor) => {
            entries.push(entry(&actor, "login", "wellconsole write".into(), true));
            Ok(Some(actor))
        }
        Err(UserError::LoginFailed(why)) => {
            entries.push(entry(&attempted, "login", why.to_string(), false));
            if matches!(why, FailReason::LockedNow { .. }) {
                entries.push(entry(&attempted, "account locked", why.to_string(), true));
            }
            println!("{name}: login refused: {}", UserError::LoginFailed(why));
            Ok(None)
        }
        Err(e) => {
            entries.push(entry(&attempted, "login", e.to_string(), false));
            Err(anyhow::Error::from(e).context(format!("{}: the user store cannot be read", store.path.display())))
        }
    };
    for e in &entries {
        audit::append(&mut conn, &trail, e)?;
    }
    outcome
}

fn headless(args: &RunArgs) -> Result<ExitCode> {
    let c = &args.console;
    let project = load(&c.project)?;
    let mut opts = with_history(plant_options(&c.plant), &c.history);
    keep_records(&project, &mut opts)?;
    let duration = secs(args.for_secs.context("--for SECONDS is required with --headless")?)?;
    let report = wellconsole::headless::run_for(project, opts, duration)?;
    println!(
        "{}: {} tags, {} samples in ({:.0}/s), {} coalesced, {:.1} s",
        report.site,
        report.tags,
        report.samples_in,
        report.samples_per_sec,
        report.samples_coalesced,
        report.ran_for_secs
    );
    if let Some(h) = &report.history {
        println!(
            "history: {} samples stored, {} NOT stored ({} dropped at the queue, {} lost by the writer)",
            h.samples_stored, h.samples_not_stored, h.samples_dropped, h.samples_lost
        );
    }
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
    let by = cli_actor();
    let (action, target, outcome) = match command {
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
        UsersCommand::Unlock { name } => (
            "user unlocked",
            name.clone(),
            store.unlock(&name).map(|n| format!("failed logins of {n} forgotten")),
        ),
        UsersCommand::Add {
            name,
            role,
            password_env,
        } => {
            let pw = password_from(&password_env, &format!("new password for {name}"))?;
            (
                "user added",
                name.clone(),
                store.add(&name, role, &pw, now).map(|()| format!("role {role}")),
            )
        }
        UsersCommand::Passwd { name, password_env } => {
            let pw = password_from(&password_env, &format!("new password for {name}"))?;
            (
                "password changed",
                name.clone(),
                store.set_password(&name, &pw, now).map(|()| String::new()),
            )
        }
        UsersCommand::Restore {
            name,
            role,
            password_env,
        } => {
            let pw = password_from(&password_env, &format!("new password for {name}"))?;
            (
                "user record restored",
                name.clone(),
                store
                    .restore(&name, role, &pw, now)
                    .map(|()| format!("role {role}, new password, sealed again")),
            )
        }
        UsersCommand::Disable { name } => (
            "user disabled",
            name.clone(),
            store.set_disabled(&name, true, now).map(|()| String::new()),
        ),
        UsersCommand::Enable { name } => (
            "user enabled",
            name.clone(),
            store.set_disabled(&name, false, now).map(|()| String::new()),
        ),
    };
    let entry =
        |allowed: bool, detail: String| audit::AuditEntry::by(now, &by, action, target.clone(), detail, allowed);
    match outcome {
        Ok(detail) => {
            audit::append(&mut audit_db, &trail, &entry(true, detail))?;
            println!("{action}: {target}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            audit::append(&mut audit_db, &trail, &entry(false, e.to_string()))?;
            Err(e.into())
        }
    }
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
    let esp_wells = cfg.plant.esp_wells;
    let mut plant = DemoPlant::new(cfg.plant);
    // The servers offer setpoints through writable registers and metrics of their own.
    let served = wellconsole::sim::served_specs(plant.specs()).to_vec();
    let map = modbus::register_map(&served);
    if args.modbus_map {
        print!("{}", modbus::map_csv(&map, esp_wells));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(endpoint) = &args.modbus_site_for {
        print!("{}", modbus::example_site_toml(&map, esp_wells, endpoint));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(broker) = &args.mqtt_site_for {
        print!("{}", mqtt::example_site_toml(&served, esp_wells, broker));
        return Ok(ExitCode::SUCCESS);
    }
    // Writes from either server reach the plant through one queue.
    let (write_tx, writes) = crossbeam_channel::bounded::<PlantWrite>(64);
    let image = match args.modbus {
        Some(addr) => {
            let image = Arc::new(RwLock::new(modbus::RegisterImage::new(&map, esp_wells)));
            let server_image = image.clone();
            let tx = write_tx.clone();
            std::thread::Builder::new()
                .name("modbus-server".into())
                .spawn(move || {
                    if let Err(e) = modbus::serve_blocking(addr, server_image, tx) {
                        eprintln!("wellconsole sim: {e}");
                        std::process::exit(2);
                    }
                })?;
            eprintln!("serving the demo plant on Modbus TCP {addr} (register map: wellconsole sim --modbus-map)");
            Some(image)
        }
        None => None,
    };
    let frames = match &args.mqtt {
        Some(broker) => {
            let (host, port) = broker
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .with_context(|| format!("--mqtt {broker}: expected HOST:PORT"))?;
            let cfg = mqtt::EdgeConfig {
                host,
                port,
                group: mqtt::DEFAULT_GROUP.into(),
                node: mqtt::DEFAULT_NODE.into(),
                json_prefix: mqtt::DEFAULT_JSON_PREFIX.into(),
            };
            let (ftx, frx) = crossbeam_channel::bounded(8);
            let specs = served.clone();
            let tx = write_tx.clone();
            std::thread::Builder::new().name("mqtt-edge".into()).spawn(move || {
                if let Err(e) = mqtt::publish_blocking(cfg, specs, esp_wells, frx, tx) {
                    eprintln!("wellconsole sim: {e}");
                    std::process::exit(2);
                }
            })?;
            eprintln!(
                "publishing the demo plant to MQTT {broker}: Sparkplug B group '{}' node '{}', JSON under '{}/<device>'",
                mqtt::DEFAULT_GROUP,
                mqtt::DEFAULT_NODE,
                mqtt::DEFAULT_JSON_PREFIX
            );
            Some(ftx)
        }
        None => None,
    };
    drop(write_tx);
    let dt = cfg.period.as_secs_f64();
    let mut faults = args.plant.faults.clone();
    faults.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    let started = std::time::Instant::now();
    let mut next_print = 0.0;
    loop {
        while faults.first().is_some_and(|f| f.at_secs <= plant.time_s()) {
            let f = faults.remove(0);
            plant
                .inject(f.fault.clone())
                .map_err(|e| anyhow!("fault {}: {e}", f.fault))?;
            println!("t={:>8.1}s  fault injected: {}", plant.time_s(), f.fault);
        }
        if plant.time_s() >= next_print {
            let ct = plant.ct();
            let esp = plant.esp(0);
            println!(
                "t={:>8.1}s  CT {:<10} depth {:>7.1} ft  speed {:>6.1} ft/min  weight {:>7.0} lbf  circ {:>5.0} psi  whp {:>5.0} psi | ESP01 {:>5.0} bbl/d {:>5.1} A {:>5.1} °F",
                plant.time_s(),
                ct.reported_phase().label(),
                ct.depth_ft(),
                ct.speed_fpm(),
                ct.weight_lbf(),
                ct.circ_pressure_psi(),
                ct.wellhead_pressure_psi(),
                esp.map_or(0.0, |w| w.rate_bpd()),
                esp.map_or(0.0, |w| w.motor_current_a()),
                esp.map_or(0.0, |w| w.motor_temp_f()),
            );
            next_print += args.every;
        }
        if args.for_secs.is_some_and(|t| plant.time_s() >= t) {
            return Ok(ExitCode::SUCCESS);
        }
        plant.step(dt);
        while let Ok(PlantWrite::EspFrequency { index, hz }) = writes.try_recv() {
            plant.set_esp_frequency(index, hz);
            println!(
                "t={:>8.1}s  ESP{:02} frequency setpoint {hz:.1} Hz (written by a client)",
                plant.time_s(),
                index + 1
            );
        }
        if image.is_some() || frames.is_some() {
            let setpoints: Vec<f64> = (0..esp_wells)
                .filter_map(|i| plant.esp(i).map(|w| w.frequency_setpoint_hz()))
                .collect();
            let readings = plant.read().to_vec();
            if let Some(image) = &image
                && let Ok(mut img) = image.write()
            {
                img.update(&map, &readings, &setpoints);
            }
            if let Some(frames) = &frames {
                let frame = mqtt::Frame {
                    time_ms: u64::try_from(wellconsole::tag::Timestamp::now().micros() / 1000).unwrap_or(0),
                    values: readings,
                    qualities: (0..plant.specs().len()).map(|i| plant.signal_quality(i)).collect(),
                    setpoints_hz: setpoints,
                };
                // The publisher keeps only the newest frame; a full queue means it is behind.
                let _ = frames.try_send(frame);
            }
        }
        let due = Duration::from_secs_f64(plant.time_s() / speed);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
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
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        bail!("{s} is not a positive number of seconds")
    }
}
