//! The investment portfolio on the portal: the page's figures, filters and sections, the
//! project sheet (by CUI and by id), the indicator page's investments, every table as CSV
//! and JSON, the XLSX matrices, and hostile addresses refused fast.

use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};

use ayni::domain::ActorKind;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::investments::{SETTINGS, create, figures, progress, seeded};
use crate::strategy::{Gql, coordinator, create_ecosystem};

both_backends!(
    the_portfolio_page_sheet_and_open_data_show_the_figures,
    hostile_addresses_are_refused_fast,
    hostile_open_data_addresses_are_refused_fast,
    a_sheet_lists_the_commitments_that_name_its_investment,
);

/// Two projects and an idea: A (2345678, sanitation, the regional government's "Sede
/// central", participatory and prioritised, linked to IND1 and OE1, a planned curve) and B
/// (2000002, education in Ilo, its PIM cut), and an idea without a CUI.
async fn portfolio(app: &TestApp) -> (i64, String) {
    let (eco, objective, indicator) = seeded(app).await;
    let g = coordinator(app).await;
    let gore = app
        .create_actor(
            "Gobierno Regional de Moquegua",
            ActorKind::RegionalGovernment,
        )
        .await;
    let plan: Vec<f64> = (1..=12).map(|m| f64::from(m) * 10_000.0).collect();
    let a = create(
        &g,
        &eco,
        "2345678",
        json!({"executingActorId": gore.to_string(), "participatoryBudget": true, "prioritised": true,
               "links": [{"indicatorId": indicator, "expectedChange": "IND1 +3 puntos al 2026"},
                         {"objectiveId": objective, "expectedChange": "OE1 cobertura"}],
               "plannedCurves": [{"year": 2025, "months": plan}], "beneficiaries": 12000}),
    )
    .await;
    progress(
        &g,
        &a,
        figures("2025-01-31", 100_000.0, 5_000.0, 300_000.0, Some(30.0)),
    )
    .await;
    progress(
        &g,
        &a,
        figures("2025-03-31", 120_000.0, 30_000.0, 300_000.0, Some(35.0)),
    )
    .await;
    let b = create(
        &g,
        &eco,
        "2000002",
        json!({"function": "EDUCATION", "ubigeo": "180301", "modality": "WORKS_FOR_TAXES",
               "updatedCost": 500000.0, "level": "LOCAL", "executingUnit": "Municipalidad Provincial de Ilo"}),
    )
    .await;
    progress(
        &g,
        &b,
        figures("2025-06-30", 200_000.0, 50_000.0, 0.0, None),
    )
    .await;
    progress(
        &g,
        &b,
        figures("2025-09-30", 100_000.0, 60_000.0, 0.0, None),
    )
    .await;
    let idea = create(
        &g,
        &eco,
        "",
        json!({"cui": null, "kind": "IDEA", "stage": "IDEA", "updatedCost": 300000.0,
               "name": "Idea de riego tecnificado", "executingUnit": "Oficina de proyectos"}),
    )
    .await;
    g.ok(
        SETTINGS,
        json!({"e": eco, "i": {"envelopes": [{"year": 2025, "amount": 100000.0}]}}),
    )
    .await;
    (idea.parse().unwrap(), eco)
}

fn html(a: &crate::helpers::Answer) -> String {
    a.body.as_str().unwrap_or_default().to_string()
}

/// The part of a page from the element with this id on.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    &page[at..]
}

async fn bytes(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let mut res = app.client.get(app.url(path)).send().await.unwrap();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.body().limit(10 << 20).await.unwrap().to_vec();
    (res.status().as_u16(), ct, body)
}

fn csv_rows(text: &[u8]) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_reader(text);
    let headers = r.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "cui") || !headers.is_empty());
    r.records().map(Result::unwrap).collect()
}

fn sheet_rows(body: Vec<u8>) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(body)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

