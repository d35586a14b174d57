//! Command-line definitions (clap derive only; no logic here).

use crate::formats::wav::SampleFormat;
pub use crate::measure::SyncMode;
use crate::rig::channel::Channel;
use crate::rig::sim::TipPreset;
use crate::signal::NoiseColour;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// tipfit: test how well an ear tip seals and isolates.
///
/// Plays a sweep, noise or multitone through an in-ear monitor, records it
/// with a coupler or probe microphone, and turns the recording into a
/// frequency response, distortion, SNR and a seal verdict (good / fair /
/// poor / no-seal). With no hardware, everything runs on a simulated ear.
#[derive(Debug, Parser)]
#[command(
    name = "tipfit",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "Examples:\n  \
    tipfit measure --tip-preset silicone-s          # seal check on the simulated ear\n  \
    tipfit signal sweep --out sweep.wav             # a sweep to play with any player\n  \
    tipfit analyze rec.wav --reference sweep.wav    # analyse a recording made elsewhere")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// tipfit's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a test signal (sweep, noise or multitone) to a WAV file.
    #[command(subcommand)]
    #[command(after_help = "Examples:\n  \
        tipfit signal sweep --out sweep.wav\n  \
        tipfit signal noise --colour pink --duration 30 --out pink.wav\n  \
        tipfit signal multitone --out multitone.wav\n\n\
        Ready-made files are in signals/ (see signals/README.md).")]
    Signal(SignalCommand),
    /// Measure a seal on a rig (the simulated ear by default).
    #[command(after_help = "Examples:\n  \
        tipfit measure --tip-preset silicone-s\n  \
        tipfit measure --tip-preset foam --seed 7 --json > foam.json\n  \
        tipfit measure --tip-preset earbud --quick\n  \
        tipfit measure --leak-f0 120 --leak-zeta 0.5 --save-recording rec.wav\n  \
        tipfit measure --tip-preset silicone-s --reference-response sealed.json\n  \
        tipfit measure --rig device --input \"USB mic\" --output \"USB DAC\" --mic-cal umik.txt")]
    Measure(Box<MeasureArgs>),
    /// Analyse a recording made elsewhere against the signal that was played
    /// (or many recordings, in parallel).
    #[command(after_help = "Examples:\n  \
        tipfit analyze rec.wav --reference signals/sweep-10-22k-48k-5s-f32.wav\n  \
        tipfit analyze rec.wav --reference sweep.wav --channel 2 --smoothing 1/12 --json\n  \
        tipfit analyze rec.wav --reference sweep.wav --export-txt fr.txt\n  \
        tipfit analyze leaky.wav --reference sweep.wav --reference-response sealed.json\n  \
        tipfit signal sweep --sync-markers --out marked.wav   # play marked.wav, record rec.wav\n  \
        tipfit analyze rec.wav --reference marked.wav --sync on\n  \
        tipfit analyze recs/ --reference sweep.wav --csv seal.csv    # every WAV in recs/\n  \
        tipfit analyze fit-*.wav --reference sweep.wav --json > fits.jsonl\n  \
        find recs -name '*.wav' | tipfit analyze - --reference sweep.wav\n\n\
        Several recordings are analysed in parallel against one reference, read once: one line\n\
        per recording in the order given (with --json one compact JSON document per line; a\n\
        recording that fails gives its error there, with \"error\", and the others go on). The\n\
        exit code is 1 when any failed. --csv writes one row per recording, with one or many.\n\n\
        The reference may be any sweep or noise (made by another program too): a tipfit sweep\n\
        is recognised from its WAV comment and gets Novak's analytic inverse and THD; others\n\
        are deconvolved by regularized spectral division, and an exponential sweep among them\n\
        (pyfar, sox, REW...) is recognised from its samples and gets THD too.\n\n\
        Played on one device and recorded on another, the two clocks differ: the drift is\n\
        estimated from the recording and corrected (sweeps, noise, the multitone; up to\n\
        +-5000 ppm), or measured by sync markers in a reference written with --sync-markers.\n\
        The summary's clock line says which.")]
    Analyze(AnalyzeArgs),
    /// Passive isolation per band from recordings: open vs occluded, or an
    /// outer and an inner microphone at once.
    #[command(after_help = "Examples:\n  \
        tipfit isolation --open open.wav --occluded foam.wav\n  \
        tipfit isolation --dual mire.wav --inner-channel 1 --outer-channel 2 --json")]
    Isolation(IsolationArgs),
    /// Attenuation ratings (EPA NRR, ISO 4869-2 SNR/HML/APV, personal rating)
    /// from a table of fits or from published mean and SD per band.
    #[command(after_help = "Examples:\n  \
        tipfit rating --fits fits.csv\n  \
        tipfit rating --mean-sd label.csv --json")]
    Rating(RatingArgs),
    /// Measure a session: several tips, several fits each, guided fit by fit.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Compare the tips of a session: mean, spread, ranking with ties, outliers.
    #[command(after_help = "Examples:\n  \
        tipfit compare sessions/aria\n  \
        tipfit compare sessions/aria --json > comparison.json\n  \
        tipfit compare sessions/aria --csv comparison.csv\n  \
        tipfit compare sessions/aria --baseline \"Spinfit W1 M\"   # tip effect relative to this tip")]
    Compare(CompareArgs),
    /// Write a report of a session: PNG plots, HTML, CSV/JSON and per-tip exports.
    #[command(after_help = "Examples:\n  \
        tipfit report sessions/aria                      # writes reports/aria/\n  \
        tipfit report sessions/aria --out reports/aria-v2 --size 1920x1200\n  \
        tipfit report sessions/aria --force              # replace reports/aria/\n\n\
        A report folder that exists and is not empty is refused without --force: a report,\n\
        like every output of tipfit, is never overwritten unasked.")]
    Report(ReportArgs),
    /// Bring REW/squig.link text exports or AutoEq CSVs into a session as tips and fits.
    #[command(after_help = "Examples:\n  \
        tipfit import \"Chu (Spring Tips) L.txt\" \"Chu (Final E Tips) L.txt\" --into sessions/chu\n  \
        tipfit import fit1.txt fit2.txt fit3.txt --tip \"Spinfit W1 M\" --into sessions/chu\n  \
        tipfit import aria.csv --into sessions/chu --iem \"Moondrop Aria\"\n\n\
        Each file becomes one tip (named after the file) unless --tip puts them all on one tip\n\
        as successive fits. The folder is created as a session when it does not exist.")]
    Import(ImportArgs),
    /// Run a simulated session (5 tips x 5 fits, seal and isolation) and write its report.
    #[command(after_help = "Examples:\n  \
        tipfit demo                       # writes reports/demo/ (open reports/demo/report.html)\n  \
        tipfit demo --out /tmp/demo --fits 3\n\n\
        The demo owns its folder: running it again replaces the folder an earlier demo wrote\n\
        (marked by its .tipfit-demo file), without --force. A folder of other files is refused.")]
    Demo(DemoArgs),
    /// List audio hosts and devices with their channels, rates and formats.
    #[command(after_help = "Examples:\n  \
        tipfit devices\n  \
        tipfit devices --json")]
    Devices(DevicesArgs),
    /// A live seal meter: plays a quiet multitone and shows bass level,
    /// leak and verdict about 10 times a second while you adjust the tip.
    #[command(after_help = "Examples:\n  \
        tipfit monitor                                     # simulated ear, 10 s\n  \
        tipfit monitor --schedule \"0:foam,3:earbud,6-8:foam\"  # a leak that opens and closes\n  \
        tipfit monitor --rig device --input \"USB mic\"        # a real coupler, until Ctrl-C\n  \
        tipfit monitor --json | head                       # JSON lines\n\n\
        On a terminal the meter redraws one line; otherwise (or with --json) each update is\n\
        one JSON object per line.")]
    Monitor(Box<MonitorArgs>),
    /// Calibrate: SPL (a sound calibrator) and the sound card's own response.
    /// Stored in $TIPFIT_CONFIG_DIR, else $XDG_CONFIG_HOME/tipfit, else
    /// ~/.config/tipfit (calibration.json) and shown in every result.
    #[command(subcommand)]
    Calibrate(CalibrateCommand),
}

