//! Safe-listening estimate from ambient noise and a tip's attenuation (NIOSH 85 dBA, 3 dB exchange).
