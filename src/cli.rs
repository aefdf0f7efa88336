//! Command-line interface (clap): every subcommand and option, with the help text people read.
//!
//! Each subcommand takes only the options it uses, so its `--help` lists those alone and clap refuses any
//! other. The console's options (no subcommand, or `run`) may also stand before a subcommand's name, as
//! scripts write `wellconsole --project DIR users list`: `Cli::parse_args` reads them as if written after
//! the name, so they reach a subcommand that takes them and are refused by one that does not, wherever
//! they stand. (clap's `global = true` would have listed every console option under every subcommand.)

use crate::sim::ScheduledFault;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "wellconsole",
    version,
    about = "Operator console for oil & gas wells (HMI/SCADA)"
)]
pub struct Cli {
    #[command(flatten)]
    pub console: ConsoleOptions,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses a command line (`args[0]` is the program's name). Use this, not clap's own `parse`: console
    /// options written before a subcommand's name are read as the subcommand's, so `wellconsole --project
    /// DIR users list` works, and `wellconsole --speed 5 history stats` is refused as `history stats --speed
    /// 5` is.
    pub fn parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let cli = Self::try_parse_from(&args)?;
        if cli.command.is_none() {
            return Ok(cli);
        }
        match subcommand_at(&args) {
            Some(at) if at > 1 => {
                let mut moved = Vec::with_capacity(args.len());
                moved.push(args[0].clone());
                moved.push(args[at].clone());
                moved.extend_from_slice(&args[1..at]);
                moved.extend_from_slice(&args[at + 1..]);
                Self::try_parse_from(moved)
            }
            _ => Ok(cli),
        }
    }

    /// What to run: the subcommand, or the console (`run` without `--headless`) when there is none.
    pub fn into_command(self) -> Command {
        match self.command {
            Some(command) => command,
            None => Command::Run(RunArgs {
                headless: false,
                for_secs: None,
                stats_json: None,
                console: self.console,
            }),
        }
    }
}

/// Where the subcommand's name stands in `args`: the first word after the program's name that is neither
/// a top-level option nor the value of one (every top-level option is a `--long` one).
fn subcommand_at(args: &[OsString]) -> Option<usize> {
    let mut top = Cli::command();
    top.build();
    let mut at = 1;
    while let Some(word) = args.get(at) {
        let word = word.to_string_lossy();
        let Some(long) = word.strip_prefix("--") else {
            return Some(at);
        };
        let value_follows = !long.contains('=')
            && top
                .get_arguments()
                .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
        at += if value_follows { 2 } else { 1 };
    }
    None
}