/// `tipfit devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Print one JSON document on stdout instead of the list.
    #[arg(long)]
    pub json: bool,
}

/// `tipfit session ...`.
#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Start a session from a config file and measure it fit by fit.
    #[command(after_help = "Examples:\n  \
        tipfit session run examples/session.toml --out sessions/aria\n  \
        tipfit session run examples/session.toml --out sessions/aria --yes   # unattended\n\n\
        For each fit tipfit says what to do, measures, prints the verdict and asks:\n\
        Enter = keep and go on, r = redo this fit (asks for a new insertion, then measures),\n\
        s = skip it, q = quit (resume later). Without --yes the answers are read from stdin.\n\
        Each fit is saved as soon as it is done; `tipfit session resume DIR` continues.\n\n\
        Exit status: 0 when the session is complete, after q, or when the input ends after\n\
        this run measured a fit; 1 on an error, or when the input ends before this run\n\
        measured any fit; 130 after Ctrl-C. Every stop keeps the saved fits, releases the\n\
        session's lock and prints the resume command.")]
    Run(SessionRunArgs),
    /// Continue a session that was stopped (Ctrl-C, quit, crash).
    #[command(after_help = "Examples:\n  \
        tipfit session resume sessions/aria\n  \
        tipfit session resume sessions/aria --yes\n\n\
        Answers and exit status as for `tipfit session run`: 0 when complete, after q, or when\n\
        the input ends after this run measured a fit; 1 on an error, or when the input ends\n\
        before this run measured any fit; 130 after Ctrl-C.")]
    Resume(SessionResumeArgs),
}

