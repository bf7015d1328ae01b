//! The documentation the program writes about itself: shell completion scripts and manual
//! pages, from the command-line definition.

use super::{exit, print_out, Failure};
use crate::outfile::Links;

/// Writes `body` to `path` whole (crate::outfile: devices, FIFOs and links respected, the mode
/// kept or the umask's).
pub(super) fn write_whole(path: &std::path::Path, links: Links, body: &[u8]) -> Result<(), Failure> {
    crate::outfile::write_whole(path, links, body).map_err(|e| Failure::failed(format!("cannot write {e}")))
}

/// The completion script of a shell, from the command-line definition; options hidden from
/// `--help` (`--no-rate-limit`, for tests against a local replica) are not offered either.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cmd = crate::cli::command();
    clap_complete::generate(shell, &mut cmd, "elhub-explorer", &mut out);
    let mut script = String::from_utf8_lossy(&out).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 spells a hyphenated program's states two ways in bash, so nothing
        // after a subcommand completes (clap-rs/clap#6421); a no-op once that is fixed.
        script = script.replace("elhub__subcmd__explorer", "elhub__explorer");
    }
    // clap_complete offers hidden options too (it filters hidden values only).
    let hidden: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_hide_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    for flag in &hidden {
        let name = flag.trim_start_matches('-');
        script = script
            .lines()
            .filter_map(|line| {
                if !line.contains(name) {
                    return Some(line.to_string());
                }
                // Bash lists options as words of one line; the other shells give each its line.
                let words = format!(" {line} ");
                let bash_word = words.contains(&format!(" {flag} "));
                bash_word.then(|| words.replacen(&format!(" {flag} "), " ", 1).trim_matches(' ').to_string())
            })
            .map(|l| l + "\n")
            .collect();
    }
    script.into_bytes()
}

/// The main page's own sections: the explorer's keys (from its key table), files, exit status,
/// examples and the other pages.
fn main_sections(pages: &[String]) -> String {
    let mut s = String::from(".SH KEYS\nIn the explorer (the help overlay, \\fB?\\fR, lists the same):\n");
    for (key, what) in crate::tui::keys::KEYS.iter().map(|b| (b.label, b.help)) {
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(key), roff(what)));
    }
    s.push_str(&section(
        "FILES",
        &[
            "config: --config PATH, else ./config.toml, else $XDG_CONFIG_HOME/elhub-explorer/config.toml",
            "store: $XDG_DATA_HOME/elhub-explorer/elhub.sqlite (~/.local/share/elhub-explorer/)",
            "logs and the remembered view: $XDG_STATE_HOME/elhub-explorer/ (~/.local/state/elhub-explorer/)",
        ],
    ));
    s.push_str(&section(
        "EXIT STATUS",
        &[
            "0 done; 1 failed; 2 usage or configuration error;",
            "3 partly done (some months or sinks failed; a rerun completes them).",
        ],
    ));
    s.push_str(&examples(&[
        ("the explorer, on the embedded store", "elhub-explorer"),
        (
            "a local replica of the API, then the explorer on it",
            "elhub-explorer replica &\nelhub-explorer --api-url http://127.0.0.1:8080",
        ),
        (
            "fetch a year headless (cron), then its totals",
            "elhub-explorer --ingest-only --year 2024\nelhub-explorer summary --year 2024",
        ),
        (
            "keep the store current, revisions included",
            "elhub-explorer --ingest-only --refresh --from 2021-01 --to 2026-12",
        ),
        (
            "a municipality by name, as CSV",
            "elhub-explorer export --dataset consumption-municipality --entity tromso -o tromso.csv",
        ),
        (
            "Parquet for DuckDB, Spark or pandas",
            "elhub-explorer export --format parquet --partition -o lake/",
        ),
    ]));
    s.push_str(".SH SEE ALSO\n.nh\n");
    s.push_str(&pages.iter().map(|p| format!("\\fB{}\\fR(1)", roff(p))).collect::<Vec<_>>().join(", "));
    s.push('\n');
    s
}

/// A few examples for a subcommand's page.
fn sub_sections(name: &str) -> String {
    match name {
        "export" => examples(&[
            ("every stored production record, as CSV", "elhub-explorer export -o production.csv"),
            ("one municipality of a year, named as you would say it", "elhub-explorer export --dataset consumption-municipality --entity tromso --year 2024 -o tromso.csv"),
            ("a year as one Parquet file", "elhub-explorer export --format parquet --year 2024 -o 2024.parquet"),
            ("a Hive-style tree (dataset=…/year=…/part-0.parquet)", "elhub-explorer export --dataset consumption --format parquet --partition -o lake/"),
        ]),
        "summary" => examples(&[
            ("every stored year", "elhub-explorer summary"),
            ("one area's hydro, in GWh", "elhub-explorer summary --entity NO2 --group hydro --unit GWh"),
            ("as CSV for a spreadsheet", "elhub-explorer summary --year 2024 --format csv > totals.csv"),
        ]),
        "entities" => examples(&[
            ("the municipalities and which are stored", "elhub-explorer entities --dataset consumption-municipality"),
            ("grid areas with their price areas, as CSV", "elhub-explorer entities --dataset consumption-grid-area --format csv"),
        ]),
        "datasets" => examples(&[("the catalogue as JSON", "elhub-explorer datasets --format json")]),
        _ => String::new(),
    }
}

