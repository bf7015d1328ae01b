//! Secrets in connection strings: the password of the user part and the value of every option
//! that holds one (`tlsCertificateKeyFilePassword`, `authMechanismProperties` with an AWS
//! session token, anything named like a password, secret, token or credential). They are
//! found, replaced by `***` wherever a URI is shown, and scrubbed from the messages of drivers
//! that may echo them. Where a URI is ambiguous (an unencoded `@` or `/` in a password) more is
//! redacted rather than less.

/// Whether an option's value is a secret (names compared without case, percent-decoded).
pub fn is_secret_option(name: &str) -> bool {
    let n = percent_decode(name).to_ascii_lowercase();
    ["password", "secret", "token", "credential", "authmechanismproperties"].iter().any(|w| n.contains(w))
}

/// The parts of a URI: scheme (with `://`), the user part before the last `@`, and the rest.
fn split(uri: &str) -> Option<(&str, Option<&str>, &str)> {
    let at = uri.find("://")? + 3;
    let (scheme, rest) = uri.split_at(at);
    Some(match rest.rfind('@') {
        Some(i) => (scheme, Some(&rest[..i]), &rest[i + 1..]),
        None => (scheme, None, rest),
    })
}

/// The options of the part after the user, as (name, value) slices.
fn options(after_user: &str) -> Vec<(&str, &str)> {
    let Some((_, query)) = after_user.split_once('?') else { return Vec::new() };
    query.split(['&', ';']).filter_map(|pair| pair.split_once('=')).collect()
}

/// Every secret of a URI, as written and percent-decoded, longest first (so that scrubbing
/// one never leaves a piece of a longer one).
pub fn uri_secrets(uri: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some((_, user, rest)) = split(uri) else {
        // Not a URI at all: all of it may be a secret.
        return if uri.trim().is_empty() { Vec::new() } else { vec![uri.to_string()] };
    };
    if let Some((_, password)) = user.and_then(|u| u.split_once(':')) {
        out.push(password.to_string());
    }
    for (name, value) in options(rest).into_iter().chain(user.map(options).unwrap_or_default()) {
        if is_secret_option(name) {
            out.push(value.to_string());
            // authMechanismProperties=AWS_SESSION_TOKEN:abc,SERVICE_NAME:x: each value alone too.
            let decoded = percent_decode(value);
            out.extend(decoded.split(',').filter_map(|kv| kv.split_once(':')).map(|(_, v)| v.to_string()));
        }
    }
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    out.retain(|s| !s.is_empty());
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Whether a URI carries any secret.
pub fn uri_has_secret(uri: &str) -> bool {
    split(uri).is_some() && !uri_secrets(uri).is_empty()
}

/// The URI with every secret replaced by `***`; a text that is not a URI is not shown at all.
pub fn redact_uri(uri: &str) -> String {
    let Some((scheme, user, rest)) = split(uri) else { return "(not a URI)".into() };
    let user = user.map(|u| match u.split_once(':') {
        Some((name, _)) => format!("{}:***@", scrub(name, &uri_secrets(uri))),
        None => format!("{u}@"),
    });
    let rest = match rest.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split_inclusive(['&', ';'])
                .map(|pair| {
                    let (body, sep) = match pair.strip_suffix(['&', ';']) {
                        Some(b) => (b, &pair[b.len()..]),
                        None => (pair, ""),
                    };
                    match body.split_once('=') {
                        Some((name, _)) if is_secret_option(name) => format!("{name}=***{sep}"),
                        _ => pair.to_string(),
                    }
                })
                .collect();
            format!("{path}?{}", pairs.concat())
        }
        None => rest.to_string(),
    };
    format!("{scheme}{}{rest}", user.unwrap_or_default())
}

