//! WAV reading and writing (hound), with the stimulus description tipfit
//! stores in a RIFF `LIST/INFO/ICMT` comment (`tipfit-stimulus:{json}`).
//! Other programs ignore or keep that comment; tipfit reads it back to know
//! a file is one of its sweeps.

use crate::dsp::sync::MarkerSpec;
use crate::signal::StimulusKind;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Sample format of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum SampleFormat {
    /// 16-bit integer PCM.
    I16,
    /// 24-bit integer PCM.
    I24,
    /// 32-bit IEEE float.
    #[default]
    F32,
}

/// Decoded WAV contents.
#[derive(Debug, Clone, PartialEq)]
pub struct WavData {
    /// One vector per channel, full scale = 1.0.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate in Hz.
    pub rate: u32,
    /// How the signal was made, when tipfit wrote the file (and the
    /// description matches the file: see [`StimulusKind::check_against`]).
    pub stimulus: Option<StimulusKind>,
    /// Why a tipfit stimulus description in the file was ignored (the file
    /// is then treated as an external signal), as a sentence naming the file.
    pub stimulus_note: Option<String>,
    /// The sync markers around the signal, when tipfit wrote it with them
    /// (`tipfit signal ... --sync-markers`): the file holds
    /// [`crate::dsp::sync::with_markers_spec`] of the signal `stimulus`
    /// describes.
    pub sync_markers: Option<MarkerSpec>,
}

/// Errors reading or writing WAV files; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: the file is empty (0 bytes), not a WAV file")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a WAV file hound can decode.
    #[error("{path}: not a readable WAV file ({reason})")]
    NotWav {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The data ends before the header says it should.
    #[error("{path}: the file is truncated: the header promises {expected} samples, only {actual} are there")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Samples the header announces.
        expected: usize,
        /// Samples actually read.
        actual: usize,
    },
    /// No audio frames.
    #[error("{path}: the file holds no audio (0 samples)")]
    NoAudio {
        /// The file.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("{path}: cannot write: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
}

