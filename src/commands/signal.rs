//! `tipfit signal`.

use super::check_output;
use crate::cli::{MultitoneArgs, NoiseArgs, OutputArgs, SignalCommand, SweepArgs};
use crate::formats::wav::write_wav;
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

fn write(stimulus: &Stimulus, out: &OutputArgs) -> Result<()> {
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
