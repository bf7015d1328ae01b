//! The replica's fault switches: what a request gets instead of (or on the way to) its answer,
//! so tests can drive the client and the binary through every failure the API can show.

use std::str::FromStr;
use std::time::Duration;

/// One injected fault, applied to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 Service Unavailable.
    Unavailable,
    /// 429 Too Many Requests, with `Retry-After: n` seconds or without the header.
    TooManyRequests { retry_after: Option<u64> },
    /// 200 with the body cut in half.
    Truncated,
    /// 200 with a body that is not JSON.
    Malformed,
    /// A response held back this long before it is sent.
    Slow(Duration),
    /// Headers at once, then the body trickled out over this long.
    SlowBody(Duration),
    /// 200 with every area's list empty (a month that seems to have no data).
    Empty,
    /// 404 whose body says there is no data (what some clients see for an empty period).
    NoData,
    /// 429 with `Retry-After` as an HTTP date this many seconds ahead (RFC 9110 allows both).
    RetryAt(u64),
    /// 200 with, besides the window's records, one for a day two weeks before the window,
    /// revised later and with another value.
    Outside,
    /// 200 with a body that never ends (the replica stops it after 4 GiB or 60 s).
    Endless,
    /// 200 with one quantity of 1e308 kWh.
    Huge,
    /// 200 whose first group's name holds terminal control sequences (a title, a screen clear)
    /// and a right-to-left override.
    Hostile,
    /// 200 whose body has no `data` member.
    NoDataMember,
    /// 200 whose every record fails validation (no quantity).
    Invalid,
    /// 302 to the same address, forever.
    RedirectLoop,
    /// 200 without the last entity of the listing (a price area gone missing for a month).
    DropEntity,
    /// 200 whose first entity is listed ten more times, named "Evil twin", with other values.
    Twins,
}

impl FromStr for Fault {
    type Err = String;
    /// `503`, `429`, `429:2` (Retry-After 2 s), `429:none`, `429at:2` (Retry-After as an HTTP
    /// date 2 s ahead), `truncated`, `malformed`, `slow:500` (ms before the response),
    /// `slowbody:500` (ms to trickle the body), `empty`, `nodata`, `outside`, `endless`, `huge`,
    /// `hostile`, `nodatamember`, `invalid`, `redirectloop`, `dropentity`, `twins`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = s.trim().split_once(':').map_or((s.trim(), None), |(a, b)| (a, Some(b)));
        let number = |what: &str| -> Result<u64, String> {
            arg.unwrap_or_default().parse().map_err(|_| format!("fault '{s}': {what} must be a whole number"))
        };
        match (name, arg) {
            ("503", None) => Ok(Fault::Unavailable),
            ("429", None) => Ok(Fault::TooManyRequests { retry_after: Some(1) }),
            ("429", Some("none")) => Ok(Fault::TooManyRequests { retry_after: None }),
            ("429", Some(_)) => Ok(Fault::TooManyRequests { retry_after: Some(number("Retry-After")?) }),
            ("truncated", None) => Ok(Fault::Truncated),
            ("malformed", None) => Ok(Fault::Malformed),
            ("slow", Some(_)) => Ok(Fault::Slow(Duration::from_millis(number("the delay")?))),
            ("slowbody", Some(_)) => Ok(Fault::SlowBody(Duration::from_millis(number("the delay")?))),
            ("empty", None) => Ok(Fault::Empty),
            ("nodata", None) => Ok(Fault::NoData),
            ("429at", Some(_)) => Ok(Fault::RetryAt(number("Retry-After")?)),
            ("outside", None) => Ok(Fault::Outside),
            ("endless", None) => Ok(Fault::Endless),
            ("huge", None) => Ok(Fault::Huge),
            ("hostile", None) => Ok(Fault::Hostile),
            ("nodatamember", None) => Ok(Fault::NoDataMember),
            ("invalid", None) => Ok(Fault::Invalid),
            ("redirectloop", None) => Ok(Fault::RedirectLoop),
            ("dropentity", None) => Ok(Fault::DropEntity),
            ("twins", None) => Ok(Fault::Twins),
            _ => Err(format!(
                "unknown fault '{s}' (expected 503, 429, 429:SECONDS, 429:none, 429at:SECONDS, truncated, malformed, slow:MS, slowbody:MS, empty, nodata, outside, endless, huge, hostile, nodatamember, invalid, redirectloop, dropentity, twins)"
            )),
        }
    }
}