async fn the_portfolio_page_sheet_and_open_data_show_the_figures(app: TestApp) {
    let (idea, _) = portfolio(&app).await;

    // The page: totals of 2025 (the latest year with snapshots).
    let p = app.get("/e/moquegua/inversiones").await;
    assert_eq!(p.status, 200);
    let page = html(&p);
    let totals = section(&page, "totals");
    assert!(totals.contains("S/ 1 800 000"), "cost of the three");
    assert!(totals.contains("S/ 220 000"), "PIM 120 000 + 100 000");
    assert!(totals.contains("S/ 90 000"), "accrued 30 000 + 60 000");
    assert!(totals.contains("40.91%"), "90 000 / 220 000");
    assert!(page.contains("<svg"), "the monthly curve is drawn");
    assert!(page.contains("Programado"), "the planned curve is drawn");
    // Breakdowns, ranking, alerts (in words), participatory budget, priorities.
    let bd = section(&page, "breakdowns");
    assert!(bd.contains("Saneamiento") && bd.contains("Educación") && bd.contains("Obras por"));
    let ranking = section(&page, "ranking");
    assert!(
        ranking.contains("Sede central — Gobierno Regional de Moquegua"),
        "{ranking}"
    );
    assert!(ranking.contains("Municipalidad Provincial de Ilo"));
    assert!(ranking.contains("60%"), "Ilo's execution 60 000 / 100 000");
    let alerts = section(&page, "alerts");
    assert!(
        alerts.contains("Presupuestal"),
        "the PIM cut is a budget alert"
    );
    assert!(alerts.contains("Crítica") || alerts.contains("Advertencia"));
    let pp = section(&page, "participatory");
    assert!(
        pp.contains("2345678") && !pp[..pp.find("id=\"priorities\"").unwrap()].contains("2000002")
    );
    let prio = section(&page, "priorities");
    assert!(prio.contains("S/ 100 000"), "the envelope");
    assert!(prio.contains("cabe"), "which fit");
    let list = section(&page, "list");
    assert!(list.contains("href=\"/e/moquegua/inversiones/2345678\""));
    assert!(list.contains("href=\"/e/moquegua/inversiones/2000002\""));
    assert!(list.contains(&format!("href=\"/e/moquegua/inversiones/id/{idea}\"")));
    assert!(page.contains("<caption>") && page.contains("scope=\"col\""));

    // Filters (GET form): function, participatory budget, alert kind, unit, province.
    for (query, shown, hidden) in [
        ("funcion=education", "2000002", "2345678"),
        ("participativo=si", "2345678", "2000002"),
        ("alerta=budget", "2000002", "2345678"),
        ("unidad=Sede+central", "2345678", "2000002"),
        ("provincia=1803", "2000002", "2345678"),
        ("priorizada=si", "2345678", "2000002"),
        ("etapa=idea", "Idea de riego", "2345678"),
    ] {
        let p = app.get(&format!("/e/moquegua/inversiones?{query}")).await;
        assert_eq!(p.status, 200, "{query}");
        let page = html(&p);
        let list = section(&page, "list");
        assert!(list.contains(shown), "{query}: {shown}");
        assert!(!list.contains(hidden), "{query}: {hidden}");
    }
    let en = html(&app.get("/e/moquegua/inversiones?lang=en").await);
    assert!(en.contains("Monthly execution") && en.contains("Ranking of executing units"));
    let older = html(&app.get("/e/moquegua/inversiones?anio=2024").await);
    assert!(section(&older, "totals").contains("S/ 0"), "no PIM in 2024");

    // The sheet by CUI: identification, amounts, derived figures, physical progress, links.
    let s = app.get("/e/moquegua/inversiones/2345678").await;
    assert_eq!(s.status, 200);
    let sheet = html(&s);
    assert!(sheet.contains("CUI 2345678"));
    assert!(sheet.contains("S/ 1 000 000"), "updated cost");
    let derived = section(&sheet, "derived");
    assert!(derived.contains("25%"), "30 000 / 120 000");
    assert!(derived.contains("33%"), "(300 000 + 30 000) / 1 000 000");
    assert!(derived.contains("S/ 670 000"), "remaining balance");
    assert!(derived.contains("devengado del año / PIM"), "explained");
    assert!(section(&sheet, "physical").contains("35%"));
    assert!(section(&sheet, "execution").contains("<svg"));
    let links = section(&sheet, "links");
    assert!(links.contains("IND1 +3 puntos al 2026") && links.contains("/e/moquegua/i/IND1"));
    assert!(links.contains("OE1"));
    let b = html(&app.get("/e/moquegua/inversiones/2000002?lang=en").await);
    assert!(section(&b, "sheet-alerts").contains("Budget"));
    // The idea without a CUI, by id.
    let i = app.get(&format!("/e/moquegua/inversiones/id/{idea}")).await;
    assert_eq!(i.status, 200);
    assert!(html(&i).contains("Idea de riego tecnificado"));

    // The indicator page lists the investments of the indicator and of its objective; the
    // ecosystem page links the portfolio.
    let ind = html(&app.get("/e/moquegua/i/IND1").await);
    let inv = section(&ind, "indicator-investments");
    assert!(inv.contains("2345678") && inv.contains("IND1 +3 puntos al 2026"));
    assert!(html(&app.get("/e/moquegua").await).contains("href=\"/e/moquegua/inversiones\""));

    // Open data: the list.
    let (st, ct, body) = bytes(&app, "/e/moquegua/inversiones.csv").await;
    assert_eq!((st, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 3);
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with("id,cui,name,"));
    let j = app
        .get("/e/moquegua/inversiones.json?funcion=sanitation")
        .await;
    let sanitation = j.body.as_array().unwrap();
    assert_eq!(sanitation.len(), 2, "A and the idea: {}", j.body);
    let a = sanitation.iter().find(|x| x["cui"] == "2345678").unwrap();
    assert_eq!(a["cui"], "2345678");
    assert_eq!(a["pim"], 120_000.0);
    assert_eq!(a["accrued"], 30_000.0);
    assert_eq!(a["financial_execution"], 0.25);
    assert_eq!(a["physical_progress"], 35.0);
    assert_eq!(a["executing_actor"], "Gobierno Regional de Moquegua");
    // The year's tables.
    let r = app.get("/e/moquegua/inversiones/resumen.json").await.body;
    let total = r
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["dimension"] == "total")
        .unwrap();
    assert_eq!(total["count"], 3);
    assert_eq!(total["cost"], 1_800_000.0);
    assert_eq!(total["pim"], 220_000.0);
    assert!(
        r.as_array()
            .unwrap()
            .iter()
            .any(|x| x["dimension"] == "province" && x["key"] == "1803")
    );
    let u = app.get("/e/moquegua/inversiones/unidades.json").await.body;
    assert_eq!(
        u[0]["executing_unit"], "Municipalidad Provincial de Ilo",
        "{u}"
    );
    assert_eq!(u[0]["execution"], 0.6);
    assert_eq!(u[0]["rank"], 1);
    let al = app.get("/e/moquegua/inversiones/alertas.json").await.body;
    assert!(
        al.as_array()
            .unwrap()
            .iter()
            .any(|x| x["cui"] == "2000002" && x["kind"] == "budget" && x["rule"] == "pim_cut"),
        "{al}"
    );
    let (_, _, al_csv) = bytes(&app, "/e/moquegua/inversiones/alertas.csv").await;
    assert!(String::from_utf8(al_csv).unwrap().contains("pim_cut"));
    let pr = app
        .get("/e/moquegua/inversiones/prioridades.json?anio=2025")
        .await
        .body;
    let pr = pr.as_array().unwrap();
    assert!(!pr.is_empty());
    assert!(
        pr.iter()
            .all(|x| x["envelope"] == 100_000.0 && x["fits"].is_boolean()),
        "{pr:?}"
    );
    let (_, _, pr_csv) = bytes(&app, "/e/moquegua/inversiones/prioridades.csv").await;
    assert_eq!(csv_rows(&pr_csv).len(), pr.len());
    // One investment's snapshots.
    let sn = app
        .get("/e/moquegua/inversiones/2345678/avance.json")
        .await
        .body;
    assert_eq!(sn.as_array().unwrap().len(), 2);
    assert_eq!(sn[1]["as_of"], "2025-03-31");
    assert_eq!(sn[1]["physical_progress"], 35.0);
    let (st, _, sn_csv) = bytes(&app, "/e/moquegua/inversiones/2345678/avance.csv").await;
    assert_eq!(st, 200);
    assert_eq!(csv_rows(&sn_csv).len(), 2);
    let by_id = app
        .get(&format!("/e/moquegua/inversiones/id/{idea}/avance.json"))
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body, json!([]));

    // XLSX: the consolidated matrix and one executing unit's.
    let (st, ct, body) = bytes(&app, "/e/moquegua/inversiones.xlsx?anio=2025").await;
    assert_eq!(st, 200);
    assert!(ct.contains("spreadsheetml"));
    let rows = sheet_rows(body);
    let a = rows
        .iter()
        .find(|r| r[0] == Data::String("2345678".into()))
        .expect("A's row");
    assert_eq!(a[7], Data::Float(120_000.0), "PIM");
    assert_eq!(a[10], Data::Float(30_000.0), "accrued");
    assert_eq!(a[11], Data::Float(25.0), "execution %");
    assert_eq!(a[12], Data::Float(35.0), "physical %");
    assert_eq!(
        rows.len(),
        3 + 3,
        "title, blank, header and three investments"
    );
    let b = rows
        .iter()
        .find(|r| r[0] == Data::String("2000002".into()))
        .unwrap();
    assert_eq!(b[13], Data::String("budget".into()));
    let (st, _, body) = bytes(&app, "/e/moquegua/inversiones.xlsx?unidad=Sede%20central").await;
    assert_eq!(st, 200);
    let rows = sheet_rows(body);
    assert!(matches!(&rows[0][0], Data::String(t) if t.contains("Sede central")));
    let cuis: Vec<&Data> = rows.iter().skip(3).map(|r| &r[0]).collect();
    assert_eq!(cuis, vec![&Data::String("2345678".into())]);
}

