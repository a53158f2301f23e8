use awc::http::StatusCode;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    health_reports_the_backend_and_version,
    graphiql_is_served_on_get
);

async fn health_reports_the_backend_and_version(app: TestApp) {
    let a = app.get("/api/v1/health").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["status"], "ok");
    assert_eq!(a.body["database"], app.backend.name());
    assert_eq!(a.body["version"], env!("CARGO_PKG_VERSION"));
}

async fn graphiql_is_served_on_get(app: TestApp) {
    let a = app.get("/graphql").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.body.as_str().expect("html").to_string();
    assert!(html.contains("GraphiQL"), "{html}");
    // Everything it loads is served here: no other host is named.
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "{html}"
    );
    for (file, kind) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("react.production.min.js", "text/javascript"),
        ("react-dom.production.min.js", "text/javascript"),
    ] {
        assert!(html.contains(&format!("/graphiql/{file}")), "{file}");
        let res = app
            .client
            .get(app.url(&format!("/graphiql/{file}")))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        let content_type = res.headers().get("content-type").unwrap().to_str().unwrap();
        assert!(content_type.starts_with(kind), "{file}: {content_type}");
    }
    assert_eq!(
        app.get("/graphiql/other.js").await.status,
        StatusCode::NOT_FOUND
    );
}
