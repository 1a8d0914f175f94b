#![allow(clippy::unwrap_used, reason = "test code")]
//! `runbooks/`: every `emp …` command in a runbook's code blocks exists
//! with the flags and values it is given (the built binary parses it up to
//! `--help`, which clap only reaches when everything before it is valid),
//! and every alert's runbook link names a section that exists.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn runbooks() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(repo().join("runbooks"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The lines of shell code blocks (```sh, ```bash, ```console or none).
fn shell_lines(markdown: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut in_block = false;
    let mut shell = false;
    for (number, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            if in_block {
                in_block = false;
            } else {
                in_block = true;
                shell = matches!(info.trim(), "" | "sh" | "bash" | "console" | "shell");
            }
            continue;
        }
        if in_block && shell {
            lines.push((number + 1, trimmed.to_owned()));
        }
    }
    lines
}

/// Splits a shell line into words: single and double quotes, and a `#`
/// comment at a word start ends the line.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                '#' if !in_word => break,
                c if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                c => {
                    word.push(c);
                    in_word = true;
                }
            },
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line:?}");
    if in_word {
        words.push(word);
    }
    words
}

/// The `emp` invocation on a line, as arguments: `emp …`, `$ emp …`,
/// `VAR=x emp …` or `cargo run … -p emp -- …`.
fn emp_args(line: &str) -> Option<Vec<String>> {
    let line = line.strip_prefix("$ ").unwrap_or(line);
    let words = words(line);
    let mut rest = words.as_slice();
    while let Some(first) = rest.first()
        && first.contains('=')
        && !first.starts_with('-')
    {
        rest = &rest[1..];
    }
    match rest.first().map(String::as_str) {
        Some("emp") => Some(rest[1..].to_vec()),
        Some("cargo") if rest.iter().any(|w| w == "emp") => {
            let at = rest.iter().position(|w| w == "--")?;
            Some(rest[at + 1..].to_vec())
        }
        _ => None,
    }
}

#[test]
fn the_shell_word_splitter_reads_quotes_and_comments() {
    assert_eq!(
        words(r#"emp ctl kill --reason "canary: unexpected fill"   # first surprise"#),
        ["emp", "ctl", "kill", "--reason", "canary: unexpected fill"]
    );
    assert_eq!(words("a 'b c'd e#f"), ["a", "b cd", "e#f"]);
    assert_eq!(
        emp_args("$ RUST_LOG=x emp session status --store a.store").unwrap(),
        ["session", "status", "--store", "a.store"]
    );
    assert_eq!(
        emp_args("cargo run --release -p emp -- demo --duration 30s").unwrap(),
        ["demo", "--duration", "30s"]
    );
    assert_eq!(emp_args("export EMP_CONTROL_TOKEN=x"), None);
    assert_eq!(emp_args("cargo build --release -p emp"), None);
}

#[test]
fn every_emp_command_in_the_runbooks_parses() {
    let mut checked = 0;
    let mut subcommands = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (file, text) in runbooks() {
        for (line_number, line) in shell_lines(&text) {
            let Some(args) = emp_args(&line) else {
                continue;
            };
            let output = Command::new(env!("CARGO_BIN_EXE_emp"))
                .args(&args)
                .arg("--help")
                .current_dir(repo())
                .output()
                .unwrap();
            if output.status.success() {
                checked += 1;
                let path: Vec<&str> = args
                    .iter()
                    .take_while(|arg| !arg.starts_with('-'))
                    .take(2)
                    .map(String::as_str)
                    .collect();
                subcommands.insert(path.join(" "));
            } else {
                failures.push(format!(
                    "runbooks/{file}:{line_number}: {line}\n{}",
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} emp commands found");
    // The runbooks use the operations an operator needs.
    for needed in [
        "run",
        "demo",
        "venue",
        "replay",
        "ctl status",
        "ctl kill",
        "ctl release",
        "ctl trading",
        "ctl strategy",
        "ctl ready",
        "session status",
        "session set-seq",
        "session reset",
        "fix decode",
    ] {
        assert!(
            subcommands.iter().any(|used| used.starts_with(needed)),
            "no runbook uses `emp {needed}`: {subcommands:?}"
        );
    }
}

#[test]
fn a_misspelled_command_or_flag_would_be_caught() {
    for args in [
        ["sessio", "status"].as_slice(),
        &["session", "status", "--stor", "x"],
        &["ctl", "trading", "paused"],
        &["run", "--config"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_emp"))
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} passed");
    }
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, punctuation
/// dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_alert_links_a_runbook_section_that_exists() {
    let alerts = std::fs::read_to_string(repo().join("dashboards/alerts.yml")).unwrap();
    let books = runbooks();
    let mut links = 0;
    for line in alerts.lines() {
        let Some(link) = line.trim().strip_prefix("runbook: ") else {
            continue;
        };
        let link = link.trim_matches('"');
        let (path, section) = link.split_once('#').unwrap();
        let file = path.strip_prefix("runbooks/").unwrap();
        let (_, text) = books
            .iter()
            .find(|(name, _)| name == file)
            .unwrap_or_else(|| panic!("{link}: no runbooks/{file}"));
        let found = text
            .lines()
            .filter_map(|line| line.strip_prefix("## "))
            .any(|heading| anchor(heading) == section);
        assert!(found, "{link}: no such section in runbooks/{file}");
        links += 1;
    }
    assert_eq!(
        links,
        alerts.matches("- alert:").count(),
        "every alert has a runbook link"
    );
}