/// `tipfit session run`.
#[derive(Debug, Args)]
pub struct SessionRunArgs {
    /// The session config (TOML); see examples/session.toml.
    pub config: PathBuf,
    /// Session folder (new or empty) [default: sessions/CONFIG-NAME-DATE].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Unattended: no questions (measure every fit once, keep it).
    #[arg(long, short)]
    pub yes: bool,
}

/// `tipfit session resume`.
#[derive(Debug, Args)]
pub struct SessionResumeArgs {
    /// The session folder.
    pub dir: PathBuf,
    /// Unattended: no questions.
    #[arg(long, short)]
    pub yes: bool,
}

/// `tipfit compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The session folder.
    pub dir: PathBuf,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the per-tip table as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    /// Overwrite the CSV file if it exists.
    #[arg(long)]
    pub force: bool,
    /// The tip the tip effect is relative to [default: the session config's
    /// `baseline`, else the first tip].
    #[arg(long, value_name = "TIP")]
    pub baseline: Option<String>,
    /// A recorded ambient for the listening penalty, as third-octave levels:
    /// a text or CSV file of lines "Hz, dB SPL" (a sound level meter's
    /// third-octave export; '#' lines are comments). Added to the presets.
    #[arg(long, value_name = "FILE")]
    pub ambient_levels: Option<PathBuf>,
}

/// `tipfit report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The session folder.
    pub dir: PathBuf,
    /// Report folder [default: reports/SESSION-FOLDER-NAME].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Picture size, WIDTHxHEIGHT in pixels.
    #[arg(long, default_value = "1600x1000", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Overwrite the report in a folder that holds one (or write into a
    /// folder that holds other files, leaving them be).
    #[arg(long)]
    pub force: bool,
    /// The tip the tip effect is relative to [default: the session config's
    /// `baseline`, else the first tip].
    #[arg(long, value_name = "TIP")]
    pub baseline: Option<String>,
}

/// Parse "WIDTHxHEIGHT".
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)))
        .ok_or_else(|| format!("'{s}' is not a size: write WIDTHxHEIGHT, e.g. 1600x1000"))?;
    if !(640..=8000).contains(&w) || !(400..=8000).contains(&h) {
        return Err(format!("'{s}': give 640-8000 x 400-8000 pixels"));
    }
    Ok((w, h))
}

/// `tipfit import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// REW/squig.link text exports (freq, dB[, phase]) or AutoEq CSVs (frequency,raw).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The session folder (created when missing).
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// Put every file on this tip, as successive fits.
    #[arg(long, value_name = "NAME")]
    pub tip: Option<String>,
    /// IEM name for a new session [default: the files' common name].
    #[arg(long, value_name = "NAME")]
    pub iem: Option<String>,
    /// Import a file whose response is already in the session or in this
    /// import (refused by default: one measurement imported twice fakes a
    /// fit-to-fit spread of zero).
    #[arg(long)]
    pub allow_duplicates: bool,
}

/// `tipfit demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output folder: the report, with the session in OUT/session (an
    /// earlier demo's folder is replaced).
    #[arg(long, short, default_value = "reports/demo")]
    pub out: PathBuf,
    /// Fits per tip.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=20))]
    pub fits: u64,
    /// Session seed (the insertions drawn).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// What the simulated IEM is measured on: a human ear (canals drawn from
    /// the seed, soft walls, bone conduction) or an IEC 60318-4 style coupler.
    #[arg(long, value_enum, default_value_t = crate::rig::sim::SimTarget::Ear)]
    pub sim_target: crate::rig::sim::SimTarget,
    /// The simulated IEM follows this measured sealed response (a REW or
    /// squig.link .txt, an AutoEq .csv, a tipfit JSON) instead of the
    /// built-in shape; how closely is printed.
    #[arg(long, value_name = "FILE")]
    pub iem_response: Option<PathBuf>,
}

