//! `--use-os-locale`: month and day names of the OS locale for folder templates, from glibc's
//! locale data compiled in (no `setlocale`, no installed locales needed).

use icloudpd_sync::TimeNames;
use pure_rust_locales::{Locale, locale_match};

use crate::settings::Environment;

/// The locale could not be used (icloudpd crashes with `locale.Error` here; we exit 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedLocale {
    /// `VARIABLE=value` as found in the environment.
    pub setting: String,
}

impl std::fmt::Display for UnsupportedLocale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unsupported locale setting ({})", self.setting)
    }
}

/// Returns the OS locale's names when `--use-os-locale` is given and the locale is not C/POSIX;
/// `None` means English. The locale comes from `LC_ALL`, else `LC_TIME`, else `LANG` of `env`
/// (the first that is set and not empty).
pub fn time_names(
    use_os_locale: bool,
    env: &Environment,
) -> Result<Option<TimeNames>, UnsupportedLocale> {
    if !use_os_locale {
        return Ok(None);
    }
    let found = ["LC_ALL", "LC_TIME", "LANG"]
        .into_iter()
        .find_map(|var| env.var(var).filter(|v| !v.is_empty()).map(|v| (var, v)));
    match found {
        None => Ok(None),
        Some((var, value)) => from_name(&value).map_err(|()| UnsupportedLocale {
            setting: format!("{var}={value}"),
        }),
    }
}

/// Names for a POSIX locale name such as `de_DE.UTF-8` or `sr_RS.UTF-8@latin`.
fn from_name(value: &str) -> Result<Option<TimeNames>, ()> {
    let (base, modifier) = match value.split_once('@') {
        Some((base, modifier)) => (base, Some(modifier)),
        None => (value, None),
    };
    let language = base.split_once('.').map_or(base, |(language, _)| language);
    if matches!(language, "C" | "POSIX") {
        return Ok(None);
    }
    let name = match modifier {
        Some(m) => format!("{language}@{m}"),
        None => language.to_owned(),
    };
    let locale = Locale::try_from(name.as_str()).map_err(|_| ())?;
    Ok(Some(names(locale)))
}

fn names(locale: Locale) -> TimeNames {
    fn array<const N: usize>(values: &[&str]) -> [String; N] {
        std::array::from_fn(|i| values.get(i).copied().unwrap_or_default().to_owned())
    }
    TimeNames {
        months: array(locale_match!(locale => LC_TIME::MON)),
        months_abbr: array(locale_match!(locale => LC_TIME::ABMON)),
        weekdays: array(locale_match!(locale => LC_TIME::DAY)),
        weekdays_abbr: array(locale_match!(locale => LC_TIME::ABDAY)),
        am_pm: array(locale_match!(locale => LC_TIME::AM_PM)),
        date_time_format: locale_match!(locale => LC_TIME::D_T_FMT).to_owned(),
        date_format: locale_match!(locale => LC_TIME::D_FMT).to_owned(),
        time_format: locale_match!(locale => LC_TIME::T_FMT).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_names_come_from_glibc_data() {
        let names = from_name("de_DE.UTF-8").unwrap().unwrap();
        assert_eq!(names.months[6], "Juli");
        assert_eq!(names.months_abbr[2], "Mär");
        assert_eq!(names.weekdays[0], "Sonntag");
        assert_eq!(names.date_format, "%d.%m.%Y");
    }

    #[test]
    fn c_locales_are_english_and_unknown_ones_are_errors() {
        assert_eq!(from_name("C"), Ok(None));
        assert_eq!(from_name("C.UTF-8"), Ok(None));
        assert_eq!(from_name("POSIX"), Ok(None));
        assert!(from_name("xx_YY.UTF-8").is_err());
        assert!(from_name("de_DE.UTF-8@euro").is_ok());
        assert!(
            time_names(false, &Environment::default())
                .unwrap()
                .is_none()
        );
        let german = Environment::of(&[("LC_TIME", "de_DE.UTF-8"), ("LANG", "C")], None);
        assert_eq!(
            time_names(true, &german).unwrap().unwrap().months[6],
            "Juli"
        );
        let odd = Environment::of(&[("LC_ALL", "xx_YY")], None);
        assert_eq!(
            time_names(true, &odd).unwrap_err().to_string(),
            "unsupported locale setting (LC_ALL=xx_YY)"
        );
    }
}
