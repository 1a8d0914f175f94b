//! ASCII digits, as encoders write numbers without allocating or going
//! through `fmt`.

/// "00", "01", … "99": two digits per division.
pub const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

/// Writes the decimal digits of `value` at the end of `buf` and returns
/// where they start. `N` is at least 20 (checked at compile time), and a
/// fixed size lets the compiler drop bounds checks.
#[inline]
pub fn format_u64_right<const N: usize>(buf: &mut [u8; N], mut value: u64) -> usize {
    const { assert!(N >= 20, "a u64 has up to 20 digits") };
    let mut pos = N;
    while value >= 100 {
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[(value % 100) as usize]);
        value /= 100;
    }
    if value >= 10 {
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[value as usize]);
    } else {
        pos -= 1;
        buf[pos] = b'0' + value as u8;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_every_width() {
        for value in [0, 7, 10, 99, 100, 12_345, u64::MAX] {
            let mut buf = [0u8; 20];
            let start = format_u64_right(&mut buf, value);
            assert_eq!(&buf[start..], value.to_string().as_bytes());
        }
    }
}
