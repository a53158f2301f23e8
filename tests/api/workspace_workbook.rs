//! The Excel round trip on both backends: the template of an actor's tasks, its upload (and
//! the CSV variant) submitting rows for review all or nothing, errors located by sheet, row
//! and column, one actor's workbook closed to another, and hostile files refused fast.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use awc::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Formula, Workbook};
use serde_json::json;

use ayni::app::{SubmissionState, TaskSubject};
use chrono::Utc;

use crate::both_backends;
use crate::helpers::workspace::{Page, Upload, WorkspaceClient};
use crate::helpers::{TEST_PASSWORD, TestApp};
use crate::tasks::{USER_A, USER_B, contributor, task_setup};

both_backends!(
    template_round_trip_submits_for_review,
    row_errors_name_sheet_row_and_column,
    csv_variant_submits_for_review,
    one_actor_cannot_reach_another_actors_workbook,
    hostile_uploads_are_refused_fast,
);

const HEADER: [&str; 9] = [
    "codigo",
    "nombre",
    "unidad",
    "periodo",
    "territorio",
    "valor",
    "evidencia_url",
    "evidencia_texto",
    "comentario",
];

const SUBMIT: &str =
    "mutation($input: SubmitMeasurementInput!) { submitMeasurement(input: $input) { id } }";

/// A row of a test workbook: code, period, territory, value (a number, a text, or a formula).
enum Cell<'a> {
    Number(f64),
    Text(&'a str),
    Formula(&'a str),
}

struct Line<'a> {
    code: &'a str,
    period: &'a str,
    territory: &'a str,
    value: Cell<'a>,
    evidence_url: &'a str,
    evidence_text: &'a str,
}

fn line<'a>(code: &'a str, period: &'a str, value: Cell<'a>) -> Line<'a> {
    Line {
        code,
        period,
        territory: "18",
        value,
        evidence_url: "",
        evidence_text: "Acta de la mesa técnica",
    }
}