/// `tipfit isolation`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("method").required(true).args(["open", "dual"])))]
pub struct IsolationArgs {
    /// Recording with the ear open (insertion-loss method).
    #[arg(long, value_name = "OPEN.wav", requires = "occluded")]
    pub open: Option<PathBuf>,
    /// Recording with the tip in, same source and level (insertion-loss method).
    #[arg(long, value_name = "OCCLUDED.wav", requires = "open")]
    pub occluded: Option<PathBuf>,
    /// One recording with an outer and an inner microphone (noise-reduction method).
    #[arg(long, value_name = "REC.wav", conflicts_with_all = ["open", "occluded"])]
    pub dual: Option<PathBuf>,
    /// Channel of the inner (in-ear) microphone in --dual (1 = first).
    #[arg(long, default_value_t = 1)]
    pub inner_channel: usize,
    /// Channel of the outer microphone in --dual (1 = first).
    #[arg(long, default_value_t = 2)]
    pub outer_channel: usize,
    /// Channel to use in --open/--occluded recordings (1 = first).
    #[arg(long, default_value_t = 1)]
    pub channel: usize,
    /// Recording of the tip-in (inner) mic with the outside noise off, same
    /// rate and gain: the noise floor, for the per-band correction (without
    /// it the silent lead-in before the noise is used, when there is one).
    #[arg(long, value_name = "FLOOR.wav")]
    pub floor: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ambient: AmbientArgs,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The ambient noise for the safe-listening estimate.
#[derive(Debug, Args)]
pub struct AmbientArgs {
    /// Ambient noise preset: office, street, subway, airplane, or all.
    #[arg(long, default_value = "all", value_name = "PRESET")]
    pub ambient: crate::analysis::listening::AmbientChoice,
    /// Use a recording of the ambient noise instead of a preset (needs
    /// --ambient-calibration).
    #[arg(long, value_name = "FILE.wav", requires = "ambient_calibration")]
    pub ambient_wav: Option<PathBuf>,
    /// dB SPL of a full-scale (0 dBFS RMS) signal in --ambient-wav, e.g.
    /// 120 when a 94 dB calibrator records at -26 dBFS.
    #[arg(long, value_name = "DB", allow_hyphen_values = true)]
    pub ambient_calibration: Option<f64>,
}

/// `tipfit rating`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("table").required(true).args(["fits", "mean_sd"])))]
pub struct RatingArgs {
    /// CSV of per-fit octave-band attenuations: header of band centres in Hz
    /// (63 optional, 125 ... 8000), optional first column `fit`, one row per fit.
    #[arg(long, value_name = "FITS.csv")]
    pub fits: Option<PathBuf>,
    /// CSV of published mean and SD per band: columns `freq_hz,mean_db,sd_db`.
    #[arg(long, value_name = "MEAN_SD.csv")]
    pub mean_sd: Option<PathBuf>,
    /// Print one JSON document on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// Signal generators.
#[derive(Debug, Subcommand)]
pub enum SignalCommand {
    /// Synchronized exponential sine sweep (Farina/Novak).
    #[command(after_help = "Examples:\n  \
        tipfit signal sweep --out sweep.wav\n  \
        tipfit signal sweep --start 20 --end 20000 --duration 10 --rate 96000 --format i24 --out s.wav\n\n\
        Fades: half-Hann over one period of the start frequency (at most 0.1 s) and 5 ms at the end.\n\
        The duration is rounded so that start * L is whole (synchronized sweep).")]
    Sweep(SweepArgs),
    /// Pink or white noise, seeded (the same seed gives the same file).
    #[command(after_help = "Examples:\n  \
        tipfit signal noise --out pink.wav\n  \
        tipfit signal noise --colour white --seed 3 --period 65536 --out white-periodic.wav")]
    Noise(NoiseArgs),
    /// Multitone for the quick seal check (log-spaced tones 20 Hz ... ~1.2 kHz).
    #[command(after_help = "Examples:\n  \
        tipfit signal multitone --out multitone.wav\n  \
        tipfit signal multitone --duration 60 --level -20 --out long.wav   # loops seamlessly")]
    Multitone(MultitoneArgs),
}

/// Where and how a signal is written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output WAV file.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Sample format.
    #[arg(long, value_enum, default_value_t = SampleFormat::F32)]
    pub format: SampleFormat,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Put clock-sync markers (short chirps) before and after the signal,
    /// for a recording made on another device's clock: play the file as it
    /// is and analyze the recording with `tipfit analyze --sync on`.
    #[arg(long)]
    pub sync_markers: bool,
}

/// `tipfit signal sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Start frequency in Hz.
    #[arg(long, default_value_t = 10.0)]
    pub start: f64,
    /// End frequency in Hz [default: 22000, or 0.46 x rate if lower].
    #[arg(long)]
    pub end: Option<f64>,
    /// Sweep duration in seconds (before synchronization rounding).
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Peak level in dBFS.
    #[arg(long, default_value_t = -12.0, allow_hyphen_values = true)]
    pub level: f64,
    /// Silence before the sweep, seconds.
    #[arg(long, default_value_t = 0.1)]
    pub lead: f64,
    /// Silence after the sweep, seconds.
    #[arg(long, default_value_t = 1.0)]
    pub tail: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `tipfit signal noise`.
#[derive(Debug, Args)]
pub struct NoiseArgs {
    /// Noise colour.
    #[arg(long, value_enum, default_value_t = NoiseColour::Pink)]
    pub colour: NoiseColour,
    /// Duration in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// RMS level in dBFS.
    #[arg(long, default_value_t = -20.0, allow_hyphen_values = true)]
    pub level: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Make it periodic with this period in samples (e.g. 65536).
    #[arg(long)]
    pub period: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `tipfit signal multitone`.
#[derive(Debug, Args)]
pub struct MultitoneArgs {
    /// Lowest tone in Hz.
    #[arg(long, default_value_t = 20.0)]
    pub start: f64,
    /// Ratio between neighbouring tones.
    #[arg(long, default_value_t = 1.5)]
    pub ratio: f64,
    /// No tone above this frequency, Hz.
    #[arg(long, default_value_t = 1200.0)]
    pub max: f64,
    /// Peak level in dBFS.
    #[arg(long, default_value_t = -12.0, allow_hyphen_values = true)]
    pub level: f64,
    /// Duration in seconds (rounded up to whole 0.2 s frames).
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// Which rig measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RigKind {
    /// The simulated ear (no hardware needed).
    Sim,
    /// A sound card through cpal (see `tipfit devices` and the device options).
    Device,
}

/// Sound-card options (used with `--rig device`).
#[derive(Debug, Clone, Args)]
pub struct DeviceArgs {
    /// Audio host, e.g. ALSA or JACK [default: the system's default host].
    #[arg(long, value_name = "NAME", help_heading = "Sound card")]
    pub host: Option<String>,
    /// Input device: a name, a unique part of one, or an index from `tipfit devices`
    /// [default: the host's default input].
    #[arg(long, value_name = "NAME|INDEX", help_heading = "Sound card")]
    pub input: Option<String>,
    /// Output device, chosen the same way [default: the host's default output].
    #[arg(long, value_name = "NAME|INDEX", help_heading = "Sound card")]
    pub output: Option<String>,
    /// Output channel that drives the IEM (1 = first).
    #[arg(
        long,
        default_value_t = Channel::FIRST,
        value_name = "N",
        help_heading = "Sound card"
    )]
    pub driver_channel: Channel,
    /// Output channel of an outside speaker (for isolation).
    #[arg(long, value_name = "N", help_heading = "Sound card")]
    pub ambient_channel: Option<Channel>,
    /// Input channel of the coupler or probe (inner) microphone (1 = first).
    #[arg(
        long,
        default_value_t = Channel::FIRST,
        value_name = "N",
        help_heading = "Sound card"
    )]
    pub inner_channel: Channel,
    /// Input channel of an outer microphone (for isolation).
    #[arg(long, value_name = "N", help_heading = "Sound card")]
    pub outer_channel: Option<Channel>,
    /// Input channel wired straight from the driver output (a loopback
    /// cable): the latency is read from it instead of the acoustic path.
    #[arg(long, value_name = "N", help_heading = "Sound card")]
    pub loopback_channel: Option<Channel>,
    /// Stimulus peak level on the sound card, dBFS (moderate by default: a
    /// probe microphone may sit in someone's ear).
    #[arg(long, default_value_t = -20.0, allow_hyphen_values = true, value_name = "DBFS", help_heading = "Level safety")]
    pub level: f64,
    /// Never play louder than this peak level, dBFS [default: -6, or
    /// max_level_dbfs in the calibration file].
    #[arg(
        long,
        allow_hyphen_values = true,
        value_name = "DBFS",
        help_heading = "Level safety"
    )]
    pub max_level: Option<f64>,
    /// Ask before playing above this peak level, dBFS.
    #[arg(long, default_value_t = -12.0, allow_hyphen_values = true, value_name = "DBFS", help_heading = "Level safety")]
    pub confirm_above: f64,
    /// Play above --confirm-above without asking (still never above --max-level).
    #[arg(long, help_heading = "Level safety")]
    pub loud_ok: bool,
    /// Clock-sync markers around the stimulus, to measure and correct the
    /// drift between two devices' clocks (without markers the drift is
    /// estimated from the recording, unless off).
    #[arg(long, value_enum, default_value_t = SyncMode::Auto, help_heading = "Sound card")]
    pub sync: SyncMode,
    /// Ignore the stored calibration (SPL offset, sound-card response).
    #[arg(long, help_heading = "Calibration")]
    pub no_cal: bool,
}