// Everything the console takes: with no subcommand, or after `run`.
#[derive(Debug, Args, Clone)]
pub struct ConsoleOptions {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub plant: PlantArgs,
    #[command(flatten)]
    pub measure: MeasureArgs,
    #[command(flatten)]
    pub history: HistoryDbArgs,
    #[command(flatten)]
    pub locale: LocaleArgs,
    #[command(flatten)]
    pub settings: ConsoleArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ProjectArgs {
    /// Project directory (site.toml, data/, screens/, symbols/, alarms/). Default: the built-in demo.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct PlantArgs {
    /// Simulator speed, times real time (overrides site.toml).
    #[arg(long, value_name = "N")]
    pub speed: Option<f64>,
    /// Inject a simulator fault: KIND[:TARGET][@SECONDS], e.g. stuck-pipe:ct01@120, comm-loss:esp03,
    /// sensor-fail:ct01/weight@30. Kinds: sensor-fail, overpressure, comm-loss, stuck-pipe, gas-lock.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<ScheduledFault>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct HistoryDbArgs {
    /// History database (default: the project's; see [historian] in site.toml). Moves history only:
    /// the site's records (users, audit trail, alarm journal) stay where the project keeps them.
    #[arg(long, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    /// Run without keeping history.
    #[arg(long)]
    pub no_history: bool,
}

#[derive(Debug, Args, Clone)]
pub struct LocaleArgs {
    /// Language of the console and of alarm texts: en or es.
    #[arg(long, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// Units people read and type at this console: oilfield (psi, lbf, ft, bbl, °F) or si (kPa, kN, m,
    /// m³, °C). Tags, history, alarm limits and writes keep the tags' own units. Switchable in the console.
    #[arg(long, default_value = "oilfield")]
    pub units: crate::units::UnitSystem,
}

#[derive(Debug, Args, Clone)]
pub struct ConsoleArgs {
    /// Name recorded for this console's operator actions on a site with no users (default: the OS user).
    /// Refused on a site with users: there people log in.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Role of this console's user on a site with no users at all (default: operator): admin, supervisor,
    /// engineer, operator or viewer. Refused on a site with users (`wellconsole users add` makes the
    /// first): there people log in and the console starts view-only.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
    /// Minutes without input after which a logged-in user is logged out (0: never).
    #[arg(long, value_name = "MINUTES", default_value_t = 15.0)]
    pub idle_logout_min: f64,
    /// Sound profile from the alarm files ([sound.NAME]), e.g. control-room or cab.
    #[arg(long, value_name = "NAME", default_value = "control-room")]
    pub sound_profile: String,
    /// Start in touch mode (cab panels: 15 mm targets, large keypad); switchable in the console.
    #[arg(long)]
    pub touch: bool,
    /// Start with the high-contrast sunlight colours; switchable in the console.
    #[arg(long)]
    pub sunlight: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct MeasureArgs {
    /// Close the console after this many seconds (measurement and smoke tests).
    #[arg(long, value_name = "SECONDS")]
    pub exit_after: Option<f64>,
    /// With --exit-after: write frame-time statistics (JSON) to FILE.
    #[arg(long, value_name = "FILE", requires = "exit_after")]
    pub frame_stats: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the project: the console, or with --headless everything except the UI.
    Run(RunArgs),
    /// Write a value to a tag as a person would at the console: checked against their role, recorded in
    /// the audit trail, then waits for the device. Exit 0: confirmed; 1: refused, failed or no answer in
    /// time; 2: a usage or project problem.
    Write(WriteArgs),
    /// Validate every project file; prints path:line:col: message per problem, exit 1 if any.
    Check(ProjectArgs),
    /// Run the demo plant alone and print a summary line every interval.
    Sim(SimArgs),
    /// OPC UA tools for engineers mapping tags.
    Opcua(OpcuaArgs),
    /// Read the history database: export to CSV, storage statistics.
    History(HistoryArgs),
    /// The central store history is forwarded to (`[forward]` in site.toml): send what is queued now, say
    /// where each stream stands, or compare central with local (counts and hashes per tag and day, the
    /// journal, the audit trail and its chain). Exit 1: verify found a difference.
    Forward(ForwardArgs),
    /// Read the alarm journal: performance report (EEMUA 191 / ISA-18.2 KPIs).
    Alarms(AlarmsArgs),
    /// Manage the console's users (names, roles, passwords); every change is audited.
    Users(UsersArgs),
    /// The audit trail: check that no record was edited or deleted, list the newest.
    Audit(AuditArgs),
    /// Render one screen with live data to a PNG, offscreen (no window or display needed).
    Screenshot(ScreenshotArgs),
    /// Replay a finished job (--job) or any window of history through the console, at 1 to 60 times real
    /// time, with pause, step and a time slider. No driver runs and no write leaves; nothing is written to
    /// history or the site's records (the audit trail still records people's acts).
    Replay(ReplayArgs),
    /// Engineering calculations on JSON from a file or standard input: CT fatigue, soft-string forces, the
    /// broomstick plot, circulating hydraulics, pipe limits. Prints JSON (a table with --table). Exit 1: an
    /// invalid input, its field named; 2: the input could not be read or the result written.
    Calc(CalcArgs),
    /// CT jobs for the office: list and show them, create and move them through their workflow (draft,
    /// planned, approved, in progress, completed, cancelled), issue and print the ticket, export a job as
    /// JSON. A change is checked against the role and audited as at the console: on a site with users
    /// --user logs in; on one with none, --user and --role name who acts. Exit 1: refused or invalid (the
    /// reason is said); 2: the project, the records or a file could not be read or written.
    Job(JobArgs),
    /// Well tests on the site's test separator, for the office: list and show them (with the well's inflow
    /// curve), sign one as its tester, approve or reject it, write its certificate as a PDF, export them as
    /// JSON or CSV. A change (and a certificate) is checked against the role and audited as at the console:
    /// on a site with users --user logs in; on one with none, --user and --role name who acts. Exit 1:
    /// refused or invalid (the reason is said); 2: the project, the records or a file could not be read or
    /// written.
    Production(ProductionArgs),
    /// The read-only HTTP API's tokens (`[api]` in site.toml): make one for a role (shown once, kept only
    /// as its hash), list them, revoke one. Every change is audited; a running console sees it within 2 s.
    Api(ApiArgs),
    /// Run the site's console without a window to serve its read-only HTTP API (`[api]` in site.toml):
    /// drivers, hub, trips, alarms, historian and records, until stopped (Ctrl-C or SIGTERM) or --for ends.
    ServeApi(ServeApiArgs),
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct ApiArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(subcommand)]
    pub command: ApiCommand,
}

#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// The API's tokens.
    #[command(subcommand)]
    Token(ApiTokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Make a token and print it (once: only its hash is kept).
    Add {
        /// Who or what uses it, e.g. erp or office-reports (1-32 letters, digits, '.', '_', '-').
        name: String,
        /// What it may read: viewer (default) reads everything but the audit trail, which needs
        /// supervisor or admin.
        #[arg(long, default_value = "viewer")]
        role: crate::auth::Role,
    },
    /// Every token with its role and when it was made (never the token).
    List,
    /// Revoke a token: refused from the API's next look at the store (2 s).
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct ServeApiArgs {
    /// Stop after this many seconds (tests and measurements); default: run until stopped.
    #[arg(long = "for", value_name = "SECONDS")]
    pub for_secs: Option<f64>,
    #[command(flatten)]
    pub console: ConsoleOptions,
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct JobArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// History database the ticket's charts are read from (default: the project's).
    #[arg(long, global = true, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: JobCommand,
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// The site's jobs, newest first.
    List {
        /// Only jobs in this state: draft, planned, approved, in_progress, completed or cancelled.
        #[arg(long, value_parser = parse_job_status)]
        status: Option<crate::job::model::JobStatus>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One job: its fields, operations, fluids, BHA, NPT, signatures, statistics and the ticket's check.
    Show {
        number: String,
        /// JSON (as `job export` writes it) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A new job, saved as a draft: from options, or whole from a JSON file (--from).
    New(Box<JobNewArgs>),
    /// DRAFT → PLANNED: the plan is complete (type, well, unit, reel, supervisor and client).
    Plan(JobActArgs),
    /// PLANNED → APPROVED, for the crew to run (a supervisor or an engineer).
    Approve(JobActArgs),
    /// APPROVED → IN_PROGRESS: the unit's detected operations are recorded from now.
    Start(JobActArgs),
    /// IN_PROGRESS → COMPLETED: the job's statistics are frozen.
    Complete(JobActArgs),
    /// Cancel a job not yet completed.
    Cancel(JobActArgs),
    /// Delete a DRAFT job.
    Delete(JobActArgs),
    /// Issue a completed job's ticket for signatures: its content and SHA-256 are frozen.
    Issue(JobActArgs),
    /// Write the ticket as a PDF: the issued one with its signatures, or a DRAFT of what it says now.
    Ticket(JobTicketArgs),
    /// The whole job as JSON: fields, operations, fluids, BHA, NPT, signatures, statistics.
    Export(JobExportArgs),
}

impl JobCommand {
    /// Who acts, for a command that changes the records; None for one that only reads them.
    pub fn login(&self) -> Option<&JobLoginArgs> {
        match self {
            JobCommand::New(a) => Some(&a.login),
            JobCommand::Plan(a)
            | JobCommand::Approve(a)
            | JobCommand::Start(a)
            | JobCommand::Complete(a)
            | JobCommand::Cancel(a)
            | JobCommand::Delete(a)
            | JobCommand::Issue(a) => Some(&a.login),
            JobCommand::List { .. } | JobCommand::Show { .. } | JobCommand::Ticket(_) | JobCommand::Export(_) => None,
        }
    }
}

/// Who makes a change to the job records (as `wellconsole write` names who writes).
#[derive(Debug, Args, Clone, Default)]
pub struct JobLoginArgs {
    /// On a site with users: who logs in (the password from standard input, or --password-env). On a site
    /// with no users at all: the name recorded (default: the OS user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Environment variable holding the password (never on the command line); only on a site with users.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The role on a site with no users at all (default: operator; planning and approving need supervisor
    /// or engineer). Refused on a site with users: there the user's own role counts.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
}

#[derive(Debug, Args)]
pub struct JobActArgs {
    /// The job number, e.g. CT-2026-0142.
    pub number: String,
    #[command(flatten)]
    pub login: JobLoginArgs,
}

#[derive(Debug, Args)]
pub struct JobNewArgs {
    /// The job number (unique on the site): 1-32 letters, digits, '-', '_', '/' or '.'.
    pub number: String,
    /// The job's fields as JSON (job_type "CLN", well, field, unit, reel, supervisor, operator, client,
    /// client_rep, objective, well_depth_ft, target_depth_ft, estimated_hours, planned_start and planned_end
    /// in microseconds since 1970, description, notes) instead of the options.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = [
        "job_type", "well", "unit", "reel", "field", "client", "client_rep", "supervisor", "operator",
        "objective", "well_depth", "target_depth", "hours", "planned_start", "planned_end",
    ])]
    pub from: Option<PathBuf>,
    /// CLN, N2L, ACT, MIL, FSH, LOG, PER or CTD.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_job_type, required_unless_present = "from")]
    pub job_type: Option<crate::job::model::JobType>,
    #[arg(long, required_unless_present = "from")]
    pub well: Option<String>,
    /// The CT unit (`[ct.<unit>]` in site.toml), e.g. ct01.
    #[arg(long, required_unless_present = "from")]
    pub unit: Option<String>,
    /// The reel record's id (reels/*.toml).
    #[arg(long, required_unless_present = "from")]
    pub reel: Option<String>,
    #[arg(long)]
    pub field: Option<String>,
    #[arg(long)]
    pub client: Option<String>,
    /// The client's representative (who signs the ticket last).
    #[arg(long, value_name = "NAME")]
    pub client_rep: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub supervisor: Option<String>,
    /// The CT operator.
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub objective: Option<String>,
    /// The well's depth, ft.
    #[arg(long, value_name = "FT")]
    pub well_depth: Option<f64>,
    /// The depth the job must reach, ft.
    #[arg(long, value_name = "FT")]
    pub target_depth: Option<f64>,
    /// Estimated hours.
    #[arg(long, value_name = "HOURS")]
    pub hours: Option<f64>,
    /// Planned start: RFC 3339 or local 'YYYY-MM-DD HH:MM'.
    #[arg(long, value_name = "TIME")]
    pub planned_start: Option<String>,
    /// Planned end (same forms as --planned-start).
    #[arg(long, value_name = "TIME")]
    pub planned_end: Option<String>,
    #[command(flatten)]
    pub login: JobLoginArgs,
}

#[derive(Debug, Args)]
pub struct JobTicketArgs {
    pub number: String,
    /// The PDF file to write.
    #[arg(long, value_name = "FILE.pdf")]
    pub pdf: PathBuf,
    /// The ticket's language: en or es.
    #[arg(long, default_value = "en")]
    pub lang: crate::lang::Lang,
    /// SI units (kPa, kN, m, m³) instead of oilfield.
    #[arg(long)]
    pub si: bool,
}

#[derive(Debug, Args)]
pub struct JobExportArgs {
    pub number: String,
    /// Write JSON to FILE; `-` or no FILE: standard output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: PathBuf,
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct ProductionArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// History database the certificate's charts are read from (default: the project's).
    #[arg(long, global = true, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ProductionCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProductionCommand {
    /// The site's well tests, newest first: rates, ratios, flowing pressure, status, who signed and decided.
    Tests {
        /// Only this well's tests (its id as the routing names it, e.g. esp01).
        #[arg(long)]
        well: Option<String>,
        /// Only tests in this state: pending, approved or rejected.
        #[arg(long, value_parser = parse_test_status)]
        status: Option<crate::production::model::TestStatus>,
        /// At most this many tests, 1 to 100000.
        #[arg(
            long,
            value_name = "N",
            default_value_t = 100,
            value_parser = clap::value_parser!(u64).range(1..=100_000)
        )]
        limit: u64,
        /// JSON (an array of tests; an undefined ratio is null) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One test, every field, and the well's inflow curve as of that test (fitted to its approved tests up
    /// to it) when the site's production configuration has the well.
    Show {
        /// The test's number (the first column of `production tests`).
        id: i64,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Sign a pending test as its tester, who witnessed it on the separator (anyone but a viewer).
    Sign(ProductionActArgs),
    /// Approve a pending test: it counts for the well's inflow curve from now on (a supervisor or an
    /// engineer).
    Approve(ProductionApproveArgs),
    /// Reject a pending test, or an approved one found wrong later: kept, never counted (a supervisor or an
    /// engineer; the reason is required).
    Reject(ProductionRejectArgs),
    /// Write one test's certificate as a PDF (--pdf: a new file, never over one; audited, and a login is
    /// needed), or the tests as JSON (--json) or CSV (--csv, one row per test) to FILE or standard output.
    Export(ProductionExportArgs),
}

impl ProductionCommand {
    /// Who acts, for a command that changes the records or writes a certificate; None for one that only
    /// reads them.
    pub fn login(&self) -> Option<&ProductionLoginArgs> {
        match self {
            ProductionCommand::Sign(a) => Some(&a.login),
            ProductionCommand::Approve(a) => Some(&a.login),
            ProductionCommand::Reject(a) => Some(&a.login),
            ProductionCommand::Export(a) if a.pdf.is_some() => Some(&a.login),
            ProductionCommand::Export(_) | ProductionCommand::Tests { .. } | ProductionCommand::Show { .. } => None,
        }
    }
}

/// Who acts on a well test (as `wellconsole write` names who writes).
#[derive(Debug, Args, Clone, Default)]
pub struct ProductionLoginArgs {
    /// On a site with users: who logs in (the password from standard input, or --password-env). On a site
    /// with no users at all: the name recorded (default: the OS user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Environment variable holding the password (never on the command line); only on a site with users.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The role on a site with no users at all (default: operator; approving and rejecting need supervisor
    /// or engineer). Refused on a site with users: there the user's own role counts.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
}

impl ProductionLoginArgs {
    /// Whether any of the options was given.
    pub fn given(&self) -> bool {
        self.user.is_some() || self.password_env.is_some() || self.role.is_some()
    }
}

#[derive(Debug, Args)]
pub struct ProductionActArgs {
    /// The test's number.
    pub id: i64,
    #[command(flatten)]
    pub login: ProductionLoginArgs,
}

#[derive(Debug, Args)]
pub struct ProductionApproveArgs {
    /// The test's number.
    pub id: i64,
    /// A note kept with the test (replaces its note; none keeps it).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub login: ProductionLoginArgs,
}

#[derive(Debug, Args)]
pub struct ProductionRejectArgs {
    /// The test's number.
    pub id: i64,
    /// What was wrong with it (slugging, a meter out of calibration …), kept with the test.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    #[command(flatten)]
    pub login: ProductionLoginArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("format").required(true).args(["pdf", "json", "csv"])))]