/// A workbook as a person fills the template: the two sheets with the header.
fn workbook(indicators: &[Line<'_>], variables: &[Line<'_>]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in [("Indicadores", indicators), ("Variables", variables)] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        for (i, l) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            sheet.write_string(r, 0, l.code).unwrap();
            sheet.write_string(r, 3, l.period).unwrap();
            sheet.write_string(r, 4, l.territory).unwrap();
            match l.value {
                Cell::Number(v) => sheet.write_number(r, 5, v).unwrap(),
                Cell::Text(t) => sheet.write_string(r, 5, t).unwrap(),
                Cell::Formula(f) => sheet.write_formula(r, 5, Formula::new(f)).unwrap(),
            };
            if !l.evidence_url.is_empty() {
                sheet.write_string(r, 6, l.evidence_url).unwrap();
            }
            if !l.evidence_text.is_empty() {
                sheet.write_string(r, 7, l.evidence_text).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn upload(
    c: &WorkspaceClient<'_>,
    fields: &[(&str, &str)],
    name: &str,
    bytes: Vec<u8>,
) -> Page {
    let csrf = c.csrf("/app/carga").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    c.post_multipart(
        "/app/carga",
        &all,
        vec![Upload {
            field: "file",
            file_name: name,
            content_type: "application/octet-stream",
            bytes,
        }],
    )
    .await
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// The state of actor A's submission for a period of its indicator or variable.
async fn state_of(
    app: &TestApp,
    user: i64,
    actor: i64,
    code: &str,
    period: &str,
) -> Option<SubmissionState> {
    let t = app
        .app
        .assignments(&contributor(user, actor), "moquegua", today())
        .await
        .unwrap();
    t.indicators
        .iter()
        .chain(&t.variables)
        .find(|a| a.code == code)
        .and_then(|a| a.periods.iter().find(|p| p.period.to_string() == period))
        .and_then(|p| p.submission.as_ref())
        .map(|s| s.state.clone())
}

async fn template_round_trip_submits_for_review(app: TestApp) {
    let s = task_setup(&app).await;
    let gql_a = crate::strategy::Gql {
        app: &app,
        token: s.token_a.clone(),
    };
    gql_a
        .ok(
            SUBMIT,
            json!({"input": {"indicatorId": s.yearly, "period": "2023", "value": 10.0,
                   "evidenceText": "Informe anual"}}),
        )
        .await;
    let c = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let t = c.get("/app/plantilla.xlsx?ecosystem=moquegua").await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    assert!(
        t.content_type.contains("spreadsheetml"),
        "{}",
        t.content_type
    );
    assert!(
        t.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(t.bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Instrucciones", "Indicadores", "Variables"]
    );
    let instructions = book.worksheet_range("Instrucciones").unwrap();
    let text: Vec<String> = instructions.rows().map(|r| r[0].to_string()).collect();
    assert!(
        text.iter().any(|l| l.contains("No se aceptan fórmulas")),
        "{text:?}"
    );
    let ind = book.worksheet_range("Indicadores").unwrap();
    let header: Vec<String> = ind
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, HEADER);
    let rows: Vec<Vec<Data>> = ind.rows().skip(1).map(<[Data]>::to_vec).collect();
    // Only A's yearly indicator, one row per year due from 2023.
    assert!(
        rows.iter().all(|r| r[0] == Data::String("ANUAL".into())),
        "{rows:?}"
    );
    assert_eq!(rows[0][3], Data::String("2023".into()));
    assert_eq!(rows[0][4], Data::String("18".into()));
    assert_eq!(
        rows[0][5],
        Data::Float(10.0),
        "the known value is filled in"
    );
    assert_eq!(rows[0][7], Data::String("Informe anual".into()));
    assert_eq!(rows[1][5], Data::Empty);
    let var = book.worksheet_range("Variables").unwrap();
    let codes: Vec<String> = var.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "VAGUA"),
        "{codes:?}"
    );

    // The template as downloaded submits nothing new.
    let same = upload(
        &c,
        &[("ecosystem", "moquegua")],
        "plantilla.xlsx",
        t.bytes.clone(),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text());
    assert!(
        same.text().contains("0 valor(es) nuevo(s)"),
        "{}",
        same.text()
    );

    // Two values filled in, one row without a value (skipped).
    let filled = workbook(
        &[
            line("ANUAL", "2024", Cell::Number(12.5)),
            line("ANUAL", "2025", Cell::Text("")),
        ],
        &[Line {
            evidence_url: "https://inei.gob.pe/agua",
            evidence_text: "",
            ..line("VAGUA", "2024", Cell::Number(3.5))
        }],
    );
    let p = upload(&c, &[("ecosystem", "moquegua")], "plantilla.xlsx", filled).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert!(p.text().contains("Enviado para revisión"), "{}", p.text());
    assert!(p.text().contains("2 valor(es) nuevo(s)"), "{}", p.text());
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2024").await,
        Some(SubmissionState::AwaitingReview)
    );
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "VAGUA", "2024").await,
        Some(SubmissionState::AwaitingReview)
    );
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2025").await,
        None
    );
    let t = app
        .app
        .assignments(&contributor(s.user_a, s.actor_a), "moquegua", today())
        .await
        .unwrap();
    let v = t.variables.iter().find(|v| v.code == "VAGUA").unwrap();
    assert!(matches!(v.subject, TaskSubject::Variable(_)));
    let sub = v
        .periods
        .iter()
        .find(|p| p.period.to_string() == "2024")
        .unwrap();
    let sub = sub.submission.as_ref().unwrap();
    assert_eq!(sub.value, 3.5);
    assert_eq!(
        sub.evidence_url.as_deref(),
        Some("https://inei.gob.pe/agua")
    );
}

async fn row_errors_name_sheet_row_and_column(app: TestApp) {
    let s = task_setup(&app).await;
    let c = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let bad = workbook(
        &[
            line("ANUAL", "2024", Cell::Number(1.0)),
            // B's indicator: not A's to supply.
            line("TRIM", "2024Q1", Cell::Number(2.0)),
        ],
        &[
            line("VAGUA", "2023", Cell::Number(1.0)),
            line("VAGUA", "2024", Cell::Text("doce")),
        ],
    );
    let p = upload(&c, &[("ecosystem", "moquegua")], "lleno.xlsx", bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    let html = p.text();
    assert!(html.contains("No se envió nada"), "{html}");
    assert!(html.contains("2 error(es)"), "{html}");
    // Where, what to do (in the reader's language) and the exact detail.
    assert!(
        html.contains("<td>Variables</td><td>3</td><td>F (valor)</td><td>Escriba un número"),
        "{html}"
    );
    assert!(
        html.contains("<td>&#39;doce&#39; is not a number</td>")
            || html.contains("<td>'doce' is not a number</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>Indicadores</td><td>3</td><td>A (codigo)</td>"),
        "{html}"
    );
    // All or nothing: the good rows were not stored either.
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2024").await,
        None
    );
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "VAGUA", "2023").await,
        None
    );

    // Fixed, it goes through.
    let good = workbook(
        &[line("ANUAL", "2024", Cell::Number(1.0))],
        &[
            line("VAGUA", "2023", Cell::Number(1.0)),
            line("VAGUA", "2024", Cell::Number(12.0)),
        ],
    );
    let p = upload(&c, &[("ecosystem", "moquegua")], "lleno.xlsx", good).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert!(p.text().contains("3 valor(es) nuevo(s)"), "{}", p.text());
}