/// `tipfit monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The rig.
    #[arg(long, value_enum, default_value_t = RigKind::Sim)]
    pub rig: RigKind,
    /// Sim: the tip in the ear at the start.
    #[arg(long, value_enum, default_value_t = TipPreset::Foam)]
    pub tip_preset: TipPreset,
    /// Sim: how the fit changes over time, as TIME:FIT steps, e.g.
    /// "0:foam,3:earbud,6-8:foam" (a range glides from the previous fit).
    /// FIT is a tip preset, "sealed", or a leak "f0/zeta" like "120/0.5".
    #[arg(long, value_name = "STEPS")]
    pub schedule: Option<String>,
    /// Stop after this many seconds [default: sim 10 s, device until Ctrl-C].
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Updates per second.
    #[arg(long, default_value_t = 10.0, value_name = "HZ")]
    pub updates: f64,
    /// Sim: compute as fast as possible instead of in real time.
    #[arg(long)]
    pub fast: bool,
    /// Sim: random seed (insertion and noise).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample rate, Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// A reference response (tipfit JSON or REW text, e.g. the IEM sealed):
    /// the meter then shows bass loss against it.
    #[arg(long, value_name = "FILE")]
    pub reference_response: Option<PathBuf>,
    /// Microphone calibration file (REW / miniDSP), subtracted from every
    /// tone's level.
    #[arg(long, value_name = "FILE")]
    pub mic_cal: Option<PathBuf>,
    /// Print JSON lines (one per update) even on a terminal.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub device: DeviceArgs,
}

