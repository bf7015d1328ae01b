//! The replica's entities: the five price areas, 361 municipalities (real numbers and names for
//! the large ones, made-up but plausible ones for the rest, `0000` for "unknown", and Snåsa's
//! name mis-encoded as the real API sends it), and 100 grid areas with EIC-like ids, names and
//! the price area each lies in. Deterministic: the same list on every machine.

use std::sync::OnceLock;

use crate::model::{EntityKind, PriceArea};

/// One entity the replica serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: String,
    /// `name` as the API sends it (possibly mis-encoded).
    pub name: String,
    /// The correct Norwegian name, where the API sends one apart (`nameNo`).
    pub name_no: String,
    pub price_area: PriceArea,
    /// Relative size: people for a municipality, customers in thousands for a grid area.
    pub weight: f64,
    /// False for the one grid area that is no longer active and has no data.
    pub active: bool,
}

/// Every entity of a kind, in the API's order.
pub fn places(kind: EntityKind) -> &'static [Place] {
    static AREAS: OnceLock<Vec<Place>> = OnceLock::new();
    static MUNICIPALITIES: OnceLock<Vec<Place>> = OnceLock::new();
    static GRID_AREAS: OnceLock<Vec<Place>> = OnceLock::new();
    match kind {
        EntityKind::PriceArea => AREAS.get_or_init(price_areas),
        EntityKind::Municipality => MUNICIPALITIES.get_or_init(municipalities),
        EntityKind::GridArea => GRID_AREAS.get_or_init(grid_areas),
    }
}

/// The place with this id.
pub fn place(kind: EntityKind, id: &str) -> Option<&'static Place> {
    places(kind).iter().find(|p| p.id == id)
}

fn price_areas() -> Vec<Place> {
    PriceArea::ALL
        .into_iter()
        .map(|a| Place {
            id: a.as_str().into(),
            name: a.as_str().into(),
            name_no: a.as_str().into(),
            price_area: a,
            weight: 1.0,
            active: true,
        })
        .collect()
}