async fn csv_variant_submits_for_review(app: TestApp) {
    let s = task_setup(&app).await;
    let c = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let csv = format!(
        "{}\nANUAL,,,2024,18,7.5,,Acta,Primera medición\nVAGUA,,,2024,18,2,https://inei.gob.pe/x,,Dato preliminar\nVAGUA,,,2023,18,,,,\n",
        HEADER.join(",")
    );
    let p = upload(
        &c,
        &[("ecosystem", "moquegua")],
        "valores.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert!(p.text().contains("2 valor(es) nuevo(s)"), "{}", p.text());
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2024").await,
        Some(SubmissionState::AwaitingReview)
    );
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "VAGUA", "2024").await,
        Some(SubmissionState::AwaitingReview)
    );
    // A variable row's comment travels with its evidence text (observations have no comment).
    let t = app
        .app
        .assignments(&contributor(s.user_a, s.actor_a), "moquegua", today())
        .await
        .unwrap();
    let vagua = t
        .variables
        .iter()
        .find(|a| a.code == "VAGUA")
        .and_then(|a| a.periods.iter().find(|p| p.period.to_string() == "2024"))
        .and_then(|p| p.submission.clone())
        .unwrap();
    assert_eq!(
        vagua.evidence_text.as_deref(),
        Some("Comentario: Dato preliminar")
    );
    // A CSV error names its line and column.
    let bad = format!("{}\nVAGUA,,,2022,0801,1,,Acta,\n", HEADER.join(","));
    let p = upload(
        &c,
        &[("ecosystem", "moquegua")],
        "valores.csv",
        bad.into_bytes(),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(
        p.text()
            .contains("<td>CSV</td><td>2</td><td>territorio</td>"),
        "{}",
        p.text()
    );
}

async fn one_actor_cannot_reach_another_actors_workbook(app: TestApp) {
    let s = task_setup(&app).await;
    let b = WorkspaceClient::signed_in(&app, USER_B, TEST_PASSWORD).await;
    // B's own template has only B's indicator.
    let own = b.get("/app/plantilla.xlsx?ecosystem=moquegua").await;
    assert_eq!(own.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(own.bytes)).unwrap();
    let codes: Vec<String> = book
        .worksheet_range("Indicadores")
        .unwrap()
        .rows()
        .skip(1)
        .map(|r| r[0].to_string())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "TRIM"),
        "{codes:?}"
    );
    // A's template: refused.
    let other = b
        .get(&format!(
            "/app/plantilla.xlsx?ecosystem=moquegua&actor={}",
            s.actor_a
        ))
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());
    // Uploading as A: refused, nothing stored.
    let a_values = workbook(&[line("ANUAL", "2024", Cell::Number(1.0))], &[]);
    let actor_a = s.actor_a.to_string();
    let p = upload(
        &b,
        &[("ecosystem", "moquegua"), ("actor", &actor_a)],
        "a.xlsx",
        a_values.clone(),
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    // A's rows in B's own upload: refused row by row.
    let p = upload(
        &b,
        &[("ecosystem", "moquegua")],
        "a.xlsx",
        workbook(
            &[line("ANUAL", "2024", Cell::Number(1.0))],
            &[line("VAGUA", "2024", Cell::Number(1.0))],
        ),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(p.text().contains("2 error(es)"), "{}", p.text());
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2024").await,
        None
    );
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "VAGUA", "2024").await,
        None
    );
}

