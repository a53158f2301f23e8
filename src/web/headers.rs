//! Security headers on every response (portal pages, open data, JSON, GraphQL, static files,
//! errors): a Content-Security-Policy, `X-Content-Type-Options: nosniff`, no framing
//! (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), `Referrer-Policy: no-referrer`, and
//! `Strict-Transport-Security` when the service is configured as served over https.
//! See docs/security.md ("Headers").

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The portal and everything else: scripts, styles, images and connections from this origin
/// only; no inline script or style, no plugins, no framing, forms post only here.
pub const STRICT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

/// GraphiQL (`GET /graphql` and `/graphiql/...`): its scripts are files from this origin, but
/// React and its editor set inline styles, load fonts and icons as `data:` URLs and start web
/// workers from `blob:` URLs.
pub const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
connect-src 'self'; worker-src 'self' blob:; form-action 'self'; base-uri 'none'; \
frame-ancestors 'none'";

/// `Strict-Transport-Security` sent when `AYNI_HSTS` is on: one year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Which policy a path gets.
pub fn csp_for(path: &str) -> &'static str {
    if path == "/graphql" || path.starts_with("/graphiql/") {
        GRAPHIQL_CSP
    } else {
        STRICT_CSP
    }
}

/// The middleware (`actix_web::middleware::from_fn`): adds the headers a handler did not set.
pub async fn security_headers(
    hsts: bool,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let csp = csp_for(req.path());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, csp);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    if hsts {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphiql_gets_its_own_policy_and_everything_else_the_strict_one() {
        assert_eq!(csp_for("/graphql"), GRAPHIQL_CSP);
        assert_eq!(csp_for("/graphiql/graphiql.min.js"), GRAPHIQL_CSP);
        for path in [
            "/",
            "/e/moquegua",
            "/static/portal.css",
            "/api/v1/health",
            "/nada",
        ] {
            assert_eq!(csp_for(path), STRICT_CSP, "{path}");
        }
        for policy in [STRICT_CSP, GRAPHIQL_CSP] {
            assert!(policy.contains("frame-ancestors 'none'"));
            assert!(policy.contains("script-src 'self';"));
            assert!(!policy.contains("unsafe-eval"));
        }
        assert!(!STRICT_CSP.contains("unsafe-inline"));
    }
}
