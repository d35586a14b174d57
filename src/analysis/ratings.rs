//! Attenuation ratings: EPA NRR (40 CFR 211.207), ISO 4869-2 (APV, SNR, HML), personal attenuation rating.
