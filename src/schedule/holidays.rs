//! French public holidays ("jours fériés"), per region, for quiet hours.
//!
//! Sources (checked, not guessed):
//! - Code du travail art. L3133-1: 1 Jan, Easter Monday, 1 May, 8 May, Ascension,
//!   Whit Monday, 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec (everywhere).
//! - Code du travail art. L3134-13 (Alsace-Moselle: Bas-Rhin, Haut-Rhin, Moselle):
//!   Good Friday and 26 Dec in addition.
//! - Code du travail art. L3422-2 (abolition of slavery, from loi 83-550 and décret
//!   83-1003 as amended in 2012): Mayotte 27 Apr, Martinique 22 May, Guadeloupe
//!   and Saint-Martin 27 May, Guyane 10 Jun, Saint-Barthélemy 9 Oct, La Réunion
//!   20 Dec. Saint-Martin has commemorated on 28 May since 2018 (interministerial
//!   circular, prefecture notices) while the code still says 27 May, so both days
//!   count there: a quiet day too many is harmless, a nudge on the holiday is not.

use chrono::{Datelike, Days, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Which set of regional public holidays applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayRegion {
    Metropole,
    AlsaceMoselle,
    Guadeloupe,
    Martinique,
    Guyane,
    Reunion,
    Mayotte,
    SaintMartin,
}

impl HolidayRegion {
    /// A guess from the Mission Locale's time zone. A zone cannot tell Alsace-Moselle
    /// from the rest of metropolitan France (both are Europe/Paris): the operator
    /// sets `AlsaceMoselle` explicitly. Unknown zones fall back to `Metropole`.
    pub fn from_tz(tz: Tz) -> HolidayRegion {
        match tz.name() {
            "America/Guadeloupe" => HolidayRegion::Guadeloupe,
            "America/Martinique" => HolidayRegion::Martinique,
            "America/Cayenne" => HolidayRegion::Guyane,
            "Indian/Reunion" => HolidayRegion::Reunion,
            "Indian/Mayotte" => HolidayRegion::Mayotte,
            "America/Marigot" => HolidayRegion::SaintMartin,
            _ => HolidayRegion::Metropole,
        }
    }
}

/// Easter Sunday (Gregorian), by the anonymous "Meeus/Jones/Butcher" algorithm.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    NaiveDate::from_ymd_opt(year, (n / 31) as u32, (n % 31 + 1) as u32)
}

/// True when `date` is a public holiday in `region`.
pub fn is_public_holiday(date: NaiveDate, region: HolidayRegion) -> bool {
    let (m, d) = (date.month(), date.day());
    let national_fixed = matches!(
        (m, d),
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    );
    if national_fixed {
        return true;
    }
    let regional_fixed = match region {
        HolidayRegion::Metropole => false,
        HolidayRegion::AlsaceMoselle => (m, d) == (12, 26),
        HolidayRegion::Guadeloupe => (m, d) == (5, 27),
        HolidayRegion::Martinique => (m, d) == (5, 22),
        HolidayRegion::Guyane => (m, d) == (6, 10),
        HolidayRegion::Reunion => (m, d) == (12, 20),
        HolidayRegion::Mayotte => (m, d) == (4, 27),
        HolidayRegion::SaintMartin => (m, d) == (5, 27) || (m, d) == (5, 28),
    };
    if regional_fixed {
        return true;
    }
    let Some(easter) = easter_sunday(date.year()) else {
        return false;
    };
    let offset = (date - easter).num_days();
    // Easter Monday +1, Ascension +39, Whit Monday +50; Good Friday -2 in Alsace-Moselle.
    matches!(offset, 1 | 39 | 50) || (region == HolidayRegion::AlsaceMoselle && offset == -2)
}

/// The day after `date` (saturating at chrono's maximum date).
pub(crate) fn next_day(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
    }

    #[test]
    fn movable_holidays_follow_easter() {
        let r = HolidayRegion::Metropole;
        assert!(is_public_holiday(date(2027, 3, 29), r)); // Easter Monday
        assert!(is_public_holiday(date(2026, 5, 14), r)); // Ascension
        assert!(is_public_holiday(date(2026, 5, 25), r)); // Whit Monday
        assert!(!is_public_holiday(date(2026, 4, 3), r)); // Good Friday: not here
        assert!(is_public_holiday(
            date(2026, 4, 3),
            HolidayRegion::AlsaceMoselle
        ));
        assert!(!is_public_holiday(date(2026, 4, 5), r)); // Easter Sunday is a Sunday anyway
    }

    #[test]
    fn fixed_and_regional_days() {
        use HolidayRegion::*;
        assert!(is_public_holiday(date(2026, 12, 25), Metropole));
        assert!(!is_public_holiday(date(2026, 12, 26), Metropole));
        assert!(is_public_holiday(date(2026, 12, 26), AlsaceMoselle));
        assert!(is_public_holiday(date(2026, 5, 27), Guadeloupe));
        assert!(!is_public_holiday(date(2026, 5, 27), Metropole));
        assert!(is_public_holiday(date(2026, 5, 22), Martinique));
        assert!(is_public_holiday(date(2026, 6, 10), Guyane));
        assert!(is_public_holiday(date(2026, 12, 20), Reunion));
        assert!(is_public_holiday(date(2026, 4, 27), Mayotte));
        assert!(is_public_holiday(date(2026, 5, 28), SaintMartin));
        assert!(!is_public_holiday(date(2026, 5, 28), Guadeloupe));
    }

    #[test]
    fn region_from_zone() {
        assert_eq!(
            HolidayRegion::from_tz(chrono_tz::America::Guadeloupe),
            HolidayRegion::Guadeloupe
        );
        assert_eq!(
            HolidayRegion::from_tz(chrono_tz::America::Cayenne),
            HolidayRegion::Guyane
        );
        assert_eq!(
            HolidayRegion::from_tz(chrono_tz::Europe::Paris),
            HolidayRegion::Metropole
        );
    }
}
