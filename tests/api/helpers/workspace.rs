//! A browser-like client of the workspace: keeps cookies, does not follow redirects, finds
//! the CSRF field of a page, posts forms (urlencoded and multipart).
#![allow(dead_code)] // a toolbox: each workspace test uses part of it

use std::collections::BTreeMap;
use std::sync::Mutex;

use actix_web::cookie::Cookie;
use awc::http::StatusCode;

use super::TestApp;

/// A response as a browser sees it.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    /// `Location` of a redirect.
    pub location: Option<String>,
    pub content_type: String,
    pub headers: awc::http::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        hidden_value(&self.text(), "csrf")
            .unwrap_or_else(|| panic!("no csrf field in: {}", self.text()))
    }
}

/// The `value` of the first `<input ... name="NAME" ... value="...">`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + 7;
    let rest = &tag[v..];
    Some(rest[..rest.find('"')?].to_string())
}

pub struct WorkspaceClient<'a> {
    app: &'a TestApp,
    client: awc::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// One file of a multipart form: field name, file name, content type, bytes.
pub struct Upload<'b> {
    pub field: &'b str,
    pub file_name: &'b str,
    pub content_type: &'b str,
    pub bytes: Vec<u8>,
}

impl<'a> WorkspaceClient<'a> {
    pub fn new(app: &'a TestApp) -> WorkspaceClient<'a> {
        WorkspaceClient {
            app,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(60))
                .finish(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.into(), value.into());
    }

    pub fn forget_cookie(&self, name: &str) {
        self.cookies.lock().unwrap().remove(name);
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(
        &self,
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
    ) -> Page {
        for v in res.headers().get_all("set-cookie") {
            let c = Cookie::parse(v.to_str().unwrap().to_string()).unwrap();
            let removed = c.max_age().is_some_and(|a| a.is_zero())
                || c.expires_datetime()
                    .is_some_and(|t| t < actix_web::cookie::time::OffsetDateTime::now_utc());
            let mut jar = self.cookies.lock().unwrap();
            if removed {
                jar.remove(c.name());
            } else {
                jar.insert(c.name().to_string(), c.value().to_string());
            }
        }
        let bytes = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("body")
            .to_vec();
        Page {
            status: res.status(),
            location: res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            content_type: res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            headers: res.headers().clone(),
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let res = self
            .client
            .get(self.app.url(path))
            .insert_header(("cookie", self.cookie_header()))
            .send()
            .await
            .expect("GET");
        self.finish(res).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let res = self
            .client
            .post(self.app.url(path))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .send_body(body)
            .await
            .expect("POST");
        self.finish(res).await
    }

    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<Upload<'_>>,
    ) -> Page {
        let boundary = "ayni-test-boundary-7f3a9c";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for f in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                    f.field, f.file_name, f.content_type
                )
                .as_bytes(),
            );
            body.extend_from_slice(&f.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let res = self
            .client
            .post(self.app.url(path))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .send_body(body)
            .await
            .expect("POST multipart");
        self.finish(res).await
    }

    /// Signs in through the sign-in form; returns the answer to the POST.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.get("/app/login").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text());
        let csrf = form.csrf();
        self.post_form(
            "/app/login",
            &[("email", email), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// Signs in and asserts it worked.
    pub async fn signed_in(app: &'a TestApp, email: &str, password: &str) -> WorkspaceClient<'a> {
        let c = WorkspaceClient::new(app);
        let p = c.sign_in(email, password).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "sign-in: {}", p.text());
        assert!(c.cookie("ayni_session").is_some(), "no session cookie");
        c
    }

    /// The CSRF token shown on a page of this session.
    pub async fn csrf(&self, path: &str) -> String {
        let p = self.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.text());
        p.csrf()
    }
}