/// Read a WAV file (8/16/24/32-bit integer, 32/64-bit float, any channels).
///
/// The file is read into storage of `f32`s and its first channel is
/// decoded where it lies ([`decode_owned`]): one buffer of the file's
/// size instead of the file's bytes and then the samples (for a 10 s
/// recording, 2 MB less to allocate, fault in and copy).
pub fn read_wav(path: &Path) -> Result<WavData, WavError> {
    let io = |source| WavError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut words = vec![0f32; size.div_ceil(4)];
    let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
    let mut len = 0;
    while len < size {
        match std::io::Read::read(&mut file, &mut buf[len..size]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    // a file that grew since its size was taken is read as std::fs::read
    // would read it: to its end
    let mut more = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut more).map_err(io)?;
    if !more.is_empty() {
        let mut bytes = bytemuck::cast_slice::<f32, u8>(&words)[..len].to_vec();
        bytes.extend(more);
        return decode_wav(&bytes, path);
    }
    decode_owned(words, len, path)
}

/// [`decode_wav`] of the first `len` bytes held in `words`, which become
/// the first channel's samples when the layout allows: 32-bit float or
/// 16/24/32-bit integer samples with frames of at least 4 bytes (each
/// sample then lands at or before where it was read, so it never
/// overwrites one not yet read). Any other layout is decoded from the
/// bytes by [`decode_wav`]; the results are the same either way
/// (`tests/parsers.rs` compares the two).
pub fn decode_owned(mut words: Vec<f32>, len: usize, path: &Path) -> Result<WavData, WavError> {
    let bytes = &bytemuck::cast_slice::<f32, u8>(&words)[..len];
    let p = || path.to_path_buf();
    let Some(layout) = in_place_layout(bytes) else {
        return decode_wav(bytes, path);
    };
    let InPlace {
        nch,
        width,
        float,
        rate,
        body,
        take,
        expected,
    } = layout;
    if take < expected {
        return Err(WavError::Truncated {
            path: p(),
            expected,
            actual: take,
        });
    }
    let data = &bytes[body..body + take * width];
    if float {
        if let Some(i) = data
            .chunks_exact(4)
            .position(|b| !f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite())
        {
            return Err(non_finite(path, i / nch));
        }
    }
    let frames = take / nch;
    if frames == 0 {
        return Err(WavError::NoAudio { path: p() });
    }
    let comment = read_comment(bytes);
    let sample = |b: &[u8]| -> f32 { sample_at(b, width, float) };
    let frame = nch * width;
    let mut channels: Vec<Vec<f32>> = vec![Vec::new()];
    channels.extend((1..nch).map(|c| {
        (0..frames)
            .map(|i| sample(&data[i * frame + c * width..]))
            .collect()
    }));
    let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
    if float && nch == 1 && cfg!(target_endian = "little") {
        buf.copy_within(body..body + 4 * frames, 0);
    } else {
        for i in 0..frames {
            let at = body + i * frame;
            let v = sample(&buf[at..at + width]);
            buf[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
        }
    }
    words.truncate(frames);
    if nch > 1 {
        // the other channels' bytes are not kept
        words.shrink_to_fit();
    }
    channels[0] = words;
    describe(channels, rate, comment, path)
}

/// Where and how [`decode_owned`] decodes a file's samples in place.
struct InPlace {
    nch: usize,
    /// Bytes per sample.
    width: usize,
    /// 32-bit float (else integer).
    float: bool,
    rate: u32,
    /// Offset of the data chunk's body.
    body: usize,
    /// Whole samples there, at most `expected`.
    take: usize,
    /// Samples the header announces (hound's count).
    expected: usize,
}

/// The in-place layout of `bytes`, or `None` when [`decode_wav`] must
/// decode them (another format, a header hound refuses: its error).
fn in_place_layout(bytes: &[u8]) -> Option<InPlace> {
    if bytes.is_empty() || float64::fmt(bytes).is_some() {
        return None;
    }
    let reader = hound::WavReader::new(Cursor::new(bytes)).ok()?;
    let spec = reader.spec();
    let (float, width) = packed(bytes, spec)?;
    let nch = spec.channels as usize;
    if spec.sample_rate == 0 || nch * width < 4 {
        return None;
    }
    let (_, data) = data_chunk(bytes)?;
    let body = data.as_ptr() as usize - bytes.as_ptr() as usize;
    let expected = reader.len() as usize;
    Some(InPlace {
        nch,
        width,
        float,
        rate: spec.sample_rate,
        body,
        take: expected.min(data.len() / width),
        expected,
    })
}

/// Whether `spec`'s samples are 32-bit float (else 16/24/32-bit integer)
/// and their width in bytes, for the layouts decoded straight from the
/// bytes: samples packed in containers of their own width only (a 24-bit
/// WAVE_FORMAT_EXTENSIBLE file may hold them in 4 bytes: hound reads it).
fn packed(bytes: &[u8], spec: hound::WavSpec) -> Option<(bool, usize)> {
    let (float, width) = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => (true, 4),
        (hound::SampleFormat::Int, 16) => (false, 2),
        (hound::SampleFormat::Int, 24) => (false, 3),
        (hound::SampleFormat::Int, 32) => (false, 4),
        _ => return None,
    };
    let block = spec.channels as usize * width;
    let (_, fmt) = chunks(bytes, 12).find(|(id, _)| *id == b"fmt ")?;
    if block == 0 || fmt.len() < 14 || u16::from_le_bytes([fmt[12], fmt[13]]) as usize != block {
        return None;
    }
    Some((float, width))
}

/// The samples of `W` bytes each in `data`, full scale 1.0.
fn samples_of<const W: usize>(data: &[u8], float: bool) -> Vec<f32> {
    data.chunks_exact(W)
        .map(|b| sample_at(b, W, float))
        .collect()
}

/// The error for a sample that is not a finite number, in frame `frame`.
fn non_finite(path: &Path, frame: usize) -> WavError {
    WavError::NotWav {
        path: path.to_path_buf(),
        reason: format!("sample {frame} is not a finite number (NaN or infinity)"),
    }
}

/// The sample whose `width` bytes start `b`, full scale 1.0.
fn sample_at(b: &[u8], width: usize, float: bool) -> f32 {
    match (float, width) {
        (true, _) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        (_, 2) => i16::from_le_bytes([b[0], b[1]]) as f32 / 32_768.0,
        (_, 3) => (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0,
        _ => (i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 / 2_147_483_648.0) as f32,
    }
}

/// Decode WAV bytes; `path` only names the source in errors.
pub fn decode_wav(bytes: &[u8], path: &Path) -> Result<WavData, WavError> {
    let p = || path.to_path_buf();
    if bytes.is_empty() {
        return Err(WavError::Empty { path: p() });
    }
    if let Some(f64_data) = float64::decode(bytes, path)? {
        return finish(f64_data.0, f64_data.1, f64_data.2, bytes, path);
    }
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| WavError::NotWav {
        path: p(),
        reason: e.to_string(),
    })?;
    let spec = reader.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WavError::NotWav {
            path: p(),
            reason: format!("{} channels at {} Hz", spec.channels, spec.sample_rate),
        });
    }
    let expected = reader.len() as usize;
    let samples = match read_samples_fast(bytes, spec, expected) {
        Some(r) => r,
        None => read_samples(reader, spec, bytes.len()),
    };
    let interleaved = samples.map_err(|(actual, e)| match e {
        Some(reason) => WavError::NotWav { path: p(), reason },
        None => WavError::Truncated {
            path: p(),
            expected,
            actual,
        },
    })?;
    finish(
        interleaved,
        spec.channels as usize,
        spec.sample_rate,
        bytes,
        path,
    )
}