/// `tipfit calibrate ...`.
#[derive(Debug, Subcommand)]
pub enum CalibrateCommand {
    /// Record a sound calibrator (94 dB SPL at 1 kHz by default) on the
    /// input and store the dBFS-to-dB-SPL offset.
    #[command(after_help = "Examples:\n  \
        tipfit calibrate spl                              # 94 dB SPL, 1 kHz calibrator\n  \
        tipfit calibrate spl --spl 114 --input \"USB mic\"\n  \
        tipfit calibrate spl --from-wav calibrator.wav     # a recording made elsewhere\n  \
        tipfit calibrate show")]
    Spl(CalibrateSplArgs),
    /// Measure the sound card itself (a cable from the output to the
    /// input): its response and latency, subtracted from later measurements.
    #[command(after_help = "Examples:\n  \
        tipfit calibrate loopback\n  \
        tipfit calibrate loopback --input 2 --output 2 --rate 96000")]
    Loopback(CalibrateLoopbackArgs),
    /// Show the stored calibration and where it is kept.
    Show(CalibrateShowArgs),
    /// Remove the stored calibration.
    Clear(CalibrateShowArgs),
}

/// `tipfit calibrate spl`.
#[derive(Debug, Args)]
pub struct CalibrateSplArgs {
    /// The calibrator's level, dB SPL.
    #[arg(long, default_value_t = 94.0)]
    pub spl: f64,
    /// The calibrator's frequency, Hz.
    #[arg(long, default_value_t = 1000.0)]
    pub freq: f64,
    /// Seconds to record.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Use this recording of the calibrator instead of recording now.
    #[arg(long, value_name = "FILE.wav")]
    pub from_wav: Option<PathBuf>,
    /// Channel of --from-wav (1 = first).
    #[arg(long, default_value_t = 1)]
    pub channel: usize,
    /// Sample rate, Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub device: DeviceArgs,
}

/// `tipfit calibrate loopback`.
#[derive(Debug, Args)]
pub struct CalibrateLoopbackArgs {
    /// Sample rate, Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// Sweep duration, s.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub device: DeviceArgs,
}