/// Every secret of a libpq connection string, a URI (`postgresql://user:pass@…`) or `key=value`
/// pairs (`password=…`, quoted or not).
pub fn conninfo_secrets(conninfo: &str) -> Vec<String> {
    if conninfo.contains("://") {
        return uri_secrets(conninfo);
    }
    let mut out = Vec::new();
    let mut rest = conninfo;
    while let Some(at) = rest.find('=') {
        let key = rest[..at].split_whitespace().last().unwrap_or_default().to_ascii_lowercase();
        let after = rest[at + 1..].trim_start();
        let (value, tail) = match after.strip_prefix('\'') {
            Some(q) => {
                let mut end = 0;
                let bytes = q.as_bytes();
                while end < bytes.len() && !(bytes[end] == b'\'' && (end == 0 || bytes[end - 1] != b'\\')) {
                    end += 1;
                }
                (&q[..end], q.get(end + 1..).unwrap_or_default())
            }
            None => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if is_secret_option(&key) || key == "passfile" {
            out.push(value.to_string());
            out.push(value.replace("\\'", "'").replace("\\\\", "\\"));
        }
        rest = tail;
    }
    out.retain(|s| !s.is_empty());
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// Whether a libpq connection string carries a password.
pub fn conninfo_has_secret(conninfo: &str) -> bool {
    !conninfo_secrets(conninfo).is_empty() && (conninfo.contains("://") || conninfo.contains('='))
}

/// `text` with every secret replaced by `***`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_connection_strings_give_up_their_passwords() {
        assert_eq!(conninfo_secrets("postgresql://u:p%40ss@h/db"), ["p%40ss", "p@ss"]);
        assert_eq!(conninfo_secrets("host=h user=u password=s3cret dbname=d"), ["s3cret"]);
        assert_eq!(conninfo_secrets("password = 'a \\'b\\' c' host=h"), ["a \\'b\\' c", "a 'b' c"]);
        assert!(conninfo_secrets("host=h user=u").is_empty());
        assert!(conninfo_has_secret("host=h password=x") && !conninfo_has_secret("host=h"));
        assert_eq!(
            scrub("login for 'u' with s3cret", &conninfo_secrets("password=s3cret")),
            "login for 'u' with ***"
        );
    }

    /// (URI, what may be shown, the secrets that must not be).
    const FORMS: &[(&str, &str, &[&str])] = &[
        ("mongodb://u:hunter2@h:27017", "mongodb://u:***@h:27017", &["hunter2"]),
        (
            "mongodb+srv://elhub:s3cr%40t@cluster0.abcde.mongodb.net/elhub?retryWrites=true",
            "mongodb+srv://elhub:***@cluster0.abcde.mongodb.net/elhub?retryWrites=true",
            &["s3cr%40t", "s3cr@t"],
        ),
        ("mongodb://u:p@ss@h:1/db", "mongodb://u:***@h:1/db", &["p@ss"]),
        ("mongodb://u:pa/ss@h/db", "mongodb://u:***@h/db", &["pa/ss"]),
        (
            "mongodb://h:1/?tls=true&tlsCertificateKeyFilePassword=hunter2",
            "mongodb://h:1/?tls=true&tlsCertificateKeyFilePassword=***",
            &["hunter2"],
        ),
        (
            "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok3n",
            "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
            &["tok3n"],
        ),
        (
            "mongodb://u:pw1@h/?TLSCERTIFICATEKEYFILEPASSWORD=pw2;authSource=admin",
            "mongodb://u:***@h/?TLSCERTIFICATEKEYFILEPASSWORD=***;authSource=admin",
            &["pw1", "pw2"],
        ),
        (
            "mongodb://h/?tlsCertificateKeyFile%50assword=pw3",
            "mongodb://h/?tlsCertificateKeyFile%50assword=***",
            &["pw3"],
        ),
        ("mongodb://h/?awsSecretAccessKey=k3y&x=1", "mongodb://h/?awsSecretAccessKey=***&x=1", &["k3y"]),
        ("mongodb://reader@h1:1,h2:2/?authSource=admin", "mongodb://reader@h1:1,h2:2/?authSource=admin", &[]),
        ("mongodb://localhost:27017", "mongodb://localhost:27017", &[]),
        ("not a uri with hunter2", "(not a URI)", &["hunter2"]),
    ];

    #[test]
    fn every_secret_bearing_part_is_redacted() {
        for (uri, shown, secrets) in FORMS {
            assert_eq!(redact_uri(uri), *shown, "{uri}");
            for s in *secrets {
                assert!(!redact_uri(uri).contains(s), "{uri}: {s} shown");
                if uri.contains("://") {
                    let message = format!("driver said: cannot use {uri} (secret {s})");
                    assert!(!scrub(&message, &uri_secrets(uri)).contains(s), "{uri}: {s} in a message");
                }
            }
            assert_eq!(uri_has_secret(uri), !secrets.is_empty() && uri.contains("://"), "{uri}");
        }
    }
}