/// A zip whose one sheet inflates to `mib` MiB of spaces.
fn zip_bomb(mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..mib {
        w.write_all(&block).unwrap();
    }
    w.finish().unwrap().into_inner()
}

async fn hostile_uploads_are_refused_fast(app: TestApp) {
    let s = task_setup(&app).await;
    let c = WorkspaceClient::signed_in(&app, USER_A, TEST_PASSWORD).await;
    let eco = [("ecosystem", "moquegua")];
    let fast = |t0: Instant, what: &str| {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{what} took {:?}",
            t0.elapsed()
        );
    };

    // A formula in valor: refused (cached values are not trusted), its cell named.
    let t0 = Instant::now();
    let book = workbook(&[line("ANUAL", "2024", Cell::Formula("=1+1"))], &[]);
    let p = upload(&c, &eco, "f.xlsx", book).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(
        p.text()
            .contains("<td>Indicadores</td><td>2</td><td>F</td><td>Revise la fila")
            && p.text().contains(
                "<td>no se aceptan fórmulas: escriba el valor / formulas are not accepted"
            ),
        "{}",
        p.text()
    );
    fast(t0, "formula");

    // A zip bomb: a small file whose sheet inflates to 300 MiB.
    let bomb = zip_bomb(300);
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let t0 = Instant::now();
    let p = upload(&c, &eco, "bomba.xlsx", bomb).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(p.text().contains("inflates to more than"), "{}", p.text());
    fast(t0, "zip bomb");

    // An oversized sheet: more than 20 000 rows.
    let mut big = Workbook::new();
    let sheet = big.add_worksheet();
    sheet.set_name("Variables").unwrap();
    for (col, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    for r in 1..=20_001u32 {
        sheet.write_number(r, 5, 1.0).unwrap();
    }
    let t0 = Instant::now();
    let p = upload(&c, &eco, "grande.xlsx", big.save_to_buffer().unwrap()).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
    assert!(p.text().contains("more than 20000 rows"), "{}", p.text());
    fast(t0, "oversized sheet");

    // Not a workbook, with an .xlsx name: binary, and a broken zip.
    for bytes in [
        vec![0u8, 1, 2, 3, 255, 254, 0, 7],
        b"PK\x03\x04 nada".to_vec(),
    ] {
        let p = upload(&c, &eco, "falso.xlsx", bytes).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.text());
        assert!(p.text().contains("No se guardó nada"), "{}", p.text());
    }

    // Over the size limit: 413.
    let t0 = Instant::now();
    let p = upload(&c, &eco, "enorme.xlsx", vec![b'a'; 11 * 1024 * 1024]).await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", p.text());
    fast(t0, "too large");

    // Streamed without a declared length: 413 once past the limit, long before the end.
    let boundary = "ayni-chunked-7f3a";
    let session = c.cookie("ayni_session").unwrap();
    let head = format!(
        "POST /app/carga HTTP/1.1\r\nCookie: ayni_session={session}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
    );
    let csrf = c.csrf("/app/carga").await;
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let (status, sent) = app.chunked_upload(head, preamble.into_bytes()).await;
    assert_eq!(status, 413);
    assert!(sent < 64 * 1024 * 1024, "refused after {} MiB", sent >> 20);

    // Without a CSRF token, or with another: 403, nothing stored.
    let good = workbook(&[line("ANUAL", "2024", Cell::Number(1.0))], &[]);
    for fields in [
        vec![("ecosystem", "moquegua")],
        vec![("csrf", "0000"), ("ecosystem", "moquegua")],
    ] {
        let p = c
            .post_multipart(
                "/app/carga",
                &fields,
                vec![Upload {
                    field: "file",
                    file_name: "a.xlsx",
                    content_type: "application/octet-stream",
                    bytes: good.clone(),
                }],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    }
    assert_eq!(
        state_of(&app, s.user_a, s.actor_a, "ANUAL", "2024").await,
        None
    );

    // Without a session: to the sign-in page, for the template and the upload.
    let anon = WorkspaceClient::new(&app);
    let p = anon.get("/app/plantilla.xlsx?ecosystem=moquegua").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/app/login"));
    let p = anon
        .post_multipart(
            "/app/carga",
            &[("csrf", "x")],
            vec![Upload {
                field: "file",
                file_name: "a.xlsx",
                content_type: "application/octet-stream",
                bytes: good,
            }],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.location.unwrap().starts_with("/app/login"));
}