pub struct ProductionExportArgs {
    /// The test: required with --pdf; with --json or --csv, that test alone.
    #[arg(conflicts_with = "well")]
    pub id: Option<i64>,
    /// Write the test's certificate to this new PDF file (never over a file, never into the records' folder).
    #[arg(long, value_name = "FILE.pdf", requires = "id")]
    pub pdf: Option<PathBuf>,
    /// The tests as JSON (an array, as `production tests --json`) to FILE; `-` or no FILE: standard output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// The tests as CSV (a header with units, one row per test) to FILE; `-` or no FILE: standard output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub csv: Option<PathBuf>,
    /// With --json or --csv: only this well's tests (newest first; all of them, up to 100000).
    #[arg(long, conflicts_with = "pdf")]
    pub well: Option<String>,
    /// The certificate's language: en or es.
    #[arg(long, requires = "pdf")]
    pub lang: Option<crate::lang::Lang>,
    /// The certificate's units: oilfield (STB/d, psi, °F) or si (m³/d, kPa, °C).
    #[arg(long, requires = "pdf")]
    pub units: Option<crate::units::UnitSystem>,
    // With --pdf: who writes the certificate.
    #[command(flatten)]
    pub login: ProductionLoginArgs,
}

fn parse_test_status(s: &str) -> Result<crate::production::model::TestStatus, String> {
    crate::production::model::TestStatus::parse(s)
        .ok_or_else(|| format!("'{s}' is not a well test's state (pending, approved or rejected)"))
}