/// A section of plain lines.
fn section(title: &str, lines: &[&str]) -> String {
    let mut s = format!(".SH {title}\n");
    for line in lines {
        s.push_str(&roff(line));
        s.push_str("\n.br\n");
    }
    s
}

/// An EXAMPLES section: what, then the commands as typed (no filling).
fn examples(items: &[(&str, &str)]) -> String {
    let mut s = String::from(".SH EXAMPLES\n");
    for (what, command) in items {
        s.push_str(&format!(".PP\n{}:\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE\n", roff(what), roff(command)));
    }
    s
}

/// Text made safe for roff: backslashes and hyphens escaped, a line never starting a request.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|l| if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One page: clap's sections (no help subcommand, whose page is not written), then `own`.
fn render_page(cmd: clap::Command, own: &str) -> Result<Vec<u8>, Failure> {
    let man = clap_mangen::Man::new(cmd.disable_help_subcommand(true));
    let mut out = Vec::new();
    let failed = |e: std::io::Error| Failure::failed(e.to_string());
    man.render_title(&mut out).map_err(failed)?;
    man.render_name_section(&mut out).map_err(failed)?;
    man.render_synopsis_section(&mut out).map_err(failed)?;
    man.render_description_section(&mut out).map_err(failed)?;
    man.render_options_section(&mut out).map_err(failed)?;
    man.render_subcommands_section(&mut out).map_err(failed)?;
    out.extend_from_slice(own.as_bytes());
    man.render_version_section(&mut out).map_err(failed)?;
    Ok(out)
}

/// The manual pages, roff, from the command-line definition: (file name, page), the main
/// command's first.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let cmd = crate::cli::command().disable_help_subcommand(true);
    let subs: Vec<clap::Command> =
        cmd.get_subcommands().filter(|s| s.get_name() != "help").cloned().collect();
    let names: Vec<String> = subs.iter().map(|s| format!("elhub-explorer-{}", s.get_name())).collect();
    let mut pages = vec![("elhub-explorer.1".to_string(), render_page(cmd.clone(), &main_sections(&names))?)];
    for (sub, name) in subs.into_iter().zip(&names) {
        // The page is elhub-explorer-summary(1); its synopsis the command as typed.
        let typed = format!("elhub-explorer {}", sub.get_name());
        let page = sub.display_name(name.clone()).bin_name(typed).version(env!("CARGO_PKG_VERSION"));
        let own = format!(
            "{}.SH SEE ALSO\n.nh\n\\fBelhub\\-explorer\\fR(1)\n",
            sub_sections(name.trim_start_matches("elhub-explorer-"))
        );
        pages.push((format!("{name}.1"), render_page(page, &own)?));
    }
    Ok(pages)
}

/// `man`: the main page on standard output, or every page into `dir`, saying how to make `man`
/// find them when `dir`'s parent is not on its search path.
pub(super) fn write_man(dir: Option<&std::path::Path>) -> Result<i32, Failure> {
    let pages = man_pages()?;
    let Some(dir) = dir else { return print_out(&pages[0].1) };
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    for (name, page) in &pages {
        // A link at a page's name is replaced, never written through (its target stays).
        write_whole(&dir.join(name), Links::Replace, page)?;
    }
    eprintln!("wrote {} manual pages to {}", pages.len(), dir.display());
    if let Some(root) = dir.parent().filter(|_| dir.file_name().is_some_and(|n| n == "man1")) {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let searched = std::process::Command::new("manpath")
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        if let Some(path) = searched.filter(|p| !p.trim().split(':').any(|d| std::path::Path::new(d) == root))
        {
            let _ = path;
            eprintln!(
                "note: man does not search {} yet: add `export MANPATH=\"{}:$(manpath)\"` to your shell's profile, or read a page with `man -l {}`",
                root.display(),
                root.display(),
                dir.join("elhub-explorer.1").display()
            );
        }
    } else {
        eprintln!("note: man looks in a man1 folder under a directory on its search path (MANPATH)");
    }
    Ok(exit::DONE)
}
