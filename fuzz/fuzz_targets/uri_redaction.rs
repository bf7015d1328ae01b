//! Connection strings built from arbitrary parts, with a password and a secret option in any
//! encoding and place: neither the redacted URI nor a driver message quoting the URI (scrubbed)
//! ever shows a secret.
#![no_main]

use arbitrary::Arbitrary;
use elhub_explorer::store::secrets::{redact_uri, scrub, uri_secrets};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    srv: bool,
    user: String,
    password: String,
    hosts: String,
    path: String,
    before: Vec<(String, String)>,
    secret_name: u8,
    secret: String,
    after: Vec<(String, String)>,
    semicolons: bool,
}

const NAMES: [&str; 5] = [
    "tlsCertificateKeyFilePassword",
    "authMechanismProperties",
    "TLSCERTIFICATEKEYFILEPASSWORD",
    "awsSecretAccessKey",
    "sslClientCertificateKeyPassword",
];

fuzz_target!(|input: Input| {
    let sep = if input.semicolons { ";" } else { "&" };
    let pair = |(k, v): &(String, String)| format!("{k}={v}");
    let mut options: Vec<String> = input.before.iter().map(pair).collect();
    let name = NAMES[input.secret_name as usize % NAMES.len()];
    options.push(format!("{name}={}", input.secret));
    options.extend(input.after.iter().map(pair));
    let scheme = if input.srv { "mongodb+srv" } else { "mongodb" };
    let uri = format!(
        "{scheme}://{}:{}@{}/{}?{}",
        input.user,
        input.password,
        input.hosts,
        input.path,
        options.join(sep)
    );
    let shown = redact_uri(&uri);
    let secrets = uri_secrets(&uri);
    let message = scrub(&format!("error parsing {uri}: bad value"), &secrets);
    // Only a secret that cannot be confused with the parts shown is checked (a one-letter
    // password "h" also spells the host "h").
    let public: String = [&input.user, &input.hosts, &input.path, scheme, "error parsing", ": bad value"]
        .iter()
        .map(|s| s.to_string())
        .chain(input.before.iter().chain(&input.after).flat_map(|(k, v)| [k.clone(), v.clone()]))
        .collect::<Vec<_>>()
        .join("\u{0}");
    for secret in [&input.password, &input.secret] {
        let clean = !secret.is_empty()
            && !secret.contains(['@', '&', ';', '?', '=', '/', ',', ':', '%'])
            && !public.contains(secret.as_str())
            && !"***(not a URI)".contains(secret.as_str());
        if clean {
            assert!(!shown.contains(secret.as_str()), "{uri} -> {shown}");
            assert!(!message.contains(secret.as_str()), "{uri} -> {message}");
        }
    }
});
