//! The manual's worked examples, run as written. Every ```sh block of `README.md` and
//! `docs/*.md` whose first line is `# example: <name>` is an executed example: each file's
//! examples run in order, in one bash session (`set -euo pipefail`), against a fresh server
//! with the demo data, the way a reader follows them (`AYNI` = the server's address,
//! `AYNI_ADMIN_PASSWORD` = the password `serve --demo` printed, `ayni` on `PATH` for the
//! server's database). Each must exit 0, the outputs the manual shows as `# → …` comments
//! must appear (`…` stands for anything), and the demo's own records must be unchanged
//! afterwards: examples create their own records and change only those.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::manual::{Block, fenced_blocks};
use crate::helpers::{Backend, TestApp};

const MARKER: &str = "# example:";
const OUTPUT: &str = "# → ";
const SEPARATOR: &str = "@@ayni-example ";

mod the_manuals_examples_run_as_written {
    use crate::helpers::Backend;

    #[actix_web::test]
    async fn sqlite() {
        super::the_manuals_examples_run_as_written(Backend::Sqlite).await
    }

    #[actix_web::test]
    async fn postgres() {
        super::the_manuals_examples_run_as_written(Backend::Postgres).await
    }
}

/// A worked example: an executed block of a chapter.
struct Example {
    name: String,
    line: usize,
    body: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `README.md` and every `docs/*.md`, as (path relative to the root, text).
fn chapters() -> Vec<(String, String)> {
    let mut paths = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rel = p.strip_prefix(root()).unwrap().display().to_string();
            (rel, text)
        })
        .collect()
}

fn is_example(b: &Block) -> bool {
    b.language == "sh" && b.body.lines().next().is_some_and(|l| l.starts_with(MARKER))
}

fn examples(markdown: &str) -> Vec<Example> {
    fenced_blocks(markdown)
        .into_iter()
        .filter(is_example)
        .map(|b| Example {
            name: b.body.lines().next().unwrap()[MARKER.len()..]
                .trim()
                .to_string(),
            line: b.line,
            body: b.body,
        })
        .collect()
}

/// The code of a block without its comments' text (ids shown in outputs are not inputs).
fn code_lines(body: &str) -> impl Iterator<Item = &str> {
    body.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| l.split(" # ").next().unwrap_or(l))
}

/// Fixed numeric ids written into a block: `id: "27"`, `Id":"3"`, `actorId=1`, `Ids: ["1"]`.
fn fixed_ids(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in code_lines(body) {
        let bytes = line.as_bytes();
        let hit = (0..bytes.len().saturating_sub(1)).any(|i| {
            let word = match &bytes[i..i + 2] {
                b"Id" => true,
                b"id" => i == 0 || !bytes[i - 1].is_ascii_alphabetic(),
                _ => false,
            };
            let Some(rest) = line.get(i + 2..) else {
                return false;
            };
            let rest = rest.strip_prefix('s').unwrap_or(rest);
            let separators: String = rest
                .chars()
                .take_while(|c| matches!(c, ':' | '=' | '"' | ' ' | '[' | '\\'))
                .collect();
            word && separators.contains([':', '='])
                && rest[separators.len()..].starts_with(|c: char| c.is_ascii_digit())
        });
        if hit {
            found.push(line.trim().to_string());
        }
    }
    found
}

/// Whether `line` matches `pattern`, where `…` stands for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('…').collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if pieces.len() == 1 {
        return line == pattern;
    }
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

/// The outputs a block shows (`# → …`), in order.
fn shown_outputs(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.split_once(OUTPUT).map(|(_, o)| o.trim().to_string()))
        .collect()
}