/// Check the decoded interleaved samples, split them into channels and
/// read (and check) the stimulus description.
fn finish(
    interleaved: Vec<f32>,
    nch: usize,
    rate: u32,
    bytes: &[u8],
    path: &Path,
) -> Result<WavData, WavError> {
    let p = || path.to_path_buf();
    if let Some(i) = interleaved.iter().position(|v| !v.is_finite()) {
        return Err(non_finite(path, i / nch));
    }
    let frames = interleaved.len() / nch;
    if frames == 0 {
        return Err(WavError::NoAudio { path: p() });
    }
    let channels: Vec<Vec<f32>> = if nch == 1 {
        let mut mono = interleaved;
        mono.truncate(frames);
        vec![mono]
    } else {
        (0..nch)
            .map(|c| (0..frames).map(|i| interleaved[i * nch + c]).collect())
            .collect()
    };
    describe(channels, rate, read_comment(bytes), path)
}

/// The decoded file, with its stimulus description `comment` read and
/// checked against its samples.
fn describe(
    channels: Vec<Vec<f32>>,
    rate: u32,
    comment: Option<Result<serde_json::Value, String>>,
    path: &Path,
) -> Result<WavData, WavError> {
    let (stimulus, sync_markers, stimulus_note) = match comment {
        None => (None, None, None),
        Some(Err(why)) => (None, None, Some(why)),
        Some(Ok(v)) => {
            let markers: Option<MarkerSpec> = v
                .get(MARKERS_KEY)
                .and_then(|m| serde_json::from_value(m.clone()).ok());
            match serde_json::from_value::<StimulusKind>(v) {
                Err(e) => (
                    None,
                    None,
                    Some(format!("it is not a valid description: {e}")),
                ),
                // With markers the samples hold more than the signal: its
                // samples are checked where the markers are found.
                Ok(kind) => match match &markers {
                    Some(_) => kind.check_params(rate),
                    None => kind.check_against(&channels[0], rate),
                } {
                    Ok(()) => (Some(kind), markers, None),
                    Err(why) => (None, None, Some(why)),
                },
            }
        }
    };
    let stimulus_note = stimulus_note.map(|why| {
        format!(
            "{}: its tipfit stimulus description is ignored ({why}); the file is analysed as an \
             external signal",
            path.display()
        )
    });
    Ok(WavData {
        channels,
        rate,
        stimulus,
        sync_markers,
        stimulus_note,
    })
}

/// 64-bit IEEE float WAVs (format 3, or WAVE_FORMAT_EXTENSIBLE with the
/// float sub-format), which hound does not read: the `fmt ` and `data`
/// chunks are parsed here. Written by hand because hound refuses them and
/// the layout is a few fields.
mod float64 {
    use super::{chunks, WavError};
    use std::path::Path;

    type Decoded = (Vec<f32>, usize, u32);