async fn hostile_addresses_are_refused_fast(app: TestApp) {
    let (idea, _) = portfolio(&app).await;
    let huge = "x".repeat(20_000);
    let cases: Vec<(String, &[u16])> = vec![
        ("/e/moquegua/inversiones/9999999".into(), &[404]),
        ("/e/moquegua/inversiones/12ab567".into(), &[404]),
        ("/e/moquegua/inversiones/123".into(), &[404]),
        (
            format!("/e/moquegua/inversiones/{}", "9".repeat(5000)),
            &[404, 414, 431],
        ),
        ("/e/moquegua/inversiones/id/99999999".into(), &[404]),
        ("/e/moquegua/inversiones/id/-1".into(), &[404]),
        ("/e/moquegua/inversiones/id/abc".into(), &[404]),
        ("/e/moquegua/inversiones/9999999/avance.json".into(), &[404]),
        ("/e/moquegua/inversiones/resumen.xml".into(), &[404]),
        ("/e/moquegua/inversiones.xml".into(), &[404]),
        ("/e/nowhere/inversiones".into(), &[404]),
        ("/e/nowhere/inversiones/2345678".into(), &[404]),
        (format!("/e/nowhere/inversiones/id/{idea}"), &[404]),
        ("/e/moquegua/inversiones?anio=1800".into(), &[400]),
        ("/e/moquegua/inversiones?anio=abc".into(), &[400]),
        ("/e/moquegua/inversiones?funcion=weapons".into(), &[400]),
        ("/e/moquegua/inversiones?alerta=red".into(), &[400]),
        ("/e/moquegua/inversiones?etapa=done".into(), &[400]),
        ("/e/moquegua/inversiones?provincia=lima".into(), &[400]),
        ("/e/moquegua/inversiones?priorizada=quizas".into(), &[400]),
        (
            "/e/moquegua/inversiones.json?participativo=maybe".into(),
            &[400],
        ),
        (
            "/e/moquegua/inversiones?funcion=education&funcion=health".into(),
            &[400],
        ),
        (
            "/e/moquegua/inversiones/alertas.json?anio=2025&anio=2024".into(),
            &[400],
        ),
        (
            format!("/e/moquegua/inversiones?unidad={huge}"),
            &[400, 414, 431],
        ),
        (
            format!("/e/moquegua/inversiones.xlsx?funcion={huge}"),
            &[400, 414, 431],
        ),
        ("/e/moquegua/inversiones/2345678?anio=99999".into(), &[400]),
    ];
    for (path, allowed) in &cases {
        let started = Instant::now();
        let (status, _, _) = bytes(&app, path).await;
        assert!(
            allowed.contains(&status),
            "{}: {status}",
            &path[..path.len().min(80)]
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{}",
            &path[..path.len().min(80)]
        );
    }
    // A `.json` download answers its errors as JSON.
    let bad = app
        .get("/e/moquegua/inversiones/alertas.json?anio=abc")
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "BAD_USER_INPUT", "{}", bad.body);
    // A cell that a spreadsheet would read as a formula is neutralised in the CSV.
    let g = coordinator(&app).await;
    let eco = app
        .graphql(None, "{ ecosystem(slug: \"moquegua\") { id } }", json!({}))
        .await
        .body["data"]["ecosystem"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    create(
        &g,
        &eco,
        "3000001",
        json!({"name": "=HYPERLINK(\"http://x\")"}),
    )
    .await;
    let (_, _, csv) = bytes(&app, "/e/moquegua/inversiones.csv").await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let v: Value = app.get("/e/moquegua/inversiones.json").await.body;
    assert_eq!(v.as_array().unwrap().len(), 4);
}

