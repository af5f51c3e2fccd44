//! How `dml gov` shows what the governor stores: proposal ids (decimal, as
//! Tally and OpenZeppelin's own tooling print them, and 32-byte hex), clock
//! timepoints as UTC times with their distance from now ("in 12 s", "3 min
//! ago"), vote types, and a description's title.
//!
//! The governor's clock is the DML token's (ERC-6372 `mode=timestamp`), so
//! every timepoint here is a Unix time in seconds.

use alloy_primitives::{B256, U256};
use anyhow::anyhow;
use dml_governance::support;

/// A proposal id as decimal, the form block explorers and Tally show.
pub fn id_decimal(id: U256) -> String {
    id.to_string()
}

/// A proposal id as 32-byte hex (`0x` and 64 digits), the form revert sentences use.
pub fn id_hex(id: U256) -> String {
    B256::from(id).to_string()
}

/// clap value parser for a proposal id: decimal, or hex with `0x`.
pub fn proposal_id_arg(text: &str) -> Result<U256, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.len() <= 64 => U256::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => U256::from_str_radix(text, 10).ok(),
        None => None,
    };
    parsed.ok_or_else(|| format!("`{text}` is not a proposal id (a decimal number, or 0x and up to 64 hex digits)"))
}

/// `2026-12-01 11:34:06 UTC` for a Unix time in seconds.
pub fn utc(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let second_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date of day `days` after 1970-01-01
/// (Howard Hinnant's `civil_from_days`, restricted to dates from 1970 on).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// How far `time` is from `now`: `in 12 s`, `3 min ago`, `now`.
pub fn relative(time: u64, now: u64) -> String {
    if time == now {
        return "now".to_string();
    }
    let span = span(time.abs_diff(now));
    if time > now {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A duration in its largest sensible unit, rounded down: `45 s`, `12 min`, `5 h`, `3 d`.
fn span(seconds: u64) -> String {
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7_200 => format!("{} min", seconds / 60),
        7_200..172_800 => format!("{} h", seconds / 3_600),
        _ => format!("{} d", seconds / 86_400),
    }
}

/// A time as `2026-12-01 11:34:06 UTC (in 12 s)`.
pub fn when(time: u64, now: u64) -> String {
    format!("{} ({})", utc(time), relative(time, now))
}

/// The name of a `GovernorCountingSimple` vote type.
pub fn support_name(vote: u8) -> &'static str {
    match vote {
        support::AGAINST => "against",
        support::FOR => "for",
        support::ABSTAIN => "abstain",
        _ => "unknown",
    }
}

/// A description's title: its first non-empty line, without a Markdown heading's `#`s.
pub fn title(description: &str) -> &str {
    let line = description.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("");
    line.trim_start_matches('#').trim_start()
}

/// A clock timepoint the governor returned as `uint256`, as seconds.
pub fn timepoint(value: U256) -> anyhow::Result<u64> {
    u64::try_from(value).map_err(|_| anyhow!("the governor returned timepoint {value}, beyond any Unix time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_in_decimal_and_hex_and_parse_from_both() {
        let id = U256::from(0xabcdu64);
        assert_eq!(id_decimal(id), "43981");
        assert_eq!(id_hex(id), format!("0x{:064x}", 0xabcd));
        assert_eq!(proposal_id_arg("43981"), Ok(id));
        assert_eq!(proposal_id_arg("0xabcd"), Ok(id));
        assert_eq!(proposal_id_arg(&id_hex(id)), Ok(id));
        assert_eq!(proposal_id_arg(&U256::MAX.to_string()), Ok(U256::MAX));
        for bad in ["", "0x", "-1", "12a", "0xzz", " 1", &format!("0x{}", "f".repeat(65)), &"9".repeat(80)] {
            assert!(proposal_id_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unix_times_print_as_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(1_798_761_599), "2026-12-31 23:59:59 UTC");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00:00 UTC");
    }

    #[test]
    fn distances_from_now_read_naturally() {
        let now = 1_000_000;
        assert_eq!(relative(now, now), "now");
        assert_eq!(relative(now + 12, now), "in 12 s");
        assert_eq!(relative(now - 119, now), "119 s ago");
        assert_eq!(relative(now - 180, now), "3 min ago");
        assert_eq!(relative(now + 7_199, now), "in 119 min");
        assert_eq!(relative(now + 3 * 3_600, now), "in 3 h");
        assert_eq!(relative(now - 3 * 86_400 - 5, now), "3 d ago");
        assert_eq!(when(0, 60), "1970-01-01 00:00:00 UTC (60 s ago)");
    }

    #[test]
    fn titles_are_the_first_line_without_heading_marks() {
        assert_eq!(title("# Raise the fee\n\nBecause."), "Raise the fee");
        assert_eq!(title("\n\n  Plain title  \nmore"), "Plain title");
        assert_eq!(title(""), "");
        assert_eq!(support_name(support::FOR), "for");
        assert_eq!(support_name(7), "unknown");
    }
}