    /// The `fmt ` chunk of `bytes` when they are a 64-bit float WAV.
    pub(super) fn fmt(bytes: &[u8]) -> Option<&[u8]> {
        if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
            return None;
        }
        let (_, fmt) = chunks(bytes, 12).find(|(id, _)| *id == b"fmt ")?;
        if fmt.len() < 16 {
            return None;
        }
        let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
        let mut tag = u16_at(0);
        if tag == 0xFFFE && fmt.len() >= 26 {
            tag = u16_at(24);
        }
        (tag == 3 && u16_at(14) == 64).then_some(fmt)
    }

    /// `Ok(None)` when the file is not a 64-bit float WAV (hound reads it).
    pub(super) fn decode(bytes: &[u8], path: &Path) -> Result<Option<Decoded>, WavError> {
        let Some(fmt) = fmt(bytes) else {
            return Ok(None);
        };
        let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
        let nch = u16_at(2) as usize;
        let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
        let p = || path.to_path_buf();
        if nch == 0 || rate == 0 {
            return Err(WavError::NotWav {
                path: p(),
                reason: format!("{nch} channels at {rate} Hz"),
            });
        }
        // The data chunk's declared length, which may run past the file.
        let Some((declared, body)) = super::data_chunk(bytes) else {
            return Err(WavError::NotWav {
                path: p(),
                reason: "no data chunk".into(),
            });
        };
        let frame_bytes = 8 * nch;
        let expected = declared / 8;
        let whole = body.len() / frame_bytes * frame_bytes;
        if body.len() < declared / frame_bytes * frame_bytes {
            return Err(WavError::Truncated {
                path: p(),
                expected,
                actual: body.len() / 8,
            });
        }
        let samples = body[..whole]
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect();
        Ok(Some((samples, nch, rate)))
    }
}

/// Decoded samples, or the count read and the reason (see [`read_samples`]).
type Samples = Result<Vec<f32>, (usize, Option<String>)>;

/// The samples of the `data` chunk of `bytes`, read straight from the bytes
/// for the common formats (16-, 24- and 32-bit integer, 32-bit float),
/// about ten times faster than hound's per-sample reader; `None` for any
/// other layout, which hound reads. hound has checked the header first.
/// A data chunk cut short gives `Err((complete samples, None))`, as
/// [`read_samples`] does.
fn read_samples_fast(bytes: &[u8], spec: hound::WavSpec, expected: usize) -> Option<Samples> {
    let (float, width) = packed(bytes, spec)?;
    let (_, data) = data_chunk(bytes)?;
    let whole = data.len() / width;
    let take = expected.min(whole);
    let data = &data[..take * width];
    let out = match width {
        2 => samples_of::<2>(data, float),
        3 => samples_of::<3>(data, float),
        _ => samples_of::<4>(data, float),
    };
    if out.len() < expected {
        return Some(Err((out.len(), None)));
    }
    Some(Ok(out))
}

/// The first `data` chunk of a RIFF/WAVE file: its declared length and its
/// bytes (to the end of the file when it declares more).
fn data_chunk(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut pos = 12usize;
    while let Some(header) = bytes.get(pos..pos.checked_add(8)?) {
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if &header[..4] == b"data" {
            let body = &bytes[pos + 8..];
            return Some((len, &body[..len.min(body.len())]));
        }
        // chunks are padded to an even length
        pos = pos.checked_add(8 + len + (len % 2))?;
    }
    None
}

/// Read all samples as f32; on failure the count read so far and, for
/// errors other than running out of data, the reason.
fn read_samples(
    mut reader: hound::WavReader<Cursor<&[u8]>>,
    spec: hound::WavSpec,
    file_len: usize,
) -> Result<Vec<f32>, (usize, Option<String>)> {
    // The header's length is not trusted for the allocation: a corrupt file
    // may claim gigabytes.
    let bytes_per_sample = (spec.bits_per_sample as usize).div_ceil(8).max(1);
    let available = file_len / bytes_per_sample;
    let mut out = Vec::with_capacity((reader.len() as usize).min(available));
    let classify = |e: hound::Error| match e {
        // hound reports a short read as an io error of kind Other.
        hound::Error::IoError(ref io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes") =>
        {
            None
        }
        other => Some(other.to_string()),
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err((
                    0,
                    Some(format!(
                        "{}-bit float is not supported",
                        spec.bits_per_sample
                    )),
                ));
            }
            for s in reader.samples::<f32>() {
                out.push(s.map_err(|e| (out.len(), classify(e)))?);
            }
        }
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(8..=32).contains(&bits) {
                return Err((
                    0,
                    Some(format!("{bits}-bit integer samples are not supported")),
                ));
            }
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            for s in reader.samples::<i32>() {
                let v = s.map_err(|e| (out.len(), classify(e)))?;
                out.push((v as f64 * scale) as f32);
            }
        }
    }
    Ok(out)
}

