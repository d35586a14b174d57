//! Listing hosts and devices (`tipfit devices`) and picking the ones a
//! rig opens.

use anyhow::{bail, Context, Result};
use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

/// One device as `tipfit devices` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    /// Position in the host's list (for `--input N` / `--output N`).
    pub index: usize,
    /// Device name.
    pub name: String,
    /// The host's default input.
    pub default_input: bool,
    /// The host's default output.
    pub default_output: bool,
    /// Input configurations: "channels ch, min-max Hz, format".
    pub inputs: Vec<String>,
    /// Output configurations.
    pub outputs: Vec<String>,
}

/// One audio host (ALSA, ...).
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    /// Host name.
    pub name: String,
    /// Its devices.
    pub devices: Vec<DeviceInfo>,
}

/// Run `f` with the process's stderr sent to /dev/null: opening ALSA
/// devices makes alsa-lib and the JACK and OSS plugins print errors about
/// every PCM they cannot open ("Unknown PCM pipewire", "jack server is not
/// running"), which says nothing about the devices tipfit uses. Set
/// `TIPFIT_AUDIO_DEBUG=1` to see them.
pub fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    if std::env::var_os("TIPFIT_AUDIO_DEBUG").is_some_and(|v| v == "1") {
        return f();
    }
    use std::io::Write;
    let _ = std::io::stderr().flush();
    // SAFETY: plain POSIX fd calls; fd 2 is restored before returning.
    let saved = unsafe { libc::dup(2) };
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let redirected = match (&null, saved >= 0) {
        (Ok(n), true) => {
            use std::os::fd::AsRawFd;
            unsafe { libc::dup2(n.as_raw_fd(), 2) >= 0 }
        }
        _ => false,
    };
    let out = f();
    if redirected {
        unsafe {
            libc::dup2(saved, 2);
        }
    }
    if saved >= 0 {
        unsafe {
            libc::close(saved);
        }
    }
    out
}

/// A device's configurations in one line: channel range, rate range, formats.
fn ranges(
    it: Result<
        impl Iterator<Item = cpal::SupportedStreamConfigRange>,
        cpal::SupportedStreamConfigsError,
    >,
) -> Vec<String> {
    let configs: Vec<cpal::SupportedStreamConfigRange> = match it {
        Ok(i) => i.collect(),
        Err(_) => return Vec::new(),
    };
    let (Some(ch_lo), Some(ch_hi)) = (
        configs.iter().map(|c| c.channels()).min(),
        configs.iter().map(|c| c.channels()).max(),
    ) else {
        return Vec::new();
    };
    let r_lo = configs
        .iter()
        .map(|c| c.min_sample_rate().0)
        .min()
        .unwrap_or(0);
    let r_hi = configs
        .iter()
        .map(|c| c.max_sample_rate().0)
        .max()
        .unwrap_or(0);
    let mut formats: Vec<String> = configs
        .iter()
        .map(|c| c.sample_format().to_string())
        .collect();
    formats.sort();
    formats.dedup();
    vec![format!(
        "{ch_lo}-{ch_hi} ch, {r_lo}-{r_hi} Hz, {}",
        formats.join(" ")
    )]
}

/// Every host and device cpal can see.
pub fn list_devices() -> Vec<HostInfo> {
    quiet_stderr(list_devices_loud)
}

fn list_devices_loud() -> Vec<HostInfo> {
    cpal::available_hosts()
        .into_iter()
        .filter_map(|id| cpal::host_from_id(id).ok())
        .map(|host| {
            let name_of = |d: Option<cpal::Device>| d.and_then(|d| d.name().ok());
            let def_in = name_of(host.default_input_device());
            let def_out = name_of(host.default_output_device());
            let devices = host
                .devices()
                .map(|ds| {
                    ds.enumerate()
                        .map(|(index, d)| {
                            let name = d.name().unwrap_or_else(|_| "(unnamed)".into());
                            DeviceInfo {
                                index,
                                default_input: def_in.as_deref() == Some(name.as_str()),
                                default_output: def_out.as_deref() == Some(name.as_str()),
                                inputs: ranges(d.supported_input_configs()),
                                outputs: ranges(d.supported_output_configs()),
                                name,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            HostInfo {
                name: host.id().name().to_string(),
                devices,
            }
        })
        .collect()
}

/// Which device: the default, a name (exact or unique substring) or an index.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum DeviceChoice {
    /// The host's default.
    #[default]
    Default,
    /// By name or index as typed.
    Named(String),
}

impl DeviceChoice {
    /// `None` is the default, anything else a name or index.
    pub fn from_option(s: Option<&str>) -> Self {
        match s {
            None => Self::Default,
            Some(n) => Self::Named(n.to_string()),
        }
    }
}

/// The host named `name` (case-insensitive), or the default host.
pub fn pick_host(name: Option<&str>) -> Result<cpal::Host> {
    let Some(name) = name else {
        return Ok(cpal::default_host());
    };
    let hosts = cpal::available_hosts();
    let id = hosts
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .with_context(|| {
            format!(
                "no audio host '{name}'; this tipfit has: {}",
                hosts
                    .iter()
                    .map(|h| h.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    cpal::host_from_id(*id).with_context(|| format!("the audio host '{name}' is not available"))
}

/// The device `choice` names among the host's inputs or outputs.
pub(super) fn pick(host: &cpal::Host, choice: &DeviceChoice, input: bool) -> Result<cpal::Device> {
    let kind = if input { "input" } else { "output" };
    let default = || {
        if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        }
    };
    let name = match choice {
        DeviceChoice::Default => {
            return default().with_context(|| {
                format!("no default {kind} device (is a sound card or sound server there? see `tipfit devices`)")
            })
        }
        DeviceChoice::Named(n) => n,
    };
    let all: Vec<cpal::Device> = host
        .devices()
        .context("cannot list the audio devices")?
        .collect();
    let names: Vec<String> = all.iter().map(|d| d.name().unwrap_or_default()).collect();
    let found = match name.parse::<usize>() {
        Ok(i) if i < all.len() => Some(i),
        _ => names.iter().position(|n| n == name).or_else(|| {
            let m: Vec<usize> = (0..names.len())
                .filter(|&i| names[i].contains(name.as_str()))
                .collect();
            (m.len() == 1).then(|| m[0])
        }),
    };
    match found {
        Some(i) => Ok(all.into_iter().nth(i).expect("index in range")),
        None => bail!(
            "no {kind} device '{name}'; the devices are: {}",
            if names.is_empty() {
                "(none)".to_string()
            } else {
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{i}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    }
}
