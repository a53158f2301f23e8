//! The public portal: pages and open data over HTTP on both backends, and end-to-end in a
//! real headless Chromium (driven through chromedriver) on the demo data, with screenshots.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use ayni::app::{Caller, MeasurementFilter};
use ayni::domain::MeasurementStatus;

use crate::both_backends;
use crate::helpers::browser::{
    body_text, browser, chromedriver, click_on, count, shot, text_of, wait_for_element,
};
use crate::helpers::{Backend, TestApp};

both_backends!(
    pages_and_open_data_are_served_to_anyone,
    the_stylesheet_and_script_are_immutable_files_named_by_their_content,
    only_ecosystems_of_demo_data_are_labelled_illustrative,
    the_causal_check_reads_as_one_plain_sentence,
);

async fn only_ecosystems_of_demo_data_are_labelled_illustrative(app: TestApp) {
    let app = demo(app.backend).await;
    const LABEL: &str = "las cifras son ilustrativas";
    let (_, _, page) = get_text(&app, "/e/moquegua").await;
    assert!(page.contains(LABEL), "the demo ecosystem says so");
    let (_, _, page) = get_text(&app, "/e/moquegua/i/I1.1?lang=en").await;
    assert!(page.contains("the figures are illustrative"));
    // An ecosystem entered by its coordinators is not labelled, on its pages or the home page.
    app.app
        .create_ecosystem(
            &Caller::operator(),
            ayni::app::EcosystemInput {
                slug: "ilo".into(),
                name: "Ecosistema Ilo".into(),
                territory: "1803".into(),
                mission: String::new(),
                vision: String::new(),
                horizon_start: 2024,
                horizon_end: 2030,
            },
        )
        .await
        .unwrap();
    let (status, _, page) = get_text(&app, "/e/ilo").await;
    assert_eq!(status, 200);
    assert!(!page.contains(LABEL), "a real ecosystem is not labelled");
    let (_, _, home) = get_text(&app, "/").await;
    assert_eq!(
        home.matches(LABEL).count(),
        2,
        "two cards of three are demo data (Moquegua and Cajamarca), the real one is not"
    );
    // The flag is audited and the chain still verifies.
    let chain = app
        .graphql(None, "{ auditChain { verified } }", json!({}))
        .await
        .body;
    assert_eq!(chain["data"]["auditChain"]["verified"], true, "{chain}");
}

async fn the_causal_check_reads_as_one_plain_sentence(app: TestApp) {
    let app = demo(app.backend).await;
    // HM1 of the demo: r = 0.989 on six pairs at lag 0.
    let (_, _, es) = get_text(&app, "/e/moquegua/impactos").await;
    assert!(
        es.contains("6 pares, r = 0.99 con 0 período(s) de desfase, p = "),
        "{es}"
    );
    assert!(es.contains("se correlacionan por la tendencia misma"));
    let (_, _, en) = get_text(&app, "/e/moquegua/impactos?lang=en").await;
    assert!(en.contains("6 pairs, r = 0.99 at a lag of 0 period(s), p = "));
    assert!(en.contains("two trending series correlate through their trend alone"));
    // The strategy map's links, read as a table, say the same of each link.
    let (_, _, map) = get_text(&app, "/e/moquegua").await;
    assert!(
        map.contains("corregido por"),
        "the links carry their sentence"
    );
}

async fn demo(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| s.demo = true).await
}