/// Encode channels as WAV bytes, with `stimulus` stored as a comment.
pub fn encode_wav(
    channels: &[Vec<f32>],
    rate: u32,
    format: SampleFormat,
    stimulus: Option<&StimulusKind>,
) -> Result<Vec<u8>, String> {
    let (bits, sample_format) = match format {
        SampleFormat::I16 => (16, hound::SampleFormat::Int),
        SampleFormat::I24 => (24, hound::SampleFormat::Int),
        SampleFormat::F32 => (32, hound::SampleFormat::Float),
    };
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format,
    };
    let frames = channels.first().map_or(0, Vec::len);
    let mut bytes = Vec::new();
    {
        let mut w =
            hound::WavWriter::new(Cursor::new(&mut bytes), spec).map_err(|e| e.to_string())?;
        for i in 0..frames {
            for ch in channels {
                let v = ch[i];
                let r = match format {
                    SampleFormat::F32 => w.write_sample(v),
                    SampleFormat::I16 => w.write_sample(quantize(v, 16) as i16),
                    SampleFormat::I24 => w.write_sample(quantize(v, 24)),
                };
                r.map_err(|e| e.to_string())?;
            }
        }
        w.finalize().map_err(|e| e.to_string())?;
    }
    if let Some(kind) = stimulus {
        let json = serde_json::to_string(kind).expect("stimulus kinds always serialize");
        append_comment(&mut bytes, &json);
    }
    Ok(bytes)
}

/// Write a WAV file of a signal with sync markers around it (the samples
/// of [`crate::dsp::sync::with_markers_spec`] of the signal `stimulus`
/// describes, made with `markers`); both are stored in the comment.
pub fn write_marked_wav(
    path: &Path,
    samples: &[f32],
    rate: u32,
    format: SampleFormat,
    stimulus: &StimulusKind,
    markers: &MarkerSpec,
) -> Result<(), WavError> {
    let err = |reason: String| WavError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let mut bytes = encode_wav(&[samples.to_vec()], rate, format, None).map_err(err)?;
    let mut json = serde_json::to_value(stimulus).expect("stimulus kinds always serialize");
    json[MARKERS_KEY] = serde_json::to_value(markers).expect("marker specs always serialize");
    append_comment(&mut bytes, &json.to_string());
    super::atomic_write(path, &bytes).map_err(|e| err(e.to_string()))
}

/// Write a WAV file atomically (see [`crate::formats::atomic_write`]).
pub fn write_wav(
    path: &Path,
    channels: &[Vec<f32>],
    rate: u32,
    format: SampleFormat,
    stimulus: Option<&StimulusKind>,
) -> Result<(), WavError> {
    let err = |reason: String| WavError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = encode_wav(channels, rate, format, stimulus).map_err(err)?;
    super::atomic_write(path, &bytes).map_err(|e| err(e.to_string()))
}

/// Round to the nearest integer code, clamped to the format's range.
fn quantize(v: f32, bits: u32) -> i32 {
    let full = (1i64 << (bits - 1)) as f64;
    (v as f64 * full).round().clamp(-full, full - 1.0) as i32
}

const COMMENT_PREFIX: &str = "tipfit-stimulus:";

/// The comment's key for the sync markers ([`write_marked_wav`]).
const MARKERS_KEY: &str = "sync_markers";

