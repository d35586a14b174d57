//! Audio channels as users count them: from 1.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

/// The one message for a channel 0, wherever a channel is given (an
/// option, a config key).
pub const CHANNELS_COUNT_FROM_1: &str = "channels count from 1";

/// An input or output channel of a sound card, 1-based: channel 0 cannot
/// be made. Parsed from the command line and from the session config
/// (`0` is refused with [`CHANNELS_COUNT_FROM_1`]), stored as the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct Channel(NonZeroU16);

impl Channel {
    /// Channel 1.
    pub const FIRST: Channel = Channel(NonZeroU16::MIN);

    /// Channel `n` (1-based); `None` for 0.
    pub fn new(n: u16) -> Option<Self> {
        NonZeroU16::new(n).map(Self)
    }

    /// The channel's number, 1-based.
    pub fn get(self) -> u16 {
        self.0.get()
    }

    /// The channel's index in a list of channels, 0-based.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<u16> for Channel {
    type Error = String;

    fn try_from(n: u16) -> Result<Self, String> {
        Self::new(n).ok_or_else(|| CHANNELS_COUNT_FROM_1.to_string())
    }
}

impl From<Channel> for u16 {
    fn from(c: Channel) -> u16 {
        c.get()
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let n: u16 = s
            .parse()
            .map_err(|e: std::num::ParseIntError| e.to_string())?;
        Self::try_from(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_0_is_refused_with_the_one_message() {
        assert_eq!("0".parse::<Channel>(), Err(CHANNELS_COUNT_FROM_1.into()));
        assert_eq!(Channel::try_from(0), Err(CHANNELS_COUNT_FROM_1.into()));
        assert_eq!(Channel::new(0), None);
        let c: Channel = "3".parse().unwrap();
        assert_eq!((c.get(), c.index(), c.to_string()), (3, 2, "3".into()));
        assert_eq!(Channel::FIRST.index(), 0);
        assert!("x".parse::<Channel>().is_err());
        let e = serde_json::from_str::<Channel>("0")
            .unwrap_err()
            .to_string();
        assert!(e.contains(CHANNELS_COUNT_FROM_1), "{e}");
        assert_eq!(serde_json::to_string(&c).unwrap(), "3");
    }
}