fn parse_job_status(s: &str) -> Result<crate::job::model::JobStatus, String> {
    crate::job::model::JobStatus::parse(s).ok_or_else(|| {
        format!("'{s}' is not a job state (draft, planned, approved, in_progress, completed or cancelled)")
    })
}

fn parse_job_type(s: &str) -> Result<crate::job::model::JobType, String> {
    crate::job::model::JobType::parse(s)
        .ok_or_else(|| format!("'{s}' is not a job type (CLN, N2L, ACT, MIL, FSH, LOG, PER or CTD)"))
}

#[derive(Debug, Args)]
pub struct CalcArgs {
    /// The calculation.
    #[arg(value_enum)]
    pub kind: CalcKind,
    /// The input, JSON (at most 16 MiB); `-` or none: standard input.
    #[arg(value_name = "FILE.json")]
    pub input: Option<PathBuf>,
    /// Aligned tables with units for people, instead of JSON.
    #[arg(long)]
    pub table: bool,
}

/// What `wellconsole calc` computes (README: "Engineering calculations from the command line").
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalcKind {
    /// CT low-cycle fatigue: bending events on a pipe ("mode": "events") or a reel's string through a
    /// planned job ("mode": "string").
    Fatigue,
    /// One soft-string drag run at a tip depth, with the buckling onsets and the buoyed weight.
    Forces,
    /// Pick-up and slack-off weight versus depth per friction factor, lockup and maximum reach.
    Broomstick,
    /// A CT circulating system: reel, pipe, annulus and nozzle losses, pump pressure, ECD.
    Hydraulics,
    /// Stresses and ratings of a pipe under a combined load (von Mises, burst, collapse), and its envelope.
    Limits,
    /// A well's inflow (linear PI, Vogel or composite IPR) fitted to its tests: PI, AOF, rates, the curve.
    Ipr,
    /// Arps decline (exponential, harmonic, hyperbolic) fitted to daily rates: forecast, EUR, remaining.
    Decline,
    /// ESP performance at a live point: TDH, hydraulic and brake horsepower, efficiency, motor load, and
    /// the catalogue pump curve at the live frequency.
    Esp,
}