async fn get_text(app: &TestApp, path: &str) -> (u16, String, String) {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut res = client.get(app.url(path)).send().await.unwrap();
    let body = res.body().limit(10 << 20).await.unwrap();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        res.status().as_u16(),
        ctype,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

async fn pages_and_open_data_are_served_to_anyone(app: TestApp) {
    // The same backend, started with the demo data.
    let app = demo(app.backend).await;
    let pages = [
        "/",
        "/e/moquegua",
        "/e/moquegua?lang=en",
        "/e/moquegua?period=2023&theme=GIRH",
        "/e/moquegua/i/I1.1",
        "/e/moquegua/i/I2.1?lang=en",
        "/e/moquegua/impactos?scenario=with_planned&period=2028",
    ];
    for path in pages {
        let (status, ctype, body) = get_text(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(ctype.starts_with("text/html"), "{path}: {ctype}");
        assert!(body.len() < 300 * 1024, "{path}: {} bytes", body.len());
        assert!(body.contains(r#"name="viewport""#), "{path}");
        // The page's own styles are a file (the map's SVG keeps its small inline style).
        let head = &body[..body.find("</head>").unwrap()];
        assert!(!head.contains("<style"), "{path}: no inline stylesheet");
        for script in body.split("<script").skip(1) {
            let open_tag_end = script.find('>').unwrap() + 1;
            assert!(
                script.starts_with(r#" src="/static/"#)
                    && script[open_tag_end..].starts_with("</script>"),
                "{path}: scripts are the service's own files, never inline: <script{}",
                &script[..script.len().min(120)]
            );
        }
        assert!(
            !body.contains("http://cdn") && !body.contains("https://cdn"),
            "{path}"
        );
    }
    let (_, _, es) = get_text(&app, "/e/moquegua").await;
    assert!(es.contains(r#"<html lang="es">"#) && es.contains("Tablero de control"));
    assert_eq!(es.matches(r#"<g class="band""#).count(), 4);
    assert_eq!(es.matches(r#"<g class="objective""#).count(), 18);
    let (_, _, en) = get_text(&app, "/e/moquegua?lang=en").await;
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("Scorecard"));
    // Statuses agree with the plan, and the scorecard says in words what a colour cannot:
    // I1.3 (2 480 against a planned ≈2 450) is ahead of plan; I7.4 (22.3 hm³ of fresh water,
    // less is better, baseline 22.1) went back below its baseline.
    let row = |page: &str, code: &str| -> String {
        let start = page
            .find(&format!(r#"data-indicator="{code}""#))
            .unwrap_or_else(|| panic!("{code}"));
        page[start..start + page[start..].find("</tr>").unwrap()].to_string()
    };
    let (_, _, card) = get_text(&app, "/e/moquegua?period=2024").await;
    let i13 = row(&card, "I1.3");
    assert!(
        i13.contains("st-green") && i13.contains("supera lo planificado"),
        "{i13}"
    );
    let i74 = row(&card, "I7.4");
    assert!(
        i74.contains("st-red") && i74.contains("retrocede respecto a la línea de base"),
        "{i74}"
    );
    assert!(
        !row(&card, "I1.1").contains("retrocede"),
        "no regression where there is none"
    );
    // A RANGE indicator shows its band beside its target.
    let i42 = row(&card, "I4.2");
    assert!(i42.contains("Rango aceptable 6.5–8.5"), "{i42}");
    let (_, _, card_en) = get_text(&app, "/e/moquegua?period=2024&lang=en").await;
    assert!(row(&card_en, "I1.3").contains("ahead of plan"));
    assert!(row(&card_en, "I7.4").contains("below its baseline"));
    assert!(row(&card_en, "I4.2").contains("Acceptable range 6.5–8.5"));
    assert!(card_en.contains("Performance vs plan"));
    // …and its chart shades the band (the other charts have none).
    let (_, _, ph) = get_text(&app, "/e/moquegua/i/I4.2").await;
    assert_eq!(ph.matches(r#"<g class="range-band">"#).count(), 1);
    assert!(ph.contains("<title>Rango aceptable 6.5–8.5</title>"));
    let (_, _, ph_en) = get_text(&app, "/e/moquegua/i/I4.2?lang=en").await;
    assert!(ph_en.contains("<title>Acceptable range 6.5–8.5</title>"));
    let (_, _, water) = get_text(&app, "/e/moquegua/i/I7.4?lang=en").await;
    assert!(!water.contains("range-band"));
    assert!(
        water.contains("below its baseline"),
        "the latest reading in words"
    );
    // A computed indicator traces its numbers to its variables' approved observations.
    let (_, _, computed) = get_text(&app, "/e/moquegua/i/I2.1").await;
    let provenance = &computed[computed.find(r#"id="provenance""#).unwrap()..];
    assert!(provenance.contains("<code>V027</code>") && provenance.contains("<code>V004</code>"));
    // Filters: a theme keeps its objectives only.
    let (_, _, girh) = get_text(&app, "/e/moquegua?theme=GIRH").await;
    assert!(girh.contains("OE3 ") && !girh.contains(r#"data-indicator="I2.1""#));

    // Open data: CSV and JSON carry the same rows.
    let (status, ctype, csv) = get_text(&app, "/e/moquegua/tablero.csv?period=2024").await;
    assert_eq!((status, ctype.as_str()), (200, "text/csv; charset=utf-8"));
    let (_, _, json_text) = get_text(&app, "/e/moquegua/tablero.json?period=2024").await;
    let rows: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(
        csv.lines().count(),
        rows.len() + 1,
        "a header and one line per row"
    );
    assert!(csv.starts_with("period,perspective,objective_code"));
    assert_eq!(rows.len(), 31);
    assert!(
        rows.iter().all(|r| r["actual"].is_number()),
        "every 2024 value is published"
    );
    // Performance and the planned value are published; the status follows performance.
    for r in &rows {
        assert_eq!(r["planned"], r["expected"], "{r}");
        let performance = r["performance"].as_f64().unwrap();
        let status = r["status"].as_str().unwrap();
        assert_eq!(
            status,
            match performance {
                p if p >= 0.9 => "green",
                p if p >= 0.6 => "amber",
                _ => "red",
            },
            "{r}"
        );
        assert!(
            r["objective_score"]
                .as_f64()
                .is_none_or(|s| (0.0..=1.0).contains(&s)),
            "{r}"
        );
    }
    let i42 = rows.iter().find(|r| r["indicator_code"] == "I4.2").unwrap();
    assert_eq!(
        (i42["range_lower"].as_f64(), i42["range_upper"].as_f64()),
        (Some(6.5), Some(8.5))
    );
    for path in [
        "/datos/ecosistemas.csv",
        "/datos/ecosistemas.json",
        "/e/moquegua/i/I1.1/valores.csv",
        "/e/moquegua/impactos.json?scenario=with_planned&period=2028",
        "/e/moquegua/hibridas.csv",
        "/e/moquegua/mapa.csv?period=2024",
        "/e/moquegua/enlaces.json",
        "/e/moquegua/i/I2.1/serie.csv",
    ] {
        let (status, _, body) = get_text(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.lines().count() > 1, "{path}");
    }
    let (_, _, objectives) = get_text(&app, "/e/moquegua/mapa.json?period=2024").await;
    let objectives: Vec<Value> = serde_json::from_str(&objectives).unwrap();
    assert_eq!(objectives.len(), 18);
    let (_, _, links) = get_text(&app, "/e/moquegua/enlaces.json").await;
    let links: Vec<Value> = serde_json::from_str(&links).unwrap();
    assert_eq!(links.len(), 22);
    assert!(links.iter().any(|l| l["verdict"] == "SUPPORTED"));
    let (_, _, series) = get_text(&app, "/e/moquegua/i/I2.1/serie.json").await;
    let series: Vec<Value> = serde_json::from_str(&series).unwrap();
    let y2024 = series.iter().find(|p| p["period"] == "2024").unwrap();
    assert!(y2024["actual"].is_number() && y2024["expected"].is_number());
    assert!(y2024["planned"].is_number() && y2024["performance"].is_number());
    if y2024["on_track"] == true {
        assert_eq!(y2024["status"], "green", "{y2024}");
    }
    let (_, _, values) = get_text(&app, "/e/moquegua/i/I1.1/valores.json").await;
    let values: Vec<Value> = serde_json::from_str(&values).unwrap();
    assert!(
        values
            .iter()
            .all(|v| v["audit_seq"].is_number() && v["actor"].is_string())
    );
    let (_, _, impacts) = get_text(
        &app,
        "/e/moquegua/impactos.json?scenario=with_planned&period=2028",
    )
    .await;
    let impacts: Vec<Value> = serde_json::from_str(&impacts).unwrap();
    let water = impacts.iter().find(|v| v["vec_code"] == "AGUA").unwrap();
    assert_eq!(
        (water["state"].as_f64(), water["status"].as_str()),
        (Some(274.0), Some("approaching"))
    );

    // Unknown things are a readable 404; a bad period a 400.
    let (status, ctype, _) = get_text(&app, "/e/nada").await;
    assert_eq!((status, ctype.starts_with("text/html")), (404, true));
    assert_eq!(get_text(&app, "/e/moquegua/i/X9").await.0, 404);
    assert_eq!(get_text(&app, "/e/moquegua?period=20x4").await.0, 400);
    assert_eq!(get_text(&app, "/e/moquegua/tablero.xml").await.0, 404);
}

/// An answer's status, headers and raw body.
async fn get_raw(
    app: &TestApp,
    path: &str,
    if_none_match: Option<&str>,
) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(path));
    if let Some(tag) = if_none_match {
        req = req.insert_header(("if-none-match", tag));
    }
    let mut res = req.send().await.unwrap();
    let body = res.body().limit(10 << 20).await.unwrap();
    (res.status().as_u16(), res.headers().clone(), body.to_vec())
}

fn header<'a>(headers: &'a awc::http::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The value of `attr="…"` right after `marker` in a page.
fn attribute_after<'a>(page: &'a str, marker: &str) -> &'a str {
    let rest = &page[page.find(marker).unwrap_or_else(|| panic!("{marker}")) + marker.len()..];
    &rest[..rest.find('"').unwrap()]
}

async fn the_stylesheet_and_script_are_immutable_files_named_by_their_content(app: TestApp) {
    let app = demo(app.backend).await;
    let (_, _, home) = get_text(&app, "/").await;
    let css = attribute_after(&home, r#"<link rel="stylesheet" href=""#).to_string();
    let (_, _, eco) = get_text(&app, "/e/moquegua").await;
    let js = attribute_after(&eco, r#"<script src=""#).to_string();

    // Every page, error pages too, links the same stylesheet.
    for path in [
        "/?lang=en",
        "/e/moquegua",
        "/e/moquegua/i/I1.1",
        "/e/moquegua/impactos",
        "/e/nada",
    ] {
        let (_, _, page) = get_text(&app, path).await;
        assert!(
            page.contains(&format!(r#"<link rel="stylesheet" href="{css}">"#)),
            "{path}"
        );
    }

    for (path, stem, extension, content_type, sample) in [
        (
            &css,
            "portal",
            "css",
            "text/css; charset=utf-8",
            "box-sizing",
        ),
        (
            &js,
            "live",
            "js",
            "text/javascript; charset=utf-8",
            "EventSource",
        ),
    ] {
        // `/static/<stem>.<first 12 hex digits of the content's SHA-256>.<extension>`
        let hash = path
            .strip_prefix(&format!("/static/{stem}."))
            .and_then(|rest| rest.strip_suffix(&format!(".{extension}")))
            .unwrap_or_else(|| panic!("{path}"));
        assert!(
            hash.len() == 12
                && hash
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{path}"
        );
        let (status, headers, body) = get_raw(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "content-type"), content_type, "{path}");
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        let digest = hex::encode(Sha256::digest(&body));
        assert!(
            digest.starts_with(hash),
            "{path}: the name is the content's digest"
        );
        let etag = header(&headers, "etag").to_string();
        assert_eq!(etag, format!("\"{digest}\""), "{path}");
        assert!(String::from_utf8(body).unwrap().contains(sample), "{path}");

        // A client that has the file gets a 304 with the same caching.
        let (status, headers, body) = get_raw(&app, path, Some(&etag)).await;
        assert_eq!((status, body.len()), (304, 0), "{path}");
        assert_eq!(header(&headers, "etag"), etag);
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        let (status, _, _) = get_raw(&app, path, Some("\"another\"")).await;
        assert_eq!(status, 200, "{path}");

        // An old or unknown hash, or no hash, is not found.
        for wrong in [
            format!("/static/{stem}.000000000000.{extension}"),
            format!("/static/{stem}.{}.{extension}", &digest[1..13]),
            format!("/static/{stem}.{digest}.{extension}"),
            format!("/static/{stem}.{extension}"),
            format!("/static/{stem}.{}.{extension}", hash.to_ascii_uppercase()),
        ] {
            if wrong != *path {
                assert_eq!(get_raw(&app, &wrong, None).await.0, 404, "{wrong}");
            }
        }
    }
    // A file's hash under the other file's name is not found either.
    let css_hash = &css["/static/portal.".len().."/static/portal.".len() + 12];
    assert_eq!(
        get_raw(&app, &format!("/static/live.{css_hash}.js"), None)
            .await
            .0,
        404
    );
}

/// GraphiQL comes from the service itself: it renders and runs a query with no other host
/// reachable (the test machine has no internet).
#[actix_web::test]
async fn graphiql_runs_a_query_in_chromium_without_internet() {
    let app = demo(Backend::Sqlite).await;
    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    c.goto(&app.url("/graphql")).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(".graphiql-container .graphiql-execute-button"))
        .await
        .unwrap();
    c.find(Locator::Css(".graphiql-execute-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let text = body_text(&c).await;
        if text.contains("Ecosistema de Desarrollo Territorial") || text.contains("\"moquegua\"") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no result from the default query: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&c, "07-graphiql").await;

    // The documentation explorer shows the schema: GraphiQL's own introspection query went
    // through.
    c.find(Locator::Css(
        r#"button[aria-label="Show Documentation Explorer"]"#,
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let started = std::time::Instant::now();
    loop {
        let docs = match c.find(Locator::Css(".graphiql-doc-explorer")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if docs.contains("Query") && docs.contains("Mutation") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "GraphiQL shows no schema: {docs} / {}",
            body_text(&c).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&c, "08-graphiql-docs").await;
    c.close().await.unwrap();
}

#[actix_web::test]
async fn a_citizen_browses_the_portal_in_chromium() {
    let app = demo(Backend::Sqlite).await;
    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    // Home → Moquegua.
    c.goto(&app.url("/")).await.unwrap();
    assert!(body_text(&c).await.contains("Portal de transparencia"));
    // The stylesheet, a separate file now, is applied.
    let header_colour = c
        .execute(
            "return getComputedStyle(document.querySelector('header.top')).backgroundColor",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(header_colour, json!("rgb(23, 59, 92)"));
    shot(&c, "01-inicio").await;
    c.find(Locator::Css(r#"a[href^="/e/moquegua"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#map svg"))
        .await
        .unwrap();

    // Keyboard: the first Tab reaches the skip link, and it leads to the content.
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .send_keys("\u{e004}")
        .await
        .unwrap();
    let focused = c.active_element().await.unwrap();
    assert_eq!(
        focused.attr("href").await.unwrap().as_deref(),
        Some("#main")
    );
    assert_eq!(count(&c, "main#main").await, 1);

    // The map: four perspectives as bands, the eighteen objectives, statuses in words.
    assert_eq!(count(&c, "#map svg g.band").await, 4);
    assert_eq!(count(&c, "#map svg g.objective").await, 18);
    let text = body_text(&c).await;
    for p in ["Resultados", "Procesos", "Habilitadores"] {
        assert!(text.contains(p), "{p}");
    }
    assert!(count(&c, r#"#map svg g.objective[data-status="green"]"#).await > 0);
    shot(&c, "02-ecosistema").await;

    // An indicator in one click from the scorecard: its chart and the provenance of values.
    c.find(Locator::Css(r#"#scorecard a[href*="/i/I1.1"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("svg.chart"))
        .await
        .unwrap();
    assert!(
        count(&c, "svg.chart g.point").await >= 4,
        "actual values are plotted"
    );
    assert!(count(&c, "#provenance tbody tr").await >= 4);
    assert!(body_text(&c).await.contains("Procedencia de cada valor"));
    shot(&c, "03-indicador").await;

    // The language switch keeps the page.
    c.find(Locator::Css(r#"header nav a[hreflang="en"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(r#"html[lang="en"]"#))
        .await
        .unwrap();
    let text = body_text(&c).await;
    assert!(
        text.contains("Provenance of each value") && text.contains("Trajectory"),
        "{text}"
    );
    shot(&c, "04-indicator-en").await;

    c.goto(&app.url("/e/moquegua/impactos?scenario=with_planned&period=2028"))
        .await
        .unwrap();
    assert_eq!(count(&c, "#impacts tbody tr").await, 6);
    assert!(body_text(&c).await.contains("Acercándose"));
    shot(&c, "05-impactos").await;

    // The commitments, one click from the ecosystem's sections: overdue said in words.
    c.goto(&app.url("/e/moquegua")).await.unwrap();
    c.find(Locator::Css(
        r#"nav.sections a[href="/e/moquegua/compromisos"]"#,
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("table.commitments"))
        .await
        .unwrap();
    assert_eq!(count(&c, "table.commitments tbody tr").await, 8);
    assert!(count(&c, "table.commitments tr.is-overdue strong.overdue").await >= 3);
    let text = body_text(&c).await;
    assert!(
        text.contains("VENCIDO") && text.contains("Desestimado"),
        "{text}"
    );
    shot(&c, "08-compromisos").await;

    // Live: a value awaiting review for 2025 is approved through the API; the open page
    // shows it without a reload.
    let pending = app
        .app
        .measurements(
            Some(&Caller::operator()),
            app.app
                .indicators_of_objectives(
                    app.app
                        .objectives(
                            app.app
                                .ecosystem_by_slug("moquegua".into())
                                .await
                                .unwrap()
                                .unwrap()
                                .id,
                            None,
                            None,
                        )
                        .await
                        .unwrap()
                        .iter()
                        .map(|o| o.id)
                        .collect(),
                )
                .await
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect(),
            MeasurementFilter {
                status: Some(MeasurementStatus::Submitted),
                ..MeasurementFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.period.to_string() == "2025" && m.territory == "18")
        .expect("the demo has 2025 values awaiting review");
    let code = app
        .app
        .indicators_by_ids(vec![pending.indicator_id.unwrap()])
        .await
        .unwrap()
        .remove(0)
        .definition
        .code;
    c.goto(&app.url("/e/moquegua?period=2025")).await.unwrap();
    let cell = format!(r#"#scorecard tr[data-indicator="{code}"] td.actual"#);
    let before = c
        .find(Locator::Css(&cell))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Give the page's event stream a moment to connect before the approval.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#live"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let admin = app.login_as(ayni::domain::Role::Coordinator).await;
    let approved = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { approveMeasurement(id: $id) { status value } }",
            json!({"id": pending.id.to_string()}),
        )
        .await
        .body;
    assert_eq!(
        approved["data"]["approveMeasurement"]["status"], "APPROVED",
        "{approved}"
    );
    let expected = ayni_fmt(pending.value);
    let start = Instant::now();
    // The live script rewrites the cell: an element found just before it does can be stale
    // when read, which only means "look again".
    async fn text_of(c: &Client, css: &str) -> Option<String> {
        c.find(Locator::Css(css)).await.ok()?.text().await.ok()
    }
    loop {
        let live = text_of(&c, "#live").await.unwrap_or_default();
        let now = text_of(&c, &cell).await.unwrap_or_default();
        if live.contains(&code) && now != before && !now.is_empty() {
            assert_eq!(now, expected, "the approved value shows in the table");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the page did not update: live='{live}', cell '{before}' → '{now}'"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&c, "06-en-vivo").await;

    // A 360 px wide phone: nothing but the map and wide tables (which scroll in their own
    // boxes) is wider than the screen.
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&app.url("/e/moquegua")).await.unwrap();
    let inner = c.execute("return window.innerWidth", vec![]).await.unwrap();
    let width = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    let widest = c
        .execute(
            "var w=window.innerWidth,o=[];document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect();if(r.right>w+1&&!e.closest('.map,.table-wrap'))o.push(e.tagName+'.'+e.className+' '+Math.round(r.right))});return o.slice(0,5).join(', ')",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        width.as_f64().unwrap() <= inner.as_f64().unwrap() + 1.0,
        "page {width} px wide on a {inner} px screen: {widest}"
    );
    shot(&c, "07-movil").await;
    c.close().await.unwrap();
}

/// A number as the portal shows it (up to two decimals, no trailing zeros).
fn ayni_fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The investment portfolio in Chromium, from the ecosystem's sections: the year's monthly
/// curve (an SVG chart), the standing alerts in words; a project sheet with its execution
/// chart, an alert's sentence, the objective it serves and the commitments that name it, one
/// click from their row of the commitments page. Screenshots `20-inversiones` and
/// `21-inversion-ficha`.
#[actix_web::test]
async fn a_citizen_follows_the_investments_in_chromium() {
    let app = demo(Backend::Sqlite).await;
    // A demo project that serves an objective and has an alert standing, by the API.
    let body = app
        .graphql(
            None,
            r#"{ ecosystem(slug: "moquegua") { investments(first: 200) { edges { node {
                 cui links { objective { code } expectedChange } alerts { sentence } } } } } }"#,
            json!({}),
        )
        .await
        .body;
    let nodes = body["data"]["ecosystem"]["investments"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let project = nodes
        .iter()
        .map(|e| &e["node"])
        .find(|n| {
            n["cui"].is_string()
                && !n["alerts"].as_array().unwrap().is_empty()
                && n["links"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["objective"]["code"].is_string())
        })
        .expect("a demo project with an objective and an alert");
    let cui = project["cui"].as_str().unwrap();
    let objective = project["links"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|l| l["objective"]["code"].as_str())
        .unwrap();
    let alert = project["alerts"][0]["sentence"].as_str().unwrap();

    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    // The portfolio, one click from the ecosystem's sections.
    c.goto(&app.url("/e/moquegua")).await.unwrap();
    click_on(&c, r#"nav.sections a[href="/e/moquegua/inversiones"]"#).await;
    wait_for_element(&c, "#curve svg.chart").await;
    assert!(
        count(&c, "#curve svg.chart path").await >= 2,
        "the accrued and PIM curves are drawn"
    );
    assert!(
        count(&c, "#curve svg.chart g.point").await >= 12,
        "monthly points"
    );
    assert!(count(&c, "#ranking tbody tr").await >= 5);
    let alerts = text_of(&c, "#alerts").await;
    assert!(
        alerts.contains("El PIM se recortó el") && alerts.contains("sin avance"),
        "alerts said in words: {alerts}"
    );
    assert!(alerts.contains("Crítica") && alerts.contains("Advertencia"));
    shot(&c, "20-inversiones").await;

    // A project sheet from the list.
    click_on(
        &c,
        &format!(r#"#list a[href="/e/moquegua/inversiones/{cui}"]"#),
    )
    .await;
    wait_for_element(&c, "#execution svg.chart").await;
    let text = body_text(&c).await;
    assert!(text.contains(&format!("CUI {cui}")), "{text}");
    let links = text_of(&c, "#links").await;
    assert!(links.contains(&format!("Objetivo {objective}")), "{links}");
    let sheet_alerts = text_of(&c, "#sheet-alerts").await;
    assert!(sheet_alerts.contains(alert), "{alert} in {sheet_alerts}");
    // The screenshot shows the execution chart, the physical progress and the alerts.
    c.execute(
        "document.querySelector('#execution').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "21-inversion-ficha").await;

    // The sheet of the project the demo's commitments name: each commitment links to its row.
    c.goto(&app.url("/e/moquegua/inversiones/2456781"))
        .await
        .unwrap();
    wait_for_element(&c, "#sheet-commitments table.commitments").await;
    assert_eq!(
        count(&c, "#sheet-commitments tbody tr").await,
        2,
        "the two demo commitments that name CUI 2456781"
    );
    let link = c
        .find(Locator::Css("#sheet-commitments tbody tr a"))
        .await
        .unwrap();
    let href = link.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("/e/moquegua/compromisos#c"), "{href}");
    link.click().await.unwrap();
    wait_for_element(&c, "table.commitments tr:target").await;
    let row = text_of(&c, "table.commitments tr:target").await;
    assert!(row.contains("2456781"), "{row}");
    c.close().await.unwrap();
}
