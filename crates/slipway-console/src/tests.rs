//! Which requests the console takes, and how it answers. The assets are
//! those `scripts/build-console.sh` built (setup runs it before cargo).
use super::*;
use http_body_util::BodyExt;

fn get(uri: &str) -> Request<()> {
    Request::builder().uri(uri).body(()).unwrap()
}

async fn body(r: Response) -> Vec<u8> {
    r.into_body().collect().await.unwrap().to_bytes().to_vec()
}

#[test]
fn only_unsigned_gets_of_the_console_paths_are_the_consoles() {
    for uri in [
        "/",
        "/console",
        "/console/",
        "/console/model-packages/x",
        "/console/assets/a.js",
    ] {
        assert!(wants(&get(uri)), "{uri}");
    }
    for uri in ["/bucket/key", "/consoles", "/v2/", "/_slipway/health"] {
        assert!(!wants(&get(uri)), "{uri}");
    }
    let signed = Request::builder()
        .uri("/console/key")
        .header("authorization", "AWS4-HMAC-SHA256 Credential=…")
        .body(())
        .unwrap();
    assert!(!wants(&signed));
    assert!(!wants(&get(
        "/console/key?X-Amz-Signature=ab&X-Amz-Credential=c"
    )));
    assert!(!wants(&get("/?AWSAccessKeyId=a&Signature=b")));
    let post = Request::builder().method("POST").uri("/").body(()).unwrap();
    assert!(!wants(&post));
}

fn built() -> bool {
    let ok = Assets::get("index.html").is_some();
    assert!(
        ok,
        "console/dist is not built: run scripts/build-console.sh before cargo test"
    );
    ok
}

#[tokio::test]
async fn deep_links_answer_the_index_with_the_region_filled_in() {
    built();
    for uri in ["/", "/console/", "/console/algorithms/my-algo"] {
        let r = serve(&get(uri), "eu-west-3");
        assert_eq!(r.status(), StatusCode::OK, "{uri}");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        let html = String::from_utf8(body(r).await).unwrap();
        assert!(html.contains(r#"content="eu-west-3""#), "{html}");
        assert!(!html.contains(REGION_PLACEHOLDER));
    }
}

#[tokio::test]
async fn assets_are_cached_for_good_and_gzipped_when_asked() {
    built();
    let name = Assets::iter()
        .find(|n| n.starts_with("assets/") && n.ends_with(".js"))
        .expect("a script asset");
    let plain = serve(&get(&format!("/console/{name}")), "us-east-1");
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert!(plain.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let raw = body(plain).await;

    let req = Request::builder()
        .uri(format!("/console/{name}"))
        .header(header::ACCEPT_ENCODING, "br;q=1.0, gzip;q=0.8")
        .body(())
        .unwrap();
    let zipped = serve(&req, "us-east-1");
    assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
    let z = body(zipped).await;
    assert!(z.len() < raw.len());
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(z.as_slice()), &mut back).unwrap();
    assert_eq!(back, raw);

    let refused = Request::builder()
        .uri(format!("/console/{name}"))
        .header(header::ACCEPT_ENCODING, "gzip;q=0")
        .body(())
        .unwrap();
    assert!(serve(&refused, "us-east-1")
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_none());
}

#[test]
fn a_missing_asset_is_not_the_index() {
    let r = serve(&get("/console/assets/nope-123.js"), "us-east-1");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
