//! The workspace end to end in a real headless Chromium on the demo data, as its people use
//! it: a contributor signs in, downloads the template, fills two values, uploads, sees the
//! error of one row, fixes it, uploads again and attaches an evidence file to one value; the
//! coordinator signs in, sees the flags, approves one value and rejects the other with a
//! reason; the contributor finds the rejection in the inbox; the portal shows the approved
//! value with its provenance and evidence file. Screenshots go where the portal's do.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use fantoccini::{Client, Locator};
use rust_xlsxwriter::Workbook;

use ayni::domain::Role;

use crate::helpers::browser::{body_text, browser_downloading_to, chromedriver, shot};
use crate::helpers::{Backend, TEST_PASSWORD, TestApp};

const CONTRIBUTOR: &str = "planeamiento.e2e@ayni.test";
const COORDINATOR: &str = "columna.e2e@ayni.test";
const ACTOR: &str = "Gobierno Regional de Moquegua";
/// A small, valid PDF: the evidence file the contributor attaches.
const EVIDENCE_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
const REASON: &str = "No coincide con el padrón municipal de 2025";

/// What can find elements: the page or one element of it.
trait Scope {
    async fn element(&self, css: &str) -> fantoccini::elements::Element;
}

impl Scope for Client {
    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.find(Locator::Css(css)).await.unwrap()
    }
}

impl Scope for fantoccini::elements::Element {
    async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.find(Locator::Css(css)).await.unwrap()
    }
}

async fn click(scope: &impl Scope, css: &str) {
    scope.element(css).await.click().await.unwrap();
}

async fn type_into(scope: &impl Scope, css: &str, text: &str) {
    scope.element(css).await.send_keys(text).await.unwrap();
}

async fn sign_in(c: &Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/app/login")).await.unwrap();
    type_into(c, "#f-email", email).await;
    type_into(c, "#f-password", TEST_PASSWORD).await;
    click(c, "form.stacked button[type=submit]").await;
    wait_for_text(c, email).await;
}

async fn sign_out(c: &Client) {
    click(c, "form[action='/app/salir'] button").await;
    wait_for_text(c, "Ingresar").await;
}

/// The page's text, or nothing while a navigation replaces the document.
async fn page_text(c: &Client) -> String {
    c.execute(
        "return document.body ? document.body.innerText : '';",
        vec![],
    )
    .await
    .ok()
    .and_then(|v| v.as_str().map(str::to_string))
    .unwrap_or_default()
}