/// The fault switches. Each distinct request (same path and query) gets `sequence[n]` on its
/// n-th attempt and is served normally after the sequence; only requests whose key hashes to
/// 0 modulo `every` get faults at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub sequence: Vec<Fault>,
    /// 1 (or 0) = every request; 3 = about a third of the windows.
    pub every: u64,
    /// Added to every response.
    pub latency: Duration,
    /// Refuse windows longer than this many days with 400 (a stricter limit than one month).
    pub max_days: Option<i64>,
    /// What the change feed (`/updates`) answers instead of the changes, every time.
    pub feed: Option<FeedFault>,
}

/// A change feed that fails or misleads: an HTTP status (404: no feed here; 503: down), a 200
/// whose body is not JSON, items that are not items among the real ones, a feed that lists
/// nothing whatever changed, or one whose `next` link never ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFault {
    Status(u16),
    Malformed,
    /// `null`, `42` and `"x"` among the items of every page.
    BadItems,
    /// Every page empty: a feed that lies by silence.
    Silent,
    /// Every page's `next` leads to another page with the same items.
    Endless,
}

impl FromStr for FeedFault {
    type Err = String;
    /// `404`, `503` (any status from 400 to 599), `malformed`, `baditems`, `silent` or
    /// `endless`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "malformed" => Ok(FeedFault::Malformed),
            "baditems" => Ok(FeedFault::BadItems),
            "silent" => Ok(FeedFault::Silent),
            "endless" => Ok(FeedFault::Endless),
            n => match n.parse::<u16>() {
                Ok(code @ 400..=599) => Ok(FeedFault::Status(code)),
                _ => Err(format!(
                    "unknown feed fault '{s}' (expected an HTTP status from 400 to 599, malformed, baditems, silent or endless)"
                )),
            },
        }
    }
}

impl Faults {
    /// Parses a comma-separated list of faults, as `--faults` takes it.
    pub fn parse_sequence(spec: &str) -> Result<Vec<Fault>, String> {
        spec.split(',').filter(|s| !s.trim().is_empty()).map(str::parse).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_parse() {
        assert_eq!(
            Faults::parse_sequence("503, 429:3,429:none,truncated,malformed,slow:250").ok(),
            Some(vec![
                Fault::Unavailable,
                Fault::TooManyRequests { retry_after: Some(3) },
                Fault::TooManyRequests { retry_after: None },
                Fault::Truncated,
                Fault::Malformed,
                Fault::Slow(Duration::from_millis(250)),
            ])
        );
        assert_eq!(
            Faults::parse_sequence("slowbody:900,empty,nodata").ok(),
            Some(vec![Fault::SlowBody(Duration::from_millis(900)), Fault::Empty, Fault::NoData])
        );
        assert_eq!(
            Faults::parse_sequence("429at:10,outside,endless,huge,hostile,nodatamember,invalid,redirectloop")
                .ok(),
            Some(vec![
                Fault::RetryAt(10),
                Fault::Outside,
                Fault::Endless,
                Fault::Huge,
                Fault::Hostile,
                Fault::NoDataMember,
                Fault::Invalid,
                Fault::RedirectLoop
            ])
        );
        assert!(Faults::parse_sequence("418").is_err());
        assert_eq!("503".parse::<FeedFault>(), Ok(FeedFault::Status(503)));
        assert_eq!("malformed".parse::<FeedFault>(), Ok(FeedFault::Malformed));
        assert_eq!("endless".parse::<FeedFault>(), Ok(FeedFault::Endless));
        assert_eq!("silent".parse::<FeedFault>(), Ok(FeedFault::Silent));
        assert_eq!("baditems".parse::<FeedFault>(), Ok(FeedFault::BadItems));
        assert!("200".parse::<FeedFault>().is_err());
    }
}
