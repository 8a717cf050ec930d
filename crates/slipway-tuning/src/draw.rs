//! Seeded random draws that depend only on the tuning job's seed and its
//! history, so a restarted server proposes what it would have proposed.
//!
//! The stream is ChaCha8 seeded from an FNV-1a hash of (seed, strategy,
//! finished trials, pending assignments), and the uniform and normal draws
//! are computed here from raw `u64`s: ChaCha's output is specified, while
//! `rand`'s distributions may change their values between releases.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Assignment, Trial};

pub(crate) struct Draw(ChaCha8Rng);

impl Draw {
    /// The stream for one proposal. `salt` separates strategies.
    pub(crate) fn for_history(
        seed: u64,
        salt: &str,
        finished: &[Trial],
        pending: &[Assignment],
    ) -> Self {
        let mut h = Fnv::new();
        h.bytes(&seed.to_le_bytes());
        h.bytes(salt.as_bytes());
        for trial in finished {
            h.bytes(b"F");
            h.assignment(&trial.assignment);
            match trial.objective {
                Some(v) => h.bytes(&v.to_bits().to_le_bytes()),
                None => h.bytes(b"-"),
            }
        }
        for assignment in pending {
            h.bytes(b"P");
            h.assignment(assignment);
        }
        Self::from_u64(h.0)
    }

    pub(crate) fn from_u64(seed: u64) -> Self {
        // SplitMix64 spreads the 64-bit hash over ChaCha's 256-bit key.
        let mut state = seed;
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes());
        }
        Draw(ChaCha8Rng::from_seed(key))
    }

    /// Uniform on `[0, 1)`, 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (self.0.next_u64() >> 11) as f64;
        x * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `0..n` (`n > 0`), by rejection so every index is equally
    /// likely.
    pub(crate) fn below(&mut self, n: u128) -> u128 {
        if n <= 1 {
            return 0;
        }
        let wide = (u128::from(self.0.next_u64()) << 64) | u128::from(self.0.next_u64());
        let zone = u128::MAX - (u128::MAX % n);
        if wide < zone {
            wide % n
        } else {
            self.below(n)
        }
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn assignment(&mut self, a: &Assignment) {
        for (k, v) in a {
            // Lengths first, so ("ab","c") and ("a","bc") hash apart.
            self.bytes(&(k.len() as u64).to_le_bytes());
            self.bytes(k.as_bytes());
            self.bytes(&(v.len() as u64).to_le_bytes());
            self.bytes(v.as_bytes());
        }
        self.bytes(b";");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_history_same_stream_and_histories_differ() {
        let a: Assignment = [("x".to_string(), "1".to_string())].into();
        let t = [Trial {
            assignment: a.clone(),
            objective: Some(1.0),
        }];
        let one = Draw::for_history(7, "r", &t, &[]).unit();
        assert_eq!(one, Draw::for_history(7, "r", &t, &[]).unit());
        assert_ne!(one, Draw::for_history(8, "r", &t, &[]).unit());
        assert_ne!(one, Draw::for_history(7, "r", &[], &[a]).unit());
    }

    #[test]
    fn draws_stay_in_range() {
        let mut d = Draw::from_u64(1);
        for _ in 0..10_000 {
            let u = d.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(d.below(7) < 7);
            assert!(d.normal().is_finite());
        }
    }
}