async fn wait_for_text(c: &Client, text: &str) -> String {
    let start = Instant::now();
    loop {
        let body = page_text(c).await;
        if body.contains(text) {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited for {text:?} in: {body}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Every visible form control has a label (screen readers name it).
async fn every_control_is_labelled(c: &Client, page: &str) {
    let unlabelled: Vec<String> = c
        .execute(
            "return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
                .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
                .map(e => e.outerHTML);",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        unlabelled.is_empty(),
        "{page}: controls without a label: {unlabelled:?}"
    );
}

/// Waits for a finished download (no `.crdownload` left) whose name ends with `suffix`.
async fn downloaded(dir: &Path, suffix: &str) -> PathBuf {
    let start = Instant::now();
    loop {
        let names: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let busy = names
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".crdownload"));
        if let Some(p) = names.iter().find(|p| p.to_string_lossy().ends_with(suffix))
            && !busy
        {
            return p.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no {suffix} downloaded: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// A template row to fill: its sheet row (0-based, header = 0), code and period.
#[derive(Debug, Clone)]
struct Blank {
    row: usize,
    code: String,
    period: String,
}

/// The template's sheets as read, and the first two blank `valor` rows of the indicators.
/// A workbook's sheets: name and rows of cells.
type Sheets = Vec<(String, Vec<Vec<Data>>)>;

fn read_template(bytes: &[u8]) -> (Sheets, Vec<Blank>) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        sheets.push((
            name.clone(),
            range.rows().map(|r| r.to_vec()).collect::<Vec<_>>(),
        ));
    }
    let (_, rows) = sheets
        .iter()
        .find(|(n, _)| n == "Indicadores")
        .expect("an Indicadores sheet");
    assert_eq!(rows[0][0].to_string(), "codigo");
    assert_eq!(rows[0][5].to_string(), "valor");
    let blank = |r: &Vec<Data>| matches!(r.get(5), None | Some(Data::Empty));
    let blanks: Vec<Blank> = rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| blank(r))
        .map(|(i, r)| Blank {
            row: i,
            code: r[0].to_string(),
            period: r[3].to_string(),
        })
        .collect();
    // The value to flag: a period of an indicator with a series of the actor's own values
    // (the outlier check compares against it); the other: any other blank row.
    let series = |code: &str| {
        rows.iter()
            .skip(1)
            .filter(|r| r[0] == *code && !blank(r))
            .count()
    };
    let flagged = blanks
        .iter()
        .find(|b| series(&b.code) >= 2)
        .unwrap_or_else(|| panic!("a blank period of an indicator with a series: {rows:?}"))
        .clone();
    let good = blanks
        .iter()
        .find(|b| b.row != flagged.row)
        .expect("a second blank row")
        .clone();
    (sheets, vec![good, flagged])
}

/// The template as a person fills it: every sheet copied, `valor` and `evidencia_texto` set
/// on the given rows.
fn fill(sheets: &Sheets, values: &[(usize, &str)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                let (r32, c16) = (r as u32, col as u16);
                match cell {
                    Data::Empty => {}
                    Data::Float(f) => {
                        sheet.write_number(r32, c16, *f).unwrap();
                    }
                    Data::Int(i) => {
                        sheet.write_number(r32, c16, *i as f64).unwrap();
                    }
                    other => {
                        sheet.write_string(r32, c16, other.to_string()).unwrap();
                    }
                }
            }
            if name == "Indicadores"
                && let Some((_, v)) = values.iter().find(|(row, _)| *row == r)
            {
                match v.parse::<f64>() {
                    Ok(n) => sheet.write_number(r as u32, 5, n).unwrap(),
                    Err(_) => sheet.write_string(r as u32, 5, *v).unwrap(),
                };
                sheet
                    .write_string(r as u32, 7, "Registro administrativo regional, 2025")
                    .unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// Uploads a file through the upload form and returns the answer page's text, once it shows
/// either outcome.
async fn upload(c: &Client, app: &TestApp, path: &Path) -> String {
    c.goto(&app.url("/app/carga")).await.unwrap();
    type_into(c, "#f-file", &path.display().to_string()).await;
    click(c, "form[action='/app/carga'] button[type=submit]").await;
    let start = Instant::now();
    loop {
        let body = page_text(c).await;
        if body.contains("Enviado para revisión") || body.contains("No se envió nada") {
            return body;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no answer to the upload: {body}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The review item (an `article`) whose text names this code and period.
async fn review_item(c: &Client, code: &str, period: &str) -> fantoccini::elements::Element {
    for item in c
        .find_all(Locator::Css("article.review-item"))
        .await
        .unwrap()
    {
        let text = item.text().await.unwrap();
        if text.contains(code) && text.contains(period) && text.contains(ACTOR) {
            return item;
        }
    }
    panic!("no review item for {code} {period}: {}", body_text(c).await);
}

#[actix_web::test]
async fn a_workbook_goes_from_a_contributor_to_the_portal_in_chromium() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.demo = true).await;
    let actor = app
        .app
        .actors()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == ACTOR)
        .expect("the demo's regional government")
        .id;
    app.create_user(CONTRIBUTOR, Role::Contributor, Some(actor))
        .await;
    app.create_user(COORDINATOR, Role::Coordinator, None).await;

    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let c = browser_downloading_to(&driver, profile.path(), downloads.path()).await;

    // The contributor: tasks, the template, a first upload with one bad row.
    sign_in(&c, &app, CONTRIBUTOR).await;
    c.goto(&app.url("/app/tareas")).await.unwrap();
    let tasks = wait_for_text(&c, "Mis tareas").await;
    assert!(tasks.contains("I1.1"), "{tasks}");
    every_control_is_labelled(&c, "/app/tareas").await;
    shot(&c, "10-mis-tareas").await;

    click(&c, "a[href^='/app/plantilla.xlsx']").await;
    let template = std::fs::read(downloaded(downloads.path(), ".xlsx").await).unwrap();
    let (sheets, blanks) = read_template(&template);
    let (good, flagged) = (&blanks[0], &blanks[1]);

    let work = tempfile::tempdir().unwrap();
    let first = work.path().join("plantilla-llena.xlsx");
    std::fs::write(
        &first,
        fill(&sheets, &[(good.row, "41"), (flagged.row, "cuarenta")]),
    )
    .unwrap();
    c.goto(&app.url("/app/carga")).await.unwrap();
    every_control_is_labelled(&c, "/app/carga").await;
    let page = upload(&c, &app, &first).await;
    // One error, located: the sheet, the row as Excel numbers it, the column.
    assert!(page.contains("No se envió nada"), "{page}");
    assert!(page.contains("Indicadores"), "{page}");
    assert!(page.contains(&(flagged.row + 1).to_string()), "{page}");
    assert!(page.contains("valor"), "{page}");
    shot(&c, "11-carga-con-error").await;

    // Fixed, but far outside the series: accepted, and flagged for the reviewer.
    let second = work.path().join("plantilla-corregida.xlsx");
    std::fs::write(
        &second,
        fill(&sheets, &[(good.row, "41"), (flagged.row, "98765")]),
    )
    .unwrap();
    let page = upload(&c, &app, &second).await;
    assert!(page.contains("Enviado para revisión"), "{page}");
    shot(&c, "12-carga-aceptada").await;

    // The good value again from its form in Mis tareas, now with its evidence file: a new
    // revision that replaces the uploaded one in the review queue.
    c.goto(&app.url("/app/tareas")).await.unwrap();
    wait_for_text(&c, "Mis tareas").await;
    let form = c
        .execute(
            "const [code, period] = arguments;
             const a = Array.from(document.querySelectorAll('a[href^=\"/app/valor?\"]'))
               .find(a => a.closest('tr') && a.closest('tr').innerText.includes(code)
                          && new URL(a.href).searchParams.get('periodo') === period);
             return a ? a.getAttribute('href') : null;",
            vec![good.code.clone().into(), good.period.clone().into()],
        )
        .await
        .unwrap();
    let form = form
        .as_str()
        .unwrap_or_else(|| panic!("no form link for {good:?}"))
        .to_string();
    c.goto(&app.url(&form)).await.unwrap();
    wait_for_text(&c, "Enviar o revisar el valor").await;
    every_control_is_labelled(&c, "/app/valor").await;
    let pdf = work.path().join("acta-2025.pdf");
    std::fs::write(&pdf, EVIDENCE_PDF).unwrap();
    c.find(Locator::Css("#f-value"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(&c, "#f-value", "41").await;
    type_into(&c, "#f-evidenceText", "Acta de conformidad 2025").await;
    type_into(&c, "#f-evidenceFile", &pdf.display().to_string()).await;
    click(
        &c,
        "form[enctype='multipart/form-data'] button[type=submit]",
    )
    .await;
    let start = Instant::now();
    let sent = loop {
        let url = c.current_url().await.unwrap();
        let body = page_text(&c).await;
        if url.as_str().contains("enviado=1") && body.contains("Revisión") {
            break body;
        }
        // The form checks plausibility before storing anything: an unusual value needs the
        // person's confirmation (and the file once more).
        if body.contains("Confirmo el valor")
            && !c
                .find_all(Locator::Css("#f-confirmar"))
                .await
                .unwrap()
                .is_empty()
        {
            click(&c, "#f-confirmar").await;
            type_into(&c, "#f-evidenceFile", &pdf.display().to_string()).await;
            click(
                &c,
                "form[enctype='multipart/form-data'] button[type=submit]",
            )
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the value form did not accept the file: {}",
            body_text(&c).await
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(sent.contains("41"), "{sent}");
    assert!(
        sent.contains("acta-2025.pdf") || sent.contains("Acta de conformidad"),
        "{sent}"
    );
    sign_out(&c).await;

    // The coordinator: the queue with the flag; approve one, reject the other.
    sign_in(&c, &app, COORDINATOR).await;
    c.goto(&app.url("/app/revision")).await.unwrap();
    wait_for_text(&c, ACTOR).await;
    every_control_is_labelled(&c, "/app/revision").await;
    let item = review_item(&c, &flagged.code, &flagged.period).await;
    assert!(
        !item
            .find_all(Locator::Css(".flag"))
            .await
            .unwrap()
            .is_empty(),
        "the implausible value carries a flag: {}",
        item.text().await.unwrap()
    );
    shot(&c, "13-revision").await;
    let item = review_item(&c, &good.code, &good.period).await;
    let text = item.text().await.unwrap();
    assert!(
        text.contains("Acta de conformidad 2025"),
        "only the revision with the file awaits review: {text}"
    );
    assert_eq!(
        item.find_all(Locator::Css("a.evidence-file"))
            .await
            .unwrap()
            .len(),
        1,
        "{text}"
    );
    click(&item, "form[action='/app/revision/aprobar'] button").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.goto(&app.url("/app/revision")).await.unwrap();
    let item = review_item(&c, &flagged.code, &flagged.period).await;
    type_into(&item, "textarea[name=reason]", REASON).await;
    click(&item, "form.reject button").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sign_out(&c).await;

    // The contributor finds the rejection, with its reason, in the inbox.
    sign_in(&c, &app, CONTRIBUTOR).await;
    c.goto(&app.url("/app/bandeja")).await.unwrap();
    let inbox = wait_for_text(&c, REASON).await;
    assert!(inbox.contains(&flagged.code), "{inbox}");
    shot(&c, "14-bandeja").await;

    // The portal: the approved value with its provenance.
    c.goto(&app.url(&format!("/e/moquegua/i/{}", good.code)))
        .await
        .unwrap();
    let portal = wait_for_text(&c, "Procedencia").await;
    let provenance = c
        .find(Locator::Css("#provenance"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        provenance.contains(&good.period) && provenance.contains(ACTOR),
        "{provenance}"
    );
    assert!(portal.contains("41"), "{portal}");
    // Its evidence file is public now that the value is approved, and it is the PDF sent.
    let href = c
        .find(Locator::Css("#provenance a.evidence-file"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .expect("the evidence file's link");
    assert!(href.starts_with("/archivos/"), "{href}");
    let mut res = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(&res.body().await.unwrap()[..], EVIDENCE_PDF);
    c.close().await.unwrap();
}