/// `tipfit calibrate show|clear`.
#[derive(Debug, Args)]
pub struct CalibrateShowArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Analysis options shared by `measure` and `analyze`.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Smoothing of the reported response: none, 1/48, 1/24, 1/12, 1/6, 1/3.
    #[arg(long, default_value = "none")]
    pub smoothing: crate::dsp::grid::Smoothing,
    /// A reference response (tipfit JSON or REW text), e.g. the IEM sealed
    /// with putty or the best fit: gives bass loss and a better leak corner.
    #[arg(long, value_name = "FILE")]
    pub reference_response: Option<PathBuf>,
    /// Bass band for the seal metrics, "LOW-HIGH" in Hz.
    #[arg(long, default_value = "20-100", value_parser = parse_band)]
    pub bass_band: (f64, f64),
    /// Midrange reference band for the seal metrics, "LOW-HIGH" in Hz.
    #[arg(long, default_value = "300-1000", value_parser = parse_band)]
    pub reference_band: (f64, f64),
    /// Print one JSON document on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Microphone calibration file (REW / miniDSP: frequency, dB[, phase];
    /// optional "Sens Factor" header): subtracted from every response.
    #[arg(long, value_name = "FILE")]
    pub mic_cal: Option<PathBuf>,
    /// Also write the response as REW-style text (freq, dB, phase).
    #[arg(long, value_name = "FILE")]
    pub export_txt: Option<PathBuf>,
    /// Overwrite output files that exist.
    #[arg(long)]
    pub force: bool,
}

/// Parse a band "LOW-HIGH" in Hz (10 Hz to 20 kHz, LOW < HIGH).
fn parse_band(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
        .ok_or_else(|| format!("'{s}' is not a band: write LOW-HIGH in Hz, e.g. 20-100"))?;
    if !((10.0..20_000.0).contains(&lo) && lo < hi && hi <= 20_000.0) {
        return Err(format!(
            "'{s}': the band must lie within 10 Hz to 20 kHz with LOW < HIGH"
        ));
    }
    Ok((lo, hi))
}

