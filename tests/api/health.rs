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
    let html = a.body.as_str().expect("html");
    assert!(
        html.contains("graphiql") || html.contains("GraphiQL"),
        "{html}"
    );
}