#[test]
fn the_manual_follows_the_example_convention() {
    let mut problems = Vec::new();
    let mut count = 0;
    for (path, text) in chapters() {
        for b in fenced_blocks(&text) {
            let mutating = b.body.contains("mutation");
            let where_ = format!("{path}:{}", b.line);
            if is_example(&b) {
                count += 1;
                for l in fixed_ids(&b.body) {
                    problems.push(format!("{where_}: a fixed id in an example: {l}"));
                }
            } else if mutating && (b.language == "graphql" || b.body.contains("/graphql")) {
                problems.push(format!(
                    "{where_}: a mutation outside an executed example (```sh, first line `{MARKER} NAME`)"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(count >= 10, "only {count} examples found");

    // The checks themselves.
    assert_eq!(
        fixed_ids(r#"gql 'mutation { a(indicatorId: "27") }'"#).len(),
        1
    );
    assert_eq!(fixed_ids(r#"-d '{"actorId":"3"}'"#).len(), 1);
    assert_eq!(fixed_ids("curl \"$AYNI/x?actorId=1\"").len(), 1);
    assert_eq!(fixed_ids(r#"responsibleActorIds: ["1"]"#).len(), 1);
    assert!(fixed_ids(r#"gql '{ a(id: $id) }' --arg id "$ID" # → {"id":"3"}"#).is_empty());
    assert!(matches(r#"{"a":"…","b":2}"#, r#"{"a":"17","b":2}"#));
    assert!(matches("x…y…z", "x1y2z"));
    assert!(!matches("x…y…z", "x1z"));
    assert!(!matches(r#"{"b":2}"#, r#"{"b":3}"#));
    let changes = |before: Value, after: Value| {
        let mut out = Vec::new();
        differences(&before, &restrict(&after, &before), "", &mut out);
        out
    };
    let demo = json!({"i": [{"id": "7", "baseline": {"value": 1}, "targets": [{"value": 2}]}]});
    let added = json!({"i": [{"id": "8", "baseline": null, "targets": []},
                             {"id": "7", "baseline": {"value": 1}, "targets": [{"value": 2}]}]});
    assert!(changes(demo.clone(), added).is_empty());
    let overwritten =
        json!({"i": [{"id": "7", "baseline": {"value": 61}, "targets": [{"value": 2}]}]});
    assert_eq!(
        changes(demo.clone(), overwritten),
        [".i[7].baseline.value: 1 → 61"]
    );
    let new_target = json!({"i": [{"id": "7", "baseline": {"value": 1},
                                   "targets": [{"value": 2}, {"value": 74}]}]});
    assert_eq!(changes(demo.clone(), new_target).len(), 1);
    assert_eq!(changes(demo, json!({"i": []})).len(), 1);
}

/// A login of the demo administrator.
async fn admin_token(app: &TestApp) -> String {
    let admin = app.demo_admin.as_ref().expect("the demo was loaded");
    app.token(&admin.email, &admin.password).await
}

/// Everything the demo defines that an example could overwrite by mistake.
async fn demo_snapshot(app: &TestApp, token: &str) -> Value {
    let a = app
        .graphql(
            Some(token),
            r#"{ users { id email role disabled actor { id } }
                 actors { id name kind }
                 ecosystem(slug: "moquegua") { id name mission vision horizonStart horizonEnd
                   perspectives { id kind name position }
                   members { roleLabel actor { id } }
                   objectives { id code name weight theme { code } responsibleActors { id }
                     effects { id }
                     indicators { id code name unit direction rangeLower rangeUpper periodicity
                       aggregation greenThreshold amberThreshold weight source formula
                       beneficiaries { kinds actors { id } } responsibleActors { id }
                       baseline { period value note } targets { period value horizon }
                       measurements { id revision status value territory period } } }
                   hybridMetrics { id code status adoptionJustification }
                   vecs { id code baselinePeriod baselineValue threshold { value limit } boundary
                     contributions { id status value } }
                   developments { id name status } } }"#,
            json!({}),
        )
        .await;
    assert!(a.body["errors"].is_null(), "{}", a.body);
    a.body["data"].clone()
}

/// `after` without the records `before` did not have: list items with an `id` that is not
/// in `before`'s list are dropped (new records are allowed), the others put in `before`'s
/// order (a missing one as `null`); lists without ids are compared whole.
fn restrict(after: &Value, before: &Value) -> Value {
    match (after, before) {
        (Value::Array(a), Value::Array(b)) if a.iter().chain(b).all(|i| i["id"].is_string()) => {
            Value::Array(
                b.iter()
                    .map(|j| {
                        a.iter()
                            .find(|i| i["id"] == j["id"])
                            .map_or(Value::Null, |i| restrict(i, j))
                    })
                    .collect(),
            )
        }
        (Value::Object(a), Value::Object(b)) => Value::Object(
            a.iter()
                .map(|(k, v)| (k.clone(), b.get(k).map_or(v.clone(), |w| restrict(v, w))))
                .collect(),
        ),
        _ => after.clone(),
    }
}

/// Where two JSON values differ, as `path: before → after` lines.
fn differences(before: &Value, after: &Value, path: &str, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, v) in b {
                differences(
                    v,
                    &a.get(k).cloned().unwrap_or(Value::Null),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
        (Value::Array(b), Value::Array(a)) if a.len() == b.len() => {
            for (n, (v, w)) in b.iter().zip(a).enumerate() {
                let key = v["id"]
                    .as_str()
                    .or(v["code"].as_str())
                    .map_or(n.to_string(), str::to_string);
                differences(v, w, &format!("{path}[{key}]"), out);
            }
        }
        _ if before != after => out.push(format!("{path}: {before} → {after}")),
        _ => {}
    }
}

/// A folder to run a chapter's examples in, as if from the repository's root: `seeds/` is
/// there, and `bin/ayni` is the binary under test.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("seeds"), dir.path().join("seeds")).unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ayni"), dir.path().join("bin/ayni")).unwrap();
    dir
}

fn script(examples: &[Example]) -> String {
    let mut s = String::from("set -euo pipefail\n");
    for e in examples {
        let name = e.name.replace('\'', r"'\''");
        s.push_str(&format!("printf '\\n{SEPARATOR}%s\\n' '{name}'\n"));
        s.push_str(&e.body);
        s.push('\n');
    }
    s
}

/// Runs a chapter's examples in one bash session; returns each example's standard output.
async fn run(app: &TestApp, path: &str, examples: &[Example], dir: &Path) -> Vec<String> {
    let admin = app.demo_admin.clone().expect("the demo was loaded");
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script(examples))
        .current_dir(dir)
        .env_remove("AYNI_JWT_SECRET")
        .env_remove("AYNI_BIND")
        .env("AYNI", &app.address)
        .env("AYNI_ADMIN_PASSWORD", &admin.password)
        .env("DATABASE_URL", app.database_url.to_string_unmasked())
        .env("RUST_LOG", "warn")
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let separator = format!("\n{SEPARATOR}");
    let mut parts = stdout.split(separator.as_str());
    let _before_first = parts.next();
    let outputs: Vec<(String, String)> = parts
        .map(|p| {
            let (name, text) = p.split_once('\n').unwrap_or((p, ""));
            (name.to_string(), text.to_string())
        })
        .collect();
    let failed_in = outputs.last().map_or("", |(n, _)| n.as_str());
    assert!(
        out.status.success(),
        "{path}: the example '{failed_in}' failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert_eq!(outputs.len(), examples.len(), "{path}: {stdout}");
    outputs.into_iter().map(|(_, text)| text).collect()
}

fn check_outputs(path: &str, e: &Example, output: &str) {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let mut from = 0;
    for shown in shown_outputs(&e.body) {
        match lines[from..].iter().position(|l| matches(&shown, l)) {
            Some(i) => from += i + 1,
            None => panic!(
                "{path}:{} (example '{}'): the manual shows\n  {shown}\nbut the output was\n{output}",
                e.line, e.name
            ),
        }
    }
}

async fn the_manuals_examples_run_as_written(backend: Backend) {
    let mut ran = 0;
    for (path, text) in chapters() {
        let examples = examples(&text);
        if examples.is_empty() {
            continue;
        }
        // A fresh demo, its secret kept in the database as `serve --demo` does by default.
        let app = TestApp::spawn_with(backend, |s| {
            s.demo = true;
            s.jwt_secret = None;
        })
        .await;
        let token = admin_token(&app).await;
        let before = demo_snapshot(&app, &token).await;
        let dir = workdir();
        let outputs = run(&app, &path, &examples, dir.path()).await;
        for (e, output) in examples.iter().zip(&outputs) {
            check_outputs(&path, e, output);
        }
        let after = demo_snapshot(&app, &token).await;
        let mut changed = Vec::new();
        differences(&before, &restrict(&after, &before), "", &mut changed);
        assert!(
            changed.is_empty(),
            "{path}: the examples changed the demo's own records:\n{}",
            changed.join("\n")
        );
        ran += examples.len();
    }
    assert!(ran >= 10, "only {ran} examples ran");
}