/// `tipfit measure`.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    /// The rig.
    #[arg(long, value_enum, default_value_t = RigKind::Sim)]
    pub rig: RigKind,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub device: DeviceArgs,
    /// Simulated tip (each seed is a new insertion).
    #[arg(long, value_enum, default_value_t = TipPreset::SiliconeM, conflicts_with_all = ["leak_f0", "sealed"])]
    pub tip_preset: TipPreset,
    /// Explicit leak resonance in Hz instead of a preset.
    #[arg(long, value_name = "HZ", requires = "leak_zeta")]
    pub leak_f0: Option<f64>,
    /// Damping of the explicit leak (0.3 resonant ... 2 resistive).
    #[arg(long, value_name = "ZETA", requires = "leak_f0")]
    pub leak_zeta: Option<f64>,
    /// No leak at all (a perfect seal, e.g. to make a reference).
    #[arg(long)]
    pub sealed: bool,
    /// Random seed: the insertion, latency and noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Quick check with the multitone (1 s of audio) instead of the sweep.
    #[arg(long)]
    pub quick: bool,
    /// Inject a fault into the simulated rig, which then streams like a
    /// sound card (2 input channels, retries, sync markers with
    /// --sync on or a drift): dropout[=N], gap[=N], lost[=S], dc[=X],
    /// hum[=DBFS], hum60[=DBFS], clip, silence, wrong-channel, drift=PPM,
    /// late=S. Repeatable. See docs/failure-modes.md.
    #[arg(long, value_name = "FAULT", help_heading = "Simulated rig")]
    pub fault: Vec<crate::rig::faults::Fault>,
    /// Sim: the IEM follows this measured sealed response (a REW or
    /// squig.link .txt, an AutoEq .csv, a tipfit JSON) instead of the
    /// built-in shape; how closely is printed.
    #[arg(long, value_name = "FILE", help_heading = "Simulated rig")]
    pub iem_response: Option<PathBuf>,
    /// Sound card, both ears at once: the two IEMs' output channels, left
    /// then right (e.g. 1,2); the sweep plays on both. Needs
    /// --inner-channels; replaces --driver-channel.
    #[arg(
        long,
        value_name = "L,R",
        value_delimiter = ',',
        requires = "inner_channels",
        help_heading = "Sound card"
    )]
    pub driver_channels: Option<Vec<Channel>>,
    /// Sound card, both ears at once: the two inner mics' input channels,
    /// left then right (e.g. 1,2); replaces --inner-channel.
    #[arg(
        long,
        value_name = "L,R",
        value_delimiter = ',',
        requires = "driver_channels",
        help_heading = "Sound card"
    )]
    pub inner_channels: Option<Vec<Channel>>,
    /// With --driver-channels: the right ear's sealed reference response
    /// (--reference-response is then the left ear's; without it the right
    /// ear's bass loss is not measured).
    #[arg(long, value_name = "FILE", requires = "driver_channels")]
    pub right_reference_response: Option<PathBuf>,
    /// Save the raw recording to this WAV file (32-bit float).
    #[arg(long, value_name = "FILE")]
    pub save_recording: Option<PathBuf>,
    /// Also measure passive isolation: pink noise on an outside speaker,
    /// insertion loss and noise reduction per band, and a safe-listening
    /// estimate.
    #[arg(long)]
    pub isolation: bool,
    /// With --isolation: save PREFIX-open.wav (inner mic, ear open) and
    /// PREFIX-occluded.wav (channel 1 inner mic, channel 2 outer mic).
    #[arg(long, value_name = "PREFIX", requires = "isolation")]
    pub save_isolation: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub ambient: AmbientArgs,
    /// Sim: what the outside speaker plays for --isolation.
    #[arg(long, value_enum, default_value_t = crate::rig::outside::OutsideSignal::Pink)]
    pub outside_signal: crate::rig::outside::OutsideSignal,
    /// Sim: outside noise level at the outer mic, dBFS RMS.
    #[arg(long, default_value_t = -20.0, allow_hyphen_values = true)]
    pub outside_level: f64,
    /// Sim: each microphone's own noise floor, dBFS RMS (raise it to see
    /// floor-limited bands).
    #[arg(long, default_value_t = -100.0, allow_hyphen_values = true)]
    pub mic_floor: f64,
    /// Sample rate, Hz.
    #[arg(long, default_value_t = 48_000)]
    pub rate: u32,
    /// Sweep duration, s.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Sim: background noise this many dB below the recorded signal.
    #[arg(long, default_value_t = 70.0)]
    pub snr: f64,
    /// Sim: latency in seconds, or "random" (up to 1 s).
    #[arg(long, default_value = "0.01")]
    pub latency: crate::rig::sim::LatencySpec,
    /// Sim: recorder clock error in ppm.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub drift_ppm: f64,
    /// Sim: gain from stimulus to recording, dB (raise it to provoke clipping).
    #[arg(long, default_value_t = -6.0, allow_hyphen_values = true)]
    pub gain_db: f64,
    /// Sim: driver distortion as "H2,H3" in % at full scale.
    #[arg(long, default_value = "1,0.5")]
    pub distortion: crate::rig::sim::Distortion,
    /// Sim: what the IEM is measured on: an IEC 60318-4 style coupler
    /// (rigid, the leak only at the tip), a human ear (the canal drawn from
    /// --person, bone conduction caps isolation), or the ideal rig (no
    /// insertion physics; --canal-volume applies only there).
    #[arg(long, value_enum, default_value_t = crate::rig::sim::SimTarget::Coupler)]
    pub sim_target: crate::rig::sim::SimTarget,
    /// Sim, --sim-target ear: whose ear (a seed: the same number, the same
    /// canal).
    #[arg(long, default_value_t = 1)]
    pub person: u64,
    /// Sim, --sim-target ideal: canal or coupler volume in cm^3 (a bigger
    /// volume lowers the level everywhere; it does not look like a leak).
    #[arg(long, default_value_t = 1.26)]
    pub canal_volume: f64,
    /// Sim: bass shelf of the IEM below 120 Hz, dB.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub bass_shelf_db: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub analysis: AnalysisArgs,
}

/// `tipfit analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The recordings (WAV): files, folders (their *.wav files, sorted by
    /// name, not recursive) or `-` (paths read from stdin, one per line).
    /// Two or more are analysed in parallel and give one line each.
    #[arg(required = true, value_name = "RECORDING")]
    pub recordings: Vec<PathBuf>,
    /// The signal that was played (WAV): a tipfit sweep, another sweep, noise or the multitone.
    #[arg(long, value_name = "STIMULUS.wav")]
    pub reference: PathBuf,
    /// Channel of the recording to analyse (1 = first/left).
    #[arg(long, default_value_t = 1)]
    pub channel: usize,
    /// Player and recorder clocks: on = the reference carries sync markers
    /// (`tipfit signal ... --sync-markers`) and they measure the drift;
    /// auto = the markers when the reference has them, else the drift is
    /// estimated from the recording (up to +-5000 ppm) and corrected; off =
    /// not checked.
    #[arg(long, value_enum, default_value_t = SyncMode::Auto)]
    pub sync: SyncMode,
    /// Also write one CSV row per recording: file, verdict, bass_db,
    /// bass_loss_db, leak_corner (value/below/above/uncertain),
    /// leak_corner_hz, minus3db_hz, snr_db, warnings, error.
    #[arg(long, value_name = "FILE.csv")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub analysis: AnalysisArgs,
}