/// A stable pseudo-random number in [0, 1) for a key (splitmix64).
pub fn unit_noise(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Counties by their two-digit prefix: how many municipalities, and the price area.
const COUNTIES: [(u32, usize, PriceArea); 15] = [
    (3, 1, PriceArea::NO1),
    (11, 23, PriceArea::NO2),
    (15, 26, PriceArea::NO3),
    (18, 40, PriceArea::NO4),
    (31, 12, PriceArea::NO1),
    (32, 21, PriceArea::NO1),
    (33, 18, PriceArea::NO1),
    (34, 46, PriceArea::NO1),
    (39, 6, PriceArea::NO1),
    (40, 17, PriceArea::NO2),
    (42, 25, PriceArea::NO2),
    (46, 43, PriceArea::NO5),
    (50, 41, PriceArea::NO3),
    (55, 23, PriceArea::NO4),
    (56, 18, PriceArea::NO4),
];

/// Real municipalities: number, name, people.
const KNOWN: [(&str, &str, f64); 14] = [
    ("0301", "Oslo", 709_000.0),
    ("4601", "Bergen", 291_000.0),
    ("5001", "Trondheim", 214_000.0),
    ("1103", "Stavanger", 147_000.0),
    ("3201", "Bærum", 130_000.0),
    ("4204", "Kristiansand", 116_000.0),
    ("3301", "Drammen", 103_000.0),
    ("3203", "Asker", 98_000.0),
    ("3107", "Fredrikstad", 84_000.0),
    ("5501", "Tromsø", 78_000.0),
    ("1804", "Bodø", 53_000.0),
    ("1508", "Ålesund", 68_000.0),
    ("3405", "Lillehammer", 29_000.0),
    ("5041", "Snåsa", 2_100.0),
];

const STEMS: [&str; 24] = [
    "Ås", "Bø", "Fjell", "Haug", "Lund", "Vik", "Dal", "Nes", "Berg", "Sand", "Strand", "Hol", "Hov", "Rød",
    "Lier", "Skog", "Øy", "Våg", "Eid", "Stor", "Lille", "Sol", "Fros", "Vest",
];
const ENDINGS: [&str; 16] = [
    "heim", "vik", "dal", "nes", "berg", "stad", "rud", "sund", "fjord", "øy", "land", "voll", "å", "ås",
    "ey", "sjø",
];

fn municipalities() -> Vec<Place> {
    let mut out = vec![Place {
        id: "0000".into(),
        name: "Ukjent".into(),
        name_no: "Ukjent".into(),
        price_area: PriceArea::NO1,
        weight: 900.0,
        active: true,
    }];
    let mut used: Vec<String> = KNOWN.iter().map(|k| k.1.to_string()).collect();
    let mut n = 0u64;
    for (county, count, area) in COUNTIES {
        for serial in 1..=count {
            let id = format!("{:02}{:02}", county, serial);
            let (name, weight) = match KNOWN.iter().find(|k| k.0 == id) {
                Some((_, name, people)) => (name.to_string(), *people),
                None => loop {
                    // 97 is prime to 24 x 16: every stem and ending pair comes up once.
                    let pair = (n * 97) as usize % (STEMS.len() * ENDINGS.len());
                    n += 1;
                    let candidate =
                        format!("{}{}", STEMS[pair / ENDINGS.len()], ENDINGS[pair % ENDINGS.len()]);
                    if !used.contains(&candidate) {
                        used.push(candidate.clone());
                        // Most municipalities are small: 1,000 to about 40,000 people.
                        break (candidate, (1_000.0 * 40.0f64.powf(unit_noise(n ^ 0x77))).round());
                    }
                },
            };
            // Snåsa's name arrives mis-encoded (UTF-8 read as Latin-1), as it does from the API.
            let sent = if name == "Snåsa" { "SnÃ¥sa".to_string() } else { name.clone() };
            out.push(Place { id, name: sent, name_no: name, price_area: area, weight, active: true });
        }
    }
    // Real numbers are never reused: keep the list sorted as the API lists it.
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

const GRID_OWNERS: [&str; 20] = [
    "ELVIA",
    "BKK NETT",
    "TENSIO",
    "LNETT",
    "GLITRE NETT",
    "LEDE",
    "NORGESNETT",
    "ARVA",
    "LINJA",
    "FAGNE",
    "NORDLANDSNETT",
    "HAVNETT",
    "VESTALL",
    "MIDTNETT",
    "BARENTS NETT",
    "STANNUM",
    "NETTSELSKAPET",
    "FØIE",
    "RAKKESTAD ENERGI",
    "VISSI",
];

fn grid_areas() -> Vec<Place> {
    let mut out = vec![Place {
        id: "50YWO-6UUIJ4BF1D".into(),
        name: "EIDSIVA-D".into(),
        name_no: "EIDSIVA-D".into(),
        price_area: PriceArea::NO1,
        weight: 140.0,
        active: true,
    }];
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for i in 1..100u64 {
        let id: String = "50Y"
            .chars()
            .chain((0..13).map(|k| {
                if k == 2 {
                    '-'
                } else {
                    ALPHABET[(unit_noise(i * 31 + k) * ALPHABET.len() as f64) as usize] as char
                }
            }))
            .collect();
        let owner = GRID_OWNERS[i as usize % GRID_OWNERS.len()];
        let area = PriceArea::ALL[(unit_noise(i ^ 0x5A5A) * 5.0) as usize];
        let name = format!("{owner} {}", i / GRID_OWNERS.len() as u64 + 1);
        out.push(Place {
            id,
            name: name.clone(),
            name_no: name,
            price_area: area,
            weight: (2.0 * (60.0f64).powf(unit_noise(i ^ 0x1234))).round(),
            // One grid area was merged away: listed nowhere, 404 when asked for.
            active: i != 57,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_361_municipalities_and_100_grid_areas() {
        let m = places(EntityKind::Municipality);
        assert_eq!(m.len(), 361);
        let mut ids: Vec<&str> = m.iter().map(|p| p.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 361, "unique numbers");
        assert_eq!(m[0].id, "0000");
        assert!(m.iter().all(|p| p.id.len() == 4 && p.id.chars().all(|c| c.is_ascii_digit())));
        assert_eq!(place(EntityKind::Municipality, "5501").map(|p| p.name.as_str()), Some("Tromsø"));
        assert_eq!(place(EntityKind::Municipality, "5041").map(|p| p.name.as_str()), Some("SnÃ¥sa"));
        let g = places(EntityKind::GridArea);
        assert_eq!(g.len(), 100);
        assert!(g.iter().all(|p| p.id.len() == 16 && p.id.starts_with("50Y")));
        let mut gids: Vec<&str> = g.iter().map(|p| p.id.as_str()).collect();
        gids.sort();
        gids.dedup();
        assert_eq!(gids.len(), 100);
        assert_eq!(g.iter().filter(|p| !p.active).count(), 1);
        for a in PriceArea::ALL {
            assert!(g.iter().any(|p| p.price_area == a), "{a} has grid areas");
        }
    }
}