fn append_comment(bytes: &mut Vec<u8>, json: &str) {
    let mut text = format!("{COMMENT_PREFIX}{json}").into_bytes();
    text.push(0);
    if text.len() % 2 == 1 {
        text.push(0);
    }
    let mut list = b"INFO".to_vec();
    list.extend_from_slice(b"ICMT");
    list.extend_from_slice(&(text.len() as u32).to_le_bytes());
    list.extend_from_slice(&text);
    bytes.extend_from_slice(b"LIST");
    bytes.extend_from_slice(&(list.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&list);
    let riff_size = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
}

/// Iterate over RIFF chunks `(id, body)` starting at `pos`, stopping at the
/// first chunk that does not fit.
fn chunks(bytes: &[u8], mut pos: usize) -> impl Iterator<Item = (&[u8], &[u8])> {
    std::iter::from_fn(move || {
        let header = bytes.get(pos..pos.checked_add(8)?)?;
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let body = bytes.get(pos + 8..(pos + 8).checked_add(len)?)?;
        pos += 8 + len + (len % 2);
        Some((&header[..4], body))
    })
}

/// The tipfit comment's JSON: `None` when there is none, `Err` when there
/// is one that cannot be read.
fn read_comment(bytes: &[u8]) -> Option<Result<serde_json::Value, String>> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let list = chunks(bytes, 12).find(|(id, body)| *id == b"LIST" && body.starts_with(b"INFO"))?;
    let (_, text) = chunks(list.1, 4).find(|(id, _)| *id == b"ICMT")?;
    let text = String::from_utf8_lossy(text);
    let json = text.trim_end_matches('\0').strip_prefix(COMMENT_PREFIX)?;
    Some(serde_json::from_str(json).map_err(|e| format!("it is not a valid description: {e}")))
}

/// Check a WAV file without decoding its samples: the header reads and the
/// file holds all the data the header announces. For a quick look at many
/// files (e.g. every fit of a session).
pub fn check_wav(path: &Path) -> Result<(), WavError> {
    let p = || path.to_path_buf();
    let file = std::fs::File::open(path).map_err(|source| WavError::Io { path: p(), source })?;
    let size = file
        .metadata()
        .map_err(|source| WavError::Io { path: p(), source })?
        .len();
    if size == 0 {
        return Err(WavError::Empty { path: p() });
    }
    let reader =
        hound::WavReader::new(std::io::BufReader::new(file)).map_err(|e| WavError::NotWav {
            path: p(),
            reason: e.to_string(),
        })?;
    let spec = reader.spec();
    let expected = reader.len() as usize;
    if expected == 0 {
        return Err(WavError::NoAudio { path: p() });
    }
    let bytes_per_sample = (spec.bits_per_sample as u64).div_ceil(8).max(1);
    let mut inner = reader.into_inner();
    let data_start = std::io::Seek::stream_position(&mut inner)
        .map_err(|source| WavError::Io { path: p(), source })?;
    let actual = (size.saturating_sub(data_start) / bytes_per_sample) as usize;
    if actual < expected {
        return Err(WavError::Truncated {
            path: p(),
            expected,
            actual,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SweepParams;

    #[test]
    fn round_trip_keeps_samples_and_stimulus() {
        // The description is kept only with the samples it describes.
        let sweep = SweepParams {
            duration_s: 0.1,
            lead_s: 0.0,
            tail_s: 0.0,
            rate: 8_000,
            end_hz: 3_000.0,
            ..SweepParams::default()
        }
        .generate()
        .unwrap();
        let kind = sweep.kind.clone();
        let other: Vec<f32> = (0..sweep.samples.len())
            .map(|i| (i % 7) as f32 / 8.0)
            .collect();
        let ch = vec![sweep.samples.clone(), other];
        for fmt in [SampleFormat::F32, SampleFormat::I24, SampleFormat::I16] {
            let bytes = encode_wav(&ch, 8_000, fmt, Some(&kind)).unwrap();
            let back = decode_wav(&bytes, Path::new("x.wav")).unwrap();
            assert_eq!(back.rate, 8_000);
            assert_eq!(
                back.stimulus.as_ref(),
                Some(&kind),
                "{:?}",
                back.stimulus_note
            );
            for (a, b) in ch.iter().flatten().zip(back.channels.iter().flatten()) {
                assert!((a - b).abs() < 1e-4, "{fmt:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn truncated_file_is_reported_as_truncated() {
        let ch = vec![vec![0.25f32; 1000]];
        let bytes = encode_wav(&ch, 48_000, SampleFormat::F32, None).unwrap();
        let e = decode_wav(&bytes[..bytes.len() - 400], Path::new("cut.wav")).unwrap_err();
        assert!(
            matches!(e, WavError::Truncated { expected: 1000, .. }),
            "{e}"
        );
        assert!(e.to_string().starts_with("cut.wav: the file is truncated"));
    }

    #[test]
    fn garbage_and_empty_files_are_named() {
        let e = decode_wav(b"hello world, not audio", Path::new("a.txt")).unwrap_err();
        assert!(
            e.to_string().starts_with("a.txt: not a readable WAV file"),
            "{e}"
        );
        let e = decode_wav(b"", Path::new("b.wav")).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }
}
