//! `tipfit signal`.

use super::check_output;
use crate::cli::{MultitoneArgs, NoiseArgs, OutputArgs, SignalCommand, SweepArgs};
use crate::dsp::sync::{with_markers_spec, MarkerSpec};
use crate::formats::wav::{write_marked_wav, write_wav};
use crate::signal::{MultitoneParams, NoiseParams, Stimulus, SweepParams};
use anyhow::Result;

pub fn run(cmd: SignalCommand) -> Result<()> {
    let (stimulus, out) = match cmd {
        SignalCommand::Sweep(a) => (sweep(&a)?, a.output),
        SignalCommand::Noise(a) => (noise(&a)?, a.output),
        SignalCommand::Multitone(a) => (multitone(&a)?, a.output),
    };
    write(&stimulus, &out)
}

fn sweep(a: &SweepArgs) -> Result<Stimulus> {
    check_output(&a.output.out, a.output.force)?;
    let defaults = SweepParams::at_rate(a.output.rate);
    let p = SweepParams {
        start_hz: a.start,
        end_hz: a.end.unwrap_or(defaults.end_hz),
        duration_s: a.duration,
        rate: a.output.rate,
        level_dbfs: a.level,
        lead_s: a.lead,
        tail_s: a.tail,
    };
    Ok(p.generate()?)
}

fn noise(a: &NoiseArgs) -> Result<Stimulus> {
    check_output(&a.output.out, a.output.force)?;
    let p = NoiseParams {
        colour: a.colour,
        duration_s: a.duration,
        rate: a.output.rate,
        level_dbfs: a.level,
        seed: a.seed,
        period: a.period,
    };
    Ok(p.generate()?)
}

fn multitone(a: &MultitoneArgs) -> Result<Stimulus> {
    check_output(&a.output.out, a.output.force)?;
    let p = MultitoneParams {
        start_hz: a.start,
        ratio: a.ratio,
        max_hz: a.max,
        rate: a.output.rate,
        level_dbfs: a.level,
        duration_s: a.duration,
        ..MultitoneParams::default()
    };
    Ok(p.generate()?)
}

/// The sync markers `--sync-markers` puts around a signal: the defaults
/// with 0.5 s of silence between each marker and the signal (room for the
/// latency of the chain that plays it) and after the second marker.
pub(crate) fn file_markers() -> MarkerSpec {
    MarkerSpec {
        gap_s: 0.5,
        trail_s: 0.5,
        ..MarkerSpec::default()
    }
}

fn write(stimulus: &Stimulus, out: &OutputArgs) -> Result<()> {
    if out.sync_markers {
        let spec = file_markers();
        let marked = with_markers_spec(stimulus, &spec);
        write_marked_wav(
            &out.out,
            &marked.stimulus.samples,
            stimulus.rate,
            out.format,
            &stimulus.kind,
            &spec,
        )?;
        eprintln!(
            "wrote {} ({} with sync markers, {:.2} s at {} Hz, {:?}): play it as it is, then `tipfit analyze REC.wav --reference {} --sync on`",
            out.out.display(),
            stimulus.kind.name(),
            marked.stimulus.duration_s(),
            stimulus.rate,
            out.format,
            out.out.display()
        );
        return Ok(());
    }
    write_wav(
        &out.out,
        std::slice::from_ref(&stimulus.samples),
        stimulus.rate,
        out.format,
        Some(&stimulus.kind),
    )?;
    eprintln!(
        "wrote {} ({}, {:.2} s at {} Hz, {:?})",
        out.out.display(),
        stimulus.kind.name(),
        stimulus.duration_s(),
        stimulus.rate,
        out.format
    );
    Ok(())
}