/// Every open-data route of the portfolio and of the commitments, with malformed CUIs and
/// ids (huge, not digits, path tricks), unknown ecosystems, unknown formats and huge or
/// repeated query strings: a fast 400/404 (or the server's 414/431 for what it will not
/// read), never a 500.
async fn hostile_open_data_addresses_are_refused_fast(app: TestApp) {
    portfolio(&app).await;
    let huge = "x".repeat(20_000);
    // A repeated parameter is refused by every query of the portal.
    let many = "lang=es&".repeat(2_000);
    let tables = [
        "inversiones",
        "inversiones/resumen",
        "inversiones/unidades",
        "inversiones/alertas",
        "inversiones/prioridades",
        "inversiones/2345678/avance",
        "compromisos",
    ];
    let mut cases: Vec<(String, &[u16])> = Vec::new();
    for t in tables {
        for f in ["csv", "json"] {
            cases.push((format!("/e/nowhere/{t}.{f}"), &[404]));
            let long_slug = "n".repeat(5_000);
            cases.push((format!("/e/{long_slug}/{t}.{f}"), &[400, 404, 414, 431]));
            // A sheet's snapshots take no parameter: its query string is not even read.
            let query_refused: &[u16] = if t.ends_with("/avance") {
                &[200, 400, 414, 431]
            } else {
                &[400, 414, 431]
            };
            cases.push((format!("/e/moquegua/{t}.{f}?lang={huge}"), query_refused));
            cases.push((format!("/e/moquegua/{t}.{f}?{many}"), query_refused));
        }
        for f in ["xml", "xlsx%00", "csv.exe", "CSV%2F..", ""] {
            cases.push((format!("/e/moquegua/{t}.{f}"), &[404]));
        }
    }
    for cui in [
        "99999999999999999999999999",
        "2345678.0",
        "+234567",
        "-234567",
        "%20234567",
        "2345678%20",
        "%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7%D9%A8",
        "..%2F..%2Fetc%2Fpasswd",
        "2345678%2F..",
        "%2e%2e",
        "2345678%00",
        "0x23456",
        "2,345,678",
    ] {
        for suffix in ["", "/avance.csv", "/avance.json"] {
            cases.push((format!("/e/moquegua/inversiones/{cui}{suffix}"), &[404]));
        }
    }
    let long_cui = "7".repeat(8_000);
    cases.push((
        format!("/e/moquegua/inversiones/{long_cui}/avance.csv"),
        &[404, 414, 431],
    ));
    for id in ["0", "99999999999999999999999", "1e3", "0x1", "-0"] {
        cases.push((format!("/e/moquegua/inversiones/id/{id}"), &[404]));
        cases.push((
            format!("/e/moquegua/inversiones/id/{id}/avance.json"),
            &[404],
        ));
    }
    for q in [
        "anio=2025.5",
        "anio=-2025",
        "anio=99999999999999999999",
        "unidad=%00",
        "provincia=18%0A01",
        "alerta=physical,financial",
    ] {
        for t in [
            "inversiones",
            "inversiones.csv",
            "inversiones.json",
            "inversiones.xlsx",
        ] {
            cases.push((format!("/e/moquegua/{t}?{q}"), &[400]));
        }
    }
    for q in [
        "estado=%00",
        "vencidos=2",
        "actor=99999999999999999999999",
        "tipo=AGREEMENT%27--",
        "objetivo=OE%001",
    ] {
        for t in ["compromisos", "compromisos.csv", "compromisos.json"] {
            cases.push((format!("/e/moquegua/{t}?{q}"), &[400]));
        }
    }
    for (t, param) in [
        ("compromisos", "objetivo"),
        ("compromisos.csv", "objetivo"),
        ("compromisos.json", "objetivo"),
        ("inversiones.xlsx", "unidad"),
    ] {
        cases.push((format!("/e/moquegua/{t}?{param}={huge}"), &[400, 414, 431]));
    }
    let started_all = Instant::now();
    for (path, allowed) in &cases {
        let started = Instant::now();
        let (status, _, _) = bytes(&app, path).await;
        let shown = &path[..path.len().min(100)];
        assert!(allowed.contains(&status), "{shown}: {status}");
        assert!(started.elapsed() < Duration::from_secs(2), "{shown}");
    }
    assert!(cases.len() > 150, "{} cases", cases.len());
    assert!(started_all.elapsed() < Duration::from_secs(60));
    // The pages still answer.
    for path in [
        "/e/moquegua/inversiones",
        "/e/moquegua/inversiones/2345678",
        "/e/moquegua/compromisos",
        "/e/moquegua/compromisos.csv",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
}

/// The coordinating body's commitments naming an investment appear on its sheet with their
/// responsible actor, deadline and status (overdue in words), each linked to its row of the
/// commitments page; those of other investments or other ecosystems do not.
async fn a_sheet_lists_the_commitments_that_name_its_investment(app: TestApp) {
    portfolio(&app).await;
    let g = coordinator(&app).await;
    let place = crate::commitments::ids(&app).await;
    let eco = place["data"]["ecosystem"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let objective = place["data"]["ecosystem"]["objectives"][0]["id"].clone();
    let gore = place["data"]["actors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Gobierno Regional de Moquegua")
        .unwrap()["id"]
        .clone();
    let commit =
        |eco: &str, text: &str, deadline: Option<&str>, cuis: &[&str], objectives: Value| {
            json!({"ecosystemId": eco, "text": text, "kind": "AGREEMENT", "source": "MEETING",
            "sourceReference": "Acta de la sesión del 12/03/2019", "sourceDate": "2019-03-12",
            "responsibleActorId": gore.clone(), "deadline": deadline, "objectiveIds": objectives,
            "cuis": cuis})
        };
    let late = record(
        &g,
        commit(
            &eco,
            "Reprogramar el saldo de la obra de agua",
            Some("2019-06-30"),
            &["2345678"],
            json!([objective]),
        ),
    )
    .await;
    let both = record(
        &g,
        commit(
            &eco,
            "Informar el avance de ambas obras al consejo",
            None,
            &["2000002", "2345678"],
            json!([]),
        ),
    )
    .await;
    let other = record(
        &g,
        commit(
            &eco,
            "Revisar el expediente de otra obra",
            Some("2019-05-01"),
            &["2999999"],
            json!([]),
        ),
    )
    .await;
    let elsewhere = create_ecosystem(&g, "otra-region").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    record(
        &g,
        commit(
            &elsewhere,
            "Compromiso de otra región con el mismo CUI",
            None,
            &["2345678"],
            json!([]),
        ),
    )
    .await;

    let sheet = html(&app.get("/e/moquegua/inversiones/2345678").await);
    let part = section(&sheet, "sheet-commitments");
    assert!(
        part.contains("Reprogramar el saldo de la obra de agua"),
        "{part}"
    );
    assert!(part.contains("Informar el avance de ambas obras al consejo"));
    assert!(!part.contains("Revisar el expediente de otra obra"));
    assert!(!part.contains("Compromiso de otra región"));
    assert!(part.contains("Gobierno Regional de Moquegua") && part.contains("2019-06-30"));
    assert!(part.contains("VENCIDO") && part.contains("sin plazo"));
    for id in [&late, &both] {
        assert!(
            part.contains(&format!("href=\"/e/moquegua/compromisos#c{id}\"")),
            "{part}"
        );
    }
    // The overdue one first, as on the commitments page, whose rows carry those anchors.
    assert!(part.find("Reprogramar").unwrap() < part.find("Informar el avance").unwrap());
    let list = html(&app.get("/e/moquegua/compromisos").await);
    for id in [&late, &both, &other] {
        assert!(list.contains(&format!("id=\"c{id}\"")), "c{id}");
    }
    let en = html(&app.get("/e/moquegua/inversiones/2345678?lang=en").await);
    let part = section(&en, "sheet-commitments");
    assert!(part.contains("OVERDUE"), "{part}");
    assert!(part.contains(&format!("href=\"/e/moquegua/compromisos?lang=en#c{late}\"")));
    let b = html(&app.get("/e/moquegua/inversiones/2000002").await);
    let part = section(&b, "sheet-commitments");
    assert!(part.contains("Informar el avance") && !part.contains("Reprogramar"));
    // An investment no commitment names says so.
    create(&g, &eco, "2111111", json!({})).await;
    let c = html(&app.get("/e/moquegua/inversiones/2111111").await);
    assert!(section(&c, "sheet-commitments").contains("Ningún compromiso la menciona"));
}

/// Records a commitment; its id.
async fn record(g: &Gql<'_>, input: Value) -> String {
    g.ok(
        "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { id } }",
        json!({"i": input}),
    )
    .await["createCommitment"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}