#[derive(Debug, Args)]
pub struct ScreenshotArgs {
    /// The screen's id, e.g. field, ct01, esp02 (`wellconsole check` lists problems; screens/ the ids).
    #[arg(long)]
    pub screen: String,
    /// The PNG file to write.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1920)]
    pub width: u32,
    #[arg(long, default_value_t = 1080)]
    pub height: u32,
    /// Seconds the project runs before the picture is taken (values, alarms and trends fill in).
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub after: f64,
    /// Draw it in the high-contrast sunlight colours.
    #[arg(long)]
    pub sunlight: bool,
    #[command(flatten)]
    pub locale: LocaleArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub plant: PlantArgs,
}

// A group of subcommands reads one project: `--project` is global within the group, so it may stand before
// or after the subcommand's name (`users --project DIR list`, `users list --project DIR`).

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct UsersArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. The password is read from standard input (one line) or from --password-env.
    Add {
        name: String,
        #[arg(long)]
        role: crate::auth::Role,
        /// Environment variable holding the password (never on the command line).
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Every user with role and state.
    List,
    /// Set a new password (standard input or --password-env).
    Passwd {
        name: String,
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Disable a user: they can no longer log in (their records stay).
    Disable { name: String },
    /// End a lockout after failed logins (and forget the failures).
    Unlock { name: String },
    /// Give a user record that fails its integrity check (edited outside wellconsole) its role and a
    /// password anew, and seal it again.
    Restore {
        name: String,
        #[arg(long)]
        role: crate::auth::Role,
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Enable a disabled user again.
    Enable { name: String },
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct ForwardArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// History database to forward from (default: the project's; see [historian] in site.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ForwardCommand,
}

#[derive(Debug, Subcommand)]
pub enum ForwardCommand {
    /// Send everything queued now and exit (the console does this on its own while it runs).
    Sync,
    /// What waits to be sent, locally, and each stream's position in the central store.
    Status,
    /// Hand this console's name in the central store over to this history database: after its disk was
    /// replaced or its history rebuilt, so it forwards under the name it always had. Audited.
    Adopt,
    /// Compare the central store with the local files; exit 1 on any difference.
    Verify {
        /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -7d (default: all).
        #[arg(long, allow_hyphen_values = true)]
        from: Option<String>,
        /// End (same forms as --from; default: now).
        #[arg(long, allow_hyphen_values = true)]
        to: Option<String>,
    },
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct AuditArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exits 1 and names the first broken record if any was edited or deleted.
    Verify,
    /// The newest records.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct AlarmsArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(subcommand)]
    pub command: AlarmsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlarmsCommand {
    /// Alarms per 10 min, floods, top 10, chattering, stale and priority distribution over a window.
    Report(AlarmReportArgs),
}

#[derive(Debug, Args)]
pub struct AlarmReportArgs {
    /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -24h.
    #[arg(long, default_value = "-24h", allow_hyphen_values = true)]
    pub from: String,
    /// End (same forms as --from).
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    pub to: String,
    /// CSV instead of text.
    #[arg(long)]
    pub csv: bool,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(mut_arg("project", |a| a.global(true)))]
pub struct HistoryArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// History database to read (default: the project's; see [historian] in site.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Samples (or 1 min / 1 h rollups) of one or more tags over a time range, as CSV.
    Export(ExportArgs),
    /// Sample counts, bytes per sample and size, per tag and in total.
    Stats,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Tag name; repeat for several (--tag ct01/weight --tag ct01/depth).
    #[arg(long = "tag", value_name = "NAME", required = true)]
    pub tags: Vec<String>,
    /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -2h.
    #[arg(long, default_value = "-1h", allow_hyphen_values = true)]
    pub from: String,
    /// End (same forms as --from).
    #[arg(long, default_value = "now", allow_hyphen_values = true)]
    pub to: String,
    /// raw, 1m or 1h.
    #[arg(long, default_value = "raw")]
    pub resolution: String,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpcuaArgs {
    #[command(subcommand)]
    pub command: OpcuaCommand,
}

#[derive(Debug, Subcommand)]
pub enum OpcuaCommand {
    /// Browse a server's address space: node ids, names, data types, values; optionally [[tag]] entries.
    Browse(BrowseArgs),
}

#[derive(Debug, Args)]
pub struct BrowseArgs {
    /// The server, e.g. opc.tcp://10.0.0.7:4840/
    pub endpoint: String,
    /// Node to start from (default: the Objects folder).
    #[arg(long, default_value = "i=85", value_name = "NODEID")]
    pub node: String,
    /// Levels to descend.
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    /// Stop after this many nodes.
    #[arg(long, default_value_t = 5_000)]
    pub max_nodes: usize,
    /// None or Basic256Sha256.
    #[arg(long, default_value = "None")]
    pub security_policy: String,
    /// None, Sign or SignAndEncrypt (default: SignAndEncrypt with Basic256Sha256).
    #[arg(long)]
    pub security_mode: Option<String>,
    #[arg(long)]
    pub username: Option<String>,
    /// Environment variable holding the password (never on the command line).
    #[arg(long, value_name = "VAR", requires = "username")]
    pub password_env: Option<String>,
    /// Client certificate store (default: ./pki).
    #[arg(long, value_name = "DIR", default_value = "pki")]
    pub pki_dir: PathBuf,
    /// Accept the server's certificate without it being in the trusted store.
    #[arg(long)]
    pub trust_server_cert: bool,
    #[arg(long, default_value_t = 5_000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Print [[tag]] entries for the variables found, bound to this driver name, instead of the tree. Tags are
    /// named after the node's path from the Objects folder, the same from any --node.
    #[arg(long, value_name = "DRIVER")]
    pub tags_for: Option<String>,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The tag, e.g. esp01/frequency_setpoint (it must be writable in site.toml).
    pub tag: String,
    /// The value as a person types it at a console with these --units and --lang: a number within the tag's
    /// range, ON or OFF, or text.
    #[arg(allow_negative_numbers = true)]
    pub value: String,
    /// Seconds to wait for the device: for its first value, then for its answer to the write.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// On a site with users: who logs in (the password from standard input, or --password-env). On a site
    /// with no users at all: the name recorded for the write (default: the OS user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Environment variable holding the password (never on the command line); only on a site with users.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The role on a site with no users at all (default: operator). Refused on a site with users: there the
    /// user's own role counts.
    #[arg(long)]
    pub role: Option<crate::auth::Role>,
    #[command(flatten)]
    pub locale: LocaleArgs,
    #[command(flatten)]
    pub project: ProjectArgs,
    // The tag's own driver runs for the write: for the simulator, at this speed and with these faults.
    #[command(flatten)]
    pub plant: PlantArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// No window: drivers, hub, trips, alarms, historian and the site's records; no UI.
    #[arg(long)]
    pub headless: bool,
    /// Run for this many seconds (wall time), then stop. Required with --headless.
    #[arg(long = "for", value_name = "SECONDS", required_if_eq("headless", "true"))]
    pub for_secs: Option<f64>,
    /// Write run statistics and every tag's last value as JSON.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    // `run` without --headless is the console: it takes all of the console's options.
    #[command(flatten)]
    pub console: ConsoleOptions,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Start: RFC 3339, local 'YYYY-MM-DD HH:MM[:SS]', 'now' or an offset like -2h. Required without --job.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "job",
        conflicts_with = "job"
    )]
    pub from: Option<String>,
    /// End (same forms as --from; default: now).
    #[arg(long, allow_hyphen_values = true, conflicts_with = "job")]
    pub to: Option<String>,
    /// The job to replay, from its actual start to its actual end (to now while it is in progress).
    #[arg(long, value_name = "NUMBER")]
    pub job: Option<String>,
    /// Times real time, 1 to 60 (changeable in the console).
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub speed: f64,
    /// History database to replay (default: the project's; see [historian] in site.toml). Read only.
    #[arg(long, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    /// No window: replay for --for seconds (wall time, or until the window's end) and report what the hub
    /// saw, as `run --headless` does.
    #[arg(long)]
    pub headless: bool,
    /// With --headless: seconds to run (wall time).
    #[arg(long = "for", value_name = "SECONDS", required_if_eq("headless", "true"))]
    pub for_secs: Option<f64>,
    /// With --headless: write the report and every tag's last value as JSON.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub measure: MeasureArgs,
    #[command(flatten)]
    pub locale: LocaleArgs,
    #[command(flatten)]
    pub settings: ConsoleArgs,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Plant time to simulate, seconds (default: run until interrupted).
    #[arg(long = "for", value_name = "SECONDS")]
    pub for_secs: Option<f64>,
    /// Print a summary every this many plant seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub every: f64,
    /// Serve the plant as a Modbus TCP server on this address (e.g. 127.0.0.1:5020).
    #[arg(long, value_name = "ADDR")]
    pub modbus: Option<std::net::SocketAddr>,
    /// Print the Modbus register map (CSV) and exit.
    #[arg(long)]
    pub modbus_map: bool,
    /// Print a project (site.toml) that reads the simulator's Modbus server at ADDR, and exit.
    #[arg(long, value_name = "ADDR")]
    pub modbus_site_for: Option<String>,
    /// Publish the plant to the MQTT broker at HOST:PORT as a Sparkplug B edge node and as JSON.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt: Option<String>,
    /// Print a project (site.toml) that reads the simulator's MQTT publications via HOST:PORT, and exit.
    #[arg(long, value_name = "HOST:PORT")]
    pub mqtt_site_for: Option<String>,
    #[command(flatten)]
    pub project: ProjectArgs,
    #[command(flatten)]
    pub plant: PlantArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::lang::Lang;
    use clap::error::ErrorKind;
    use std::path::Path;

    fn parse(words: &str) -> Result<Command, clap::Error> {
        Cli::parse_args(std::iter::once("wellconsole").chain(words.split_whitespace())).map(Cli::into_command)
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn with_no_subcommand_the_console_runs_with_its_options() {
        let Ok(Command::Run(run)) = parse("--speed 20 --sunlight --exit-after 8 --sound-profile cab") else {
            panic!("the console")
        };
        assert!(!run.headless);
        assert_eq!(run.console.plant.speed, Some(20.0));
        assert!(run.console.settings.sunlight);
        assert_eq!(run.console.measure.exit_after, Some(8.0));
        assert_eq!(run.console.settings.sound_profile, "cab");
    }

    #[test]
    fn console_options_before_a_subcommand_reach_it() {
        let Ok(Command::Run(run)) = parse(
            "--history-db h.db --speed 50 --fault=comm-loss:esp02 run --headless --for 3 --fault stuck-pipe:ct01",
        ) else {
            panic!("run")
        };
        assert!(run.headless);
        assert_eq!(run.for_secs, Some(3.0));
        assert_eq!(run.console.history.history_db.as_deref(), Some(Path::new("h.db")));
        assert_eq!(run.console.plant.speed, Some(50.0));
        assert_eq!(run.console.plant.faults.len(), 2);

        let Ok(Command::History(history)) = parse("--history-db h.db history stats") else {
            panic!("history")
        };
        assert_eq!(history.history_db.as_deref(), Some(Path::new("h.db")));
        let Ok(Command::History(history)) = parse("history export --tag ct01/weight --history-db h.db") else {
            panic!("history")
        };
        assert_eq!(history.history_db.as_deref(), Some(Path::new("h.db")));

        for words in [
            "--project site users list",
            "users --project site list",
            "users add ana --role operator --project site",
        ] {
            let Ok(Command::Users(users)) = parse(words) else {
                panic!("{words}")
            };
            assert_eq!(users.project.project.as_deref(), Some(Path::new("site")), "{words}");
        }

        let Ok(Command::Write(write)) = parse("--user ana --role operator --lang es write esp01/frequency_setpoint -5")
        else {
            panic!("write")
        };
        assert_eq!(write.user.as_deref(), Some("ana"));
        assert_eq!(write.role, Some(Role::Operator));
        assert_eq!(write.locale.lang, Lang::Es);
        assert_eq!(write.value, "-5");

        // An option's value that reads like a subcommand's name is a value.
        let Ok(Command::Check(project)) = parse("--project check check") else {
            panic!("check")
        };
        assert_eq!(project.project.as_deref(), Some(Path::new("check")));
    }

    #[test]
    fn replay_takes_a_window_or_a_job_and_the_consoles_options() {
        let Ok(Command::Replay(r)) = parse("replay --from -2h --speed 10 --headless --for 5 --lang es") else {
            panic!("replay")
        };
        assert_eq!(r.from.as_deref(), Some("-2h"));
        assert_eq!(r.to, None);
        assert_eq!(r.speed, 10.0);
        assert!(r.headless);
        assert_eq!(r.for_secs, Some(5.0));
        assert_eq!(r.locale.lang, Lang::Es);
        let Ok(Command::Replay(r)) = parse("--history-db h.db --speed 30 replay --job CT-2026-0142") else {
            panic!("replay --job")
        };
        assert_eq!(r.job.as_deref(), Some("CT-2026-0142"));
        assert_eq!(r.speed, 30.0, "the console's --speed before the name is the replay's");
        assert_eq!(r.history_db.as_deref(), Some(Path::new("h.db")));
        assert_eq!(parse("replay").unwrap_err().kind(), ErrorKind::MissingRequiredArgument);
        assert_eq!(
            parse("replay --job J1 --from -1h").unwrap_err().kind(),
            ErrorKind::ArgumentConflict
        );
        for words in [
            "replay --from -1h --no-history",
            "replay --from -1h --fault comm-loss:esp01",
        ] {
            assert_eq!(parse(words).unwrap_err().kind(), ErrorKind::UnknownArgument, "{words}");
        }
    }

    #[test]
    fn calc_takes_a_kind_an_optional_input_and_table() {
        let Ok(Command::Calc(calc)) = parse("calc limits load.json --table") else {
            panic!("calc")
        };
        assert_eq!(calc.kind, CalcKind::Limits);
        assert_eq!(calc.input.as_deref(), Some(Path::new("load.json")));
        assert!(calc.table);
        let Ok(Command::Calc(calc)) = parse("calc hydraulics -") else {
            panic!("calc -")
        };
        assert_eq!(calc.input.as_deref(), Some(Path::new("-")));
        let Ok(Command::Calc(calc)) = parse("calc fatigue") else {
            panic!("calc")
        };
        assert!(calc.input.is_none() && !calc.table);
        for (words, kind) in [
            ("calc ipr", CalcKind::Ipr),
            ("calc decline rates.json", CalcKind::Decline),
            ("calc esp --table", CalcKind::Esp),
        ] {
            let Ok(Command::Calc(calc)) = parse(words) else {
                panic!("{words}")
            };
            assert_eq!(calc.kind, kind, "{words}");
        }
        assert_eq!(parse("calc stress").unwrap_err().kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn production_takes_its_subcommands_and_a_login_only_where_it_acts() {
        use crate::production::model::TestStatus;
        use crate::units::UnitSystem;
        let Ok(Command::Production(p)) = parse("production tests --well esp01 --status approved --limit 5 --json")
        else {
            panic!("production tests")
        };
        let ProductionCommand::Tests {
            well,
            status,
            limit,
            json,
        } = &p.command
        else {
            panic!("tests")
        };
        assert_eq!(
            (well.as_deref(), *status, *limit, *json),
            (Some("esp01"), Some(TestStatus::Approved), 5, true)
        );
        assert!(p.command.login().is_none(), "reading needs no login");
        let Ok(Command::Production(p)) = parse("production tests") else {
            panic!("production tests")
        };
        assert!(matches!(
            p.command,
            ProductionCommand::Tests {
                well: None,
                status: None,
                limit: 100,
                json: false
            }
        ));

        let Ok(Command::Production(p)) = parse("--project site --history-db h.db production show 7 --json") else {
            panic!("production show")
        };
        assert_eq!(p.project.project.as_deref(), Some(Path::new("site")));
        assert_eq!(p.history_db.as_deref(), Some(Path::new("h.db")));
        assert!(matches!(p.command, ProductionCommand::Show { id: 7, json: true }));

        let Ok(Command::Production(p)) = parse("production approve 3 --note good --user eve --role engineer") else {
            panic!("production approve")
        };
        let login = p.command.login().expect("approving needs a login");
        assert_eq!((login.user.as_deref(), login.role), (Some("eve"), Some(Role::Engineer)));
        let ProductionCommand::Approve(a) = &p.command else {
            panic!("approve")
        };
        assert_eq!((a.id, a.note.as_deref()), (3, Some("good")));
        let Ok(Command::Production(p)) = parse("production reject 3 --reason slugging --user sara") else {
            panic!("production reject")
        };
        assert!(matches!(&p.command, ProductionCommand::Reject(r) if r.reason == "slugging" && r.id == 3));
        let Ok(Command::Production(p)) = parse("production sign 3 --role operator") else {
            panic!("production sign")
        };
        assert_eq!(p.command.login().and_then(|l| l.role), Some(Role::Operator));

        let Ok(Command::Production(p)) = parse("production export 3 --pdf c.pdf --lang es --units si --role engineer")
        else {
            panic!("production export --pdf")
        };
        assert!(p.command.login().is_some(), "a certificate is written by someone");
        let ProductionCommand::Export(e) = &p.command else {
            panic!("export")
        };
        assert_eq!(
            (e.id, e.pdf.as_deref(), e.lang, e.units),
            (Some(3), Some(Path::new("c.pdf")), Some(Lang::Es), Some(UnitSystem::Si))
        );
        let Ok(Command::Production(p)) = parse("production export --csv") else {
            panic!("production export --csv")
        };
        assert!(p.command.login().is_none());
        assert!(matches!(&p.command, ProductionCommand::Export(e) if e.csv.as_deref() == Some(Path::new("-"))));
        let Ok(Command::Production(p)) = parse("production export --json out.json --well esp01") else {
            panic!("production export --json")
        };
        let ProductionCommand::Export(e) = &p.command else {
            panic!("export")
        };
        assert_eq!(
            (e.json.as_deref(), e.well.as_deref(), e.id),
            (Some(Path::new("out.json")), Some("esp01"), None)
        );

        for (words, kind) in [
            ("production reject 3", ErrorKind::MissingRequiredArgument),
            ("production tests --limit 0", ErrorKind::ValueValidation),
            ("production tests --limit 100001", ErrorKind::ValueValidation),
            ("production tests --status done", ErrorKind::ValueValidation),
            ("production export 3", ErrorKind::MissingRequiredArgument),
            ("production export --pdf c.pdf", ErrorKind::MissingRequiredArgument),
            ("production export --csv --lang es", ErrorKind::MissingRequiredArgument),
            ("production export 3 --json --csv", ErrorKind::ArgumentConflict),
            ("production export 3 --csv --well esp01", ErrorKind::ArgumentConflict),
            ("production tests --speed 5", ErrorKind::UnknownArgument),
            ("production show 3 --role engineer", ErrorKind::UnknownArgument),
        ] {
            assert_eq!(parse(words).unwrap_err().kind(), kind, "{words}");
        }
    }

    #[test]
    fn an_option_a_subcommand_does_not_use_is_refused_wherever_it_stands() {
        for words in [
            "history stats --speed 5",
            "--speed 5 history stats",
            "--fault stuck-pipe:ct01 history export --tag ct01/weight",
            "history stats --sunlight",
            "--sunlight check",
            "check --lang es",
            "--history-db h.db users list",
            "--no-history sim",
            "screenshot --screen ct01 --out a.png --history-db h.db",
            "write esp01/frequency_setpoint 50 --touch",
            "opcua browse opc.tcp://127.0.0.1:4840/ --project site",
            "--sound-profile check check",
            "calc limits --speed 5",
            "--project site calc hydraulics",
            "calc fatigue --sunlight",
        ] {
            let e = parse(words).expect_err(words);
            assert_eq!(e.kind(), ErrorKind::UnknownArgument, "{words}: {e}");
        }
    }
}
