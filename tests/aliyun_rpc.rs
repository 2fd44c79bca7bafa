//! In-process protocol tests: signed requests through the real actix app, with exact
//! (golden) JSON and XML bodies for success and error, and the protocol's error paths.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use actix_web::test::TestRequest;
use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{T0, call, send, signed_query, signed_query_with, state};

const GOLDEN_CREATE_KEY: &str = r#"{"RequestId":"AFCD1D7B-39A8-40E2-B465-B9A16A9E786E","KeyMetadata":{"CreationDate":"2024-01-01T00:00:00Z","Description":"golden: é *~","KeyId":"4f450980-185d-4406-ac81-4c72a8b88bf8","KeyState":"PendingImport","KeyUsage":"ENCRYPT/DECRYPT","KeySpec":"Aliyun_SM4","Origin":"EXTERNAL","ProtectionLevel":"SOFTWARE","Creator":"1234567890123456","Arn":"acs:kms:cn-hangzhou:1234567890123456:key/4f450980-185d-4406-ac81-4c72a8b88bf8","DeleteDate":"","MaterialExpireTime":"","AutomaticRotation":"Disabled","RotationInterval":"","LastRotationDate":"2024-01-01T00:00:00Z","NextRotationDate":"","PrimaryKeyVersion":"9b74a851-6a89-491b-aaa2-7e740c9fcb53","DKMSInstanceId":""}}"#;

const GOLDEN_DESCRIBE_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><KMS><RequestId>E132451F-BE9A-422C-BCAB-16C93A1384C5</RequestId><KeyMetadata><CreationDate>2024-01-01T00:00:00Z</CreationDate><Description>golden: é *~</Description><KeyId>4f450980-185d-4406-ac81-4c72a8b88bf8</KeyId><KeyState>PendingImport</KeyState><KeyUsage>ENCRYPT/DECRYPT</KeyUsage><KeySpec>Aliyun_SM4</KeySpec><Origin>EXTERNAL</Origin><ProtectionLevel>SOFTWARE</ProtectionLevel><Creator>1234567890123456</Creator><Arn>acs:kms:cn-hangzhou:1234567890123456:key/4f450980-185d-4406-ac81-4c72a8b88bf8</Arn><DeleteDate></DeleteDate><MaterialExpireTime></MaterialExpireTime><AutomaticRotation>Disabled</AutomaticRotation><RotationInterval></RotationInterval><LastRotationDate>2024-01-01T00:00:00Z</LastRotationDate><NextRotationDate></NextRotationDate><PrimaryKeyVersion>9b74a851-6a89-491b-aaa2-7e740c9fcb53</PrimaryKeyVersion><DKMSInstanceId></DKMSInstanceId><DeletionProtection>Disabled</DeletionProtection><DeletionProtectionDescription></DeletionProtectionDescription></KeyMetadata></KMS>"#;
const GOLDEN_NOT_FOUND_JSON: &str = r#"{"RequestId":"C38AC941-9078-453E-A6B0-8C368C48B8F3","HostId":"kms.cn-hangzhou.aliyuncs.com","Code":"Forbidden.KeyNotFound","Message":"The specified Key is not found.","Recommend":"https://api.aliyun.com/troubleshoot?q=Forbidden.KeyNotFound&product=Kms&requestId=C38AC941-9078-453E-A6B0-8C368C48B8F3"}"#;
const GOLDEN_NOT_FOUND_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>093DB13C-DDEC-4E65-B6DE-5B05E026D3C2</RequestId><HostId>kms.cn-hangzhou.aliyuncs.com</HostId><Code>Forbidden.KeyNotFound</Code><Message>The specified Key is not found.</Message><Recommend>https://api.aliyun.com/troubleshoot?q=Forbidden.KeyNotFound&amp;product=Kms&amp;requestId=093DB13C-DDEC-4E65-B6DE-5B05E026D3C2</Recommend></Error>"#;

#[actix_web::test]
async fn golden_bodies() {
    let (st, _) = state();
    let r = call(
        &st,
        &[
            ("Action", "CreateKey"),
            ("Origin", "EXTERNAL"),
            ("KeySpec", "Aliyun_SM4"),
            ("Description", "golden: é *~"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "application/json;charset=utf-8");
    assert_eq!(r.body, GOLDEN_CREATE_KEY);
    assert_eq!(r.json()["RequestId"], r.request_id.as_str());
    let key_id = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = call(
        &st,
        &[
            ("Action", "DescribeKey"),
            ("KeyId", &key_id),
            ("Format", "XML"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "text/xml;charset=utf-8");
    assert_eq!(r.body, GOLDEN_DESCRIBE_XML);

    let r = call(
        &st,
        &[
            ("Action", "DescribeKey"),
            ("KeyId", "00000000-0000-0000-0000-000000000000"),
        ],
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, GOLDEN_NOT_FOUND_JSON);

    let r = call(
        &st,
        &[
            ("Action", "DescribeKey"),
            ("KeyId", "missing"),
            ("Format", "xml"),
        ],
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type, "text/xml;charset=utf-8");
    assert_eq!(r.body, GOLDEN_NOT_FOUND_XML);
    let _ = T0;
}

fn code(r: &common::Resp) -> String {
    r.json()["Code"].as_str().unwrap_or_default().to_owned()
}

#[actix_web::test]
async fn protocol_errors_have_their_codes_and_statuses() {
    let (st, _) = state();
    type Case = (Vec<(&'static str, &'static str)>, u16, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![("Action", "NoSuchAction")],
            404,
            "InvalidAction.NotFound",
        ),
        (
            vec![("Action", "ListKeys"), ("Version", "2014-01-01")],
            400,
            "InvalidVersion",
        ),
        (vec![("Action", "DescribeKey")], 400, "MissingParameter"),
        (
            vec![("Action", "DescribeKey"), ("KeyId", "")],
            400,
            "MissingParameter",
        ),
        (
            vec![("Action", "ListKeys"), ("PageSize", "1000")],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "ListKeys"), ("PageNumber", "abc")],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "CreateKey"), ("KeySpec", "Aliyun_AES_128")],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "CreateKey"), ("Origin", "external")],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "CreateKey"),
                ("KeySpec", "RSA_2048"),
                ("Origin", "EXTERNAL"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "CreateKey"),
                ("Origin", "EXTERNAL"),
                ("EnableAutomaticRotation", "True"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "CreateKey"), ("Tags", "not json")],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "Encrypt"), ("KeyId", "k"), ("Plaintext", "%%%")],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "Encrypt"),
                ("KeyId", "k"),
                ("Plaintext", "aGk="),
                ("EncryptionContext", "{bad"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "Encrypt"), ("KeyId", "k"), ("Plaintext", "aGk=")],
            404,
            "Forbidden.KeyNotFound",
        ),
        (
            vec![
                ("Action", "Encrypt"),
                ("KeyId", "alias/none"),
                ("Plaintext", "aGk="),
            ],
            404,
            "Forbidden.AliasNotFound",
        ),
        (
            vec![("Action", "Decrypt"), ("CiphertextBlob", "AAAA")],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "Decrypt"), ("CiphertextBlob", "not base64")],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "GenerateDataKey"),
                ("KeyId", "k"),
                ("NumberOfBytes", "0"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "GenerateDataKey"),
                ("KeyId", "k"),
                ("KeySpec", "AES_512"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "GetParametersForImport"), ("KeyId", "k")],
            400,
            "MissingParameter",
        ),
        (
            vec![
                ("Action", "GetParametersForImport"),
                ("KeyId", "k"),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_512"),
                ("WrappingKeySpec", "RSA_2048"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "GetParametersForImport"),
                ("KeyId", "k"),
                ("WrappingAlgorithm", "RSAES_OAEP_SHA_1"),
                ("WrappingKeySpec", "RSA_4096"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "ImportKeyMaterial"),
                ("KeyId", "k"),
                ("ImportToken", "t"),
                ("EncryptedKeyMaterial", "AA==="),
                ("KeyMaterialExpireUnix", "0"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "ImportKeyMaterial"),
                ("KeyId", "k"),
                ("ImportToken", "t"),
                ("EncryptedKeyMaterial", "AAAA"),
                ("KeyMaterialExpireUnix", "soon"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "ImportKeyMaterial"),
                ("KeyId", "k"),
                ("ImportToken", "t"),
                ("EncryptedKeyMaterial", "AAAA"),
                ("KeyMaterialExpireUnix", "99999999999999"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![
                ("Action", "ImportKeyMaterial"),
                ("KeyId", "k"),
                ("ImportToken", "t"),
                ("EncryptedKeyMaterial", "AAAA"),
                ("KeyMaterialExpireUnix", "-5"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            vec![("Action", "Format"), ("Format", "YAML")],
            400,
            "InvalidParameter",
        ),
    ];
    for (params, status, expected) in cases {
        let r = call(&st, &params).await;
        assert_eq!(
            (r.status, code(&r).as_str()),
            (status, expected),
            "{params:?}: {}",
            r.body
        );
        assert!(!r.request_id.is_empty());
    }
}

#[actix_web::test]
async fn authentication_errors() {
    let (st, _) = state();
    // Unknown access key.
    let uri = format!(
        "/?{}",
        signed_query_with("POST", &[("Action", "ListKeys")], "nobody", "x")
    );
    let r = send(&st, TestRequest::post().uri(&uri)).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (404, "InvalidAccessKeyId.NotFound")
    );
    // Wrong secret: the message carries the server's string to sign after a colon, which
    // the classic SDK splits on.
    let uri = format!(
        "/?{}",
        signed_query_with("POST", &[("Action", "ListKeys")], "testid", "wrong")
    );
    let r = send(&st, TestRequest::post().uri(&uri)).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (400, "SignatureDoesNotMatch")
    );
    let message = r.json()["Message"].as_str().unwrap().to_owned();
    let server_sts = message.split(':').nth(1).unwrap();
    assert!(
        server_sts.starts_with("POST&%2F&AccessKeyId%3Dtestid%26Action%3DListKeys"),
        "{message}"
    );
    // A replayed request.
    let uri = format!("/?{}", signed_query("POST", &[("Action", "ListKeys")]));
    assert_eq!(send(&st, TestRequest::post().uri(&uri)).await.status, 200);
    let r = send(&st, TestRequest::post().uri(&uri)).await;
    assert_eq!((r.status, code(&r).as_str()), (400, "SignatureNonceUsed"));
    // A timestamp 20 minutes old.
    let old = (chrono::Utc::now() - chrono::Duration::minutes(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let uri = format!(
        "/?{}",
        signed_query("POST", &[("Action", "ListKeys"), ("Timestamp", &old)])
    );
    let r = send(&st, TestRequest::post().uri(&uri)).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (400, "InvalidTimeStamp.Expired")
    );
    let uri = format!(
        "/?{}",
        signed_query(
            "POST",
            &[("Action", "ListKeys"), ("Timestamp", "yesterday")]
        )
    );
    let r = send(&st, TestRequest::post().uri(&uri)).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (400, "InvalidTimeStamp.Format")
    );
    // Unsigned.
    let r = send(
        &st,
        TestRequest::post().uri("/?Action=ListKeys&Version=2016-01-20"),
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "MissingParameter"));
    // A malformed ACS3 header.
    let r = send(
        &st,
        TestRequest::post()
            .uri("/")
            .insert_header(("authorization", "ACS3-HMAC-SHA256 garbage")),
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "IncompleteSignature"));
}

#[actix_web::test]
async fn methods_paths_and_body_limits() {
    let (st, _) = state();
    let r = send(&st, TestRequest::put().uri("/?Format=XML")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.content_type, "text/xml;charset=utf-8");
    assert!(r.body.contains("<Code>UnsupportedHTTPMethod</Code>"));
    let r = send(&st, TestRequest::get().uri("/other")).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (404, "InvalidAction.NotFound")
    );
    let big = vec![b'a'; qkms::protocol::MAX_BODY + 1];
    let r = send(
        &st,
        TestRequest::post()
            .uri("/?Format=XML")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(big),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("<?xml") && r.body.contains("<Code>InvalidParameter</Code>"),
        "{}",
        r.body
    );
    let r = send(&st, TestRequest::get().uri("/healthz")).await;
    assert_eq!(r.status, 200);
    // GET works like POST, and form-body parameters are signed and read.
    let uri = format!("/?{}", signed_query("GET", &[("Action", "ListKeys")]));
    assert_eq!(send(&st, TestRequest::get().uri(&uri)).await.status, 200);
    let body = signed_query(
        "POST",
        &[("Action", "CreateKey"), ("Description", "from the body")],
    );
    let r = send(
        &st,
        TestRequest::post()
            .uri("/")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["KeyMetadata"]["Description"], "from the body");
}

fn wrap(public_b64: &str, algorithm: &str, material: &[u8]) -> String {
    let public = PublicEncryptingKey::from_der(&B64.decode(public_b64).unwrap()).unwrap();
    let mut out = vec![0u8; 256];
    let n = match algorithm {
        "RSAES_PKCS1_V1_5" => Pkcs1PublicEncryptingKey::new(public)
            .unwrap()
            .encrypt(material, &mut out)
            .unwrap()
            .len(),
        "RSAES_OAEP_SHA_1" => OaepPublicEncryptingKey::new(public)
            .unwrap()
            .encrypt(&OAEP_SHA1_MGF1SHA1, material, &mut out, None)
            .unwrap()
            .len(),
        other => panic!("{other}"),
    };
    B64.encode(&out[..n])
}

#[actix_web::test]
async fn byok_over_the_protocol() {
    let (st, clock) = state();
    for (spec, len, algorithm) in [
        ("Aliyun_AES_256", 32, "RSAES_PKCS1_V1_5"),
        ("Aliyun_SM4", 16, "RSAES_OAEP_SHA_1"),
    ] {
        let r = call(
            &st,
            &[
                ("Action", "CreateKey"),
                ("Origin", "EXTERNAL"),
                ("KeySpec", spec),
            ],
        )
        .await;
        let id = r.json()["KeyMetadata"]["KeyId"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = call(
            &st,
            &[("Action", "Encrypt"), ("KeyId", &id), ("Plaintext", "aGk=")],
        )
        .await;
        assert_eq!(
            (r.status, code(&r).as_str()),
            (409, "Rejected.PendingImport")
        );
        let r = call(
            &st,
            &[
                ("Action", "GetParametersForImport"),
                ("KeyId", &id),
                ("WrappingAlgorithm", algorithm),
                ("WrappingKeySpec", "RSA_2048"),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let p = r.json();
        assert_eq!(p["KeyId"], id.as_str());
        assert_eq!(p["TokenExpireTime"], "2024-01-02T00:00:00Z");
        let token = p["ImportToken"].as_str().unwrap().to_owned();
        let public = p["PublicKey"].as_str().unwrap().to_owned();
        let material = vec![0x5a; len];
        let expire = (T0 + 60).to_string();
        let r = call(
            &st,
            &[
                ("Action", "ImportKeyMaterial"),
                ("KeyId", &id),
                ("ImportToken", &token),
                ("EncryptedKeyMaterial", &wrap(&public, algorithm, &material)),
                ("KeyMaterialExpireUnix", &expire),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json().as_object().unwrap().len(), 1, "only RequestId");
        let r = call(&st, &[("Action", "DescribeKey"), ("KeyId", &id)]).await;
        assert_eq!(r.json()["KeyMetadata"]["KeyState"], "Enabled");
        assert_eq!(
            r.json()["KeyMetadata"]["MaterialExpireTime"],
            "2024-01-01T00:01:00Z"
        );

        let r = call(
            &st,
            &[
                ("Action", "GenerateDataKey"),
                ("KeyId", &id),
                ("KeySpec", "AES_128"),
                ("EncryptionContext.app", "x"),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let dk = r.json();
        assert_eq!(
            B64.decode(dk["Plaintext"].as_str().unwrap()).unwrap().len(),
            16
        );
        let r = call(
            &st,
            &[
                ("Action", "Decrypt"),
                ("CiphertextBlob", dk["CiphertextBlob"].as_str().unwrap()),
                ("EncryptionContext", r#"{"app":"x"}"#),
            ],
        )
        .await;
        assert_eq!(r.json()["Plaintext"], dk["Plaintext"]);
        assert_eq!(r.json()["KeyId"], id.as_str());

        let r = call(
            &st,
            &[
                ("Action", "GenerateDataKeyWithoutPlaintext"),
                ("KeyId", &id),
                ("NumberOfBytes", "1024"),
            ],
        )
        .await;
        assert_eq!(r.status, 200);
        assert!(r.json().get("Plaintext").is_none());

        // DryRun on Encrypt: validated, then refused.
        let r = call(
            &st,
            &[
                ("Action", "Encrypt"),
                ("KeyId", &id),
                ("Plaintext", "aGk="),
                ("DryRun", "true"),
            ],
        )
        .await;
        assert_eq!((r.status, code(&r).as_str()), (400, "DryRunOperationError"));

        // Expiry.
        clock.advance(60).unwrap();
        let r = call(&st, &[("Action", "DescribeKey"), ("KeyId", &id)]).await;
        assert_eq!(r.json()["KeyMetadata"]["KeyState"], "PendingImport");
        assert_eq!(r.json()["KeyMetadata"]["MaterialExpireTime"], "");
        let r = call(&st, &[("Action", "GenerateDataKey"), ("KeyId", &id)]).await;
        assert_eq!(
            (r.status, code(&r).as_str()),
            (409, "Rejected.PendingImport")
        );
        clock.advance(-60).unwrap();
    }
}

#[actix_web::test]
async fn list_keys_paging_and_shape() {
    let (st, _) = state();
    for _ in 0..3 {
        assert_eq!(call(&st, &[("Action", "CreateKey")]).await.status, 200);
    }
    let r = call(
        &st,
        &[
            ("Action", "ListKeys"),
            ("PageSize", "2"),
            ("PageNumber", "2"),
        ],
    )
    .await;
    let v = r.json();
    assert_eq!(v["TotalCount"], 3);
    assert_eq!(v["PageNumber"], 2);
    assert_eq!(v["PageSize"], 2);
    let keys = v["Keys"]["Key"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert!(
        keys[0]["KeyArn"]
            .as_str()
            .unwrap()
            .ends_with(keys[0]["KeyId"].as_str().unwrap())
    );
    // Filters: AND across keys, OR within values.
    let r = call(
        &st,
        &[
            ("Action", "CreateKey"),
            ("Origin", "EXTERNAL"),
            ("KeySpec", "Aliyun_SM4"),
        ],
    )
    .await;
    let ext = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let filtered = |f: &'static str| {
        let st = st.clone();
        async move {
            call(&st, &[("Action", "ListKeys"), ("Filters", f)])
                .await
                .json()
        }
    };
    let v = filtered(r#"[{"Key":"KeyState","Values":["PendingImport"]}]"#).await;
    assert_eq!(v["TotalCount"], 1);
    assert_eq!(v["Keys"]["Key"][0]["KeyId"], ext.as_str());
    let v = filtered(r#"[{"Key":"KeyState","Values":["Enabled","PendingImport"]}]"#).await;
    assert_eq!(v["TotalCount"], 4);
    let v = filtered(
        r#"[{"Key":"KeyState","Values":["Enabled"]},{"Key":"KeySpec","Values":["Aliyun_SM4"]}]"#,
    )
    .await;
    assert_eq!(v["TotalCount"], 0);
    let r = call(
        &st,
        &[
            ("Action", "ListKeys"),
            ("Filters", r#"[{"Key":"Colour","Values":["red"]}]"#),
        ],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "InvalidParameter"));
    assert_eq!(
        call(
            &st,
            &[
                ("Action", "ScheduleKeyDeletion"),
                ("KeyId", &ext),
                ("PendingWindowInDays", "7")
            ]
        )
        .await
        .status,
        200
    );
    let r = call(&st, &[("Action", "ListKeys"), ("Format", "XML")]).await;
    assert_eq!(r.body.matches("<Key>").count(), 4, "{}", r.body);
    assert!(r.body.contains("<TotalCount>4</TotalCount>"));
}

#[actix_web::test]
async fn state_errors_are_409() {
    let (st, _) = state();
    let r = call(&st, &[("Action", "CreateKey"), ("Origin", "EXTERNAL")]).await;
    let ext = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(&st, &[("Action", "EnableKey"), ("KeyId", &ext)]).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (409, "Rejected.StateModifiedFailed")
    );
    let r = call(&st, &[("Action", "CreateKey")]).await;
    let id = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let arn = r.json()["KeyMetadata"]["Arn"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&st, &[("Action", "DisableKey"), ("KeyId", &arn)])
            .await
            .status,
        200
    );
    let r = call(
        &st,
        &[("Action", "Encrypt"), ("KeyId", &id), ("Plaintext", "aGk=")],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (409, "Rejected.Disabled"));
    assert_eq!(
        call(
            &st,
            &[
                ("Action", "ScheduleKeyDeletion"),
                ("KeyId", &id),
                ("PendingWindowInDays", "7")
            ]
        )
        .await
        .status,
        200
    );
    let r = call(
        &st,
        &[("Action", "Encrypt"), ("KeyId", &id), ("Plaintext", "aGk=")],
    )
    .await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (409, "Rejected.PendingDeletion")
    );
    let r = call(
        &st,
        &[
            ("Action", "GetParametersForImport"),
            ("KeyId", &id),
            ("WrappingAlgorithm", "RSAES_OAEP_SHA_1"),
            ("WrappingKeySpec", "RSA_2048"),
        ],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "Unsupported.Origin"));
}

/// Loopback pages (a local OpenAPI-Explorer style page) may call the API, and read error
/// replies too; a foreign page may not even have its request executed, preflighted or
/// not, and `/_qkms/*` never answers cross-origin.
#[actix_web::test]
async fn cors_allows_loopback_pages_only() {
    let (st, _) = state();
    let preflight = |origin: &str, path: &str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(path)
            .insert_header(("origin", origin.to_owned()))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header((
                "access-control-request-headers",
                "x-amz-target,authorization",
            ))
    };
    let app = actix_web::test::init_service(qkms::server::app(st.clone())).await;
    let resp =
        actix_web::test::call_service(&app, preflight("http://localhost:3000", "/").to_request())
            .await;
    assert!(resp.status().is_success(), "{:?}", resp.status());
    let h = resp.headers();
    assert_eq!(
        h.get("access-control-allow-origin").unwrap(),
        "http://localhost:3000"
    );
    assert_eq!(
        h.get("access-control-allow-headers").unwrap(),
        "x-amz-target,authorization"
    );
    // A loopback page reads the error reply of an unsigned call.
    let resp = actix_web::test::call_service(
        &app,
        TestRequest::post()
            .uri("/?Action=ListKeys")
            .insert_header(("origin", "http://127.0.0.1:5173"))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "http://127.0.0.1:5173"
    );
    assert!(
        resp.headers()
            .get("access-control-expose-headers")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("x-acs-request-id")
    );

    // A foreign page: no CORS headers, a 403 in the Aliyun shape, and nothing runs.
    let r = send(&st, preflight("https://evil.example", "/")).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (403, "Forbidden.NoPermission")
    );
    let signed = format!("/?{}", signed_query("POST", &[("Action", "CreateKey")]));
    let r = send(
        &st,
        TestRequest::post()
            .uri(&signed)
            .insert_header(("origin", "https://evil.example")),
    )
    .await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (403, "Forbidden.NoPermission")
    );
    assert!(
        r.json()["Message"]
            .as_str()
            .unwrap()
            .contains("--cors-origin")
    );
    assert_eq!(
        st.kms().list_keys(0, 10).unwrap().total,
        0,
        "the refused CreateKey ran"
    );
    let resp = actix_web::test::call_service(
        &app,
        TestRequest::get()
            .uri("/healthz")
            .insert_header(("origin", "null"))
            .to_request(),
    )
    .await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // The AWS dialect answers in its own shape.
    let r = send(
        &st,
        TestRequest::post()
            .uri("/")
            .insert_header(("origin", "https://evil.example"))
            .insert_header(("x-amz-target", "TrentService.ListKeys"))
            .insert_header(("content-type", "application/x-amz-json-1.1"))
            .set_payload("{}"),
    )
    .await;
    assert_eq!(r.json()["__type"], "AccessDeniedException");

    // The admin endpoints: a loopback page of another port is still cross-origin.
    let r = send(&st, preflight("http://localhost:3000", "/_qkms/reset")).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = send(
        &st,
        TestRequest::post()
            .uri("/_qkms/reset")
            .insert_header(("origin", "http://localhost:3000"))
            .insert_header(("authorization", "Bearer admin")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Configured origins are allowed.
    let (st2, _) = state();
    let st2 = st2
        .with_cors(qkms::server::cors::CorsPolicy::new(&["https://docs.example".into()]).unwrap());
    let r = send(&st2, preflight("https://docs.example", "/")).await;
    assert_eq!(r.status, 204);
}

#[actix_web::test]
async fn admin_clock_needs_its_credential() {
    let (st, clock) = state();
    let r = send(&st, TestRequest::get().uri("/_qkms/clock")).await;
    assert_eq!(r.status, 401);
    let r = send(
        &st,
        TestRequest::get()
            .uri("/_qkms/clock")
            .insert_header(("authorization", "Bearer nope")),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = send(
        &st,
        TestRequest::post()
            .uri("/_qkms/clock")
            .insert_header(("authorization", "Bearer admin"))
            .set_payload(r#"{"advance":"25h"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Epoch"], T0 + 25 * 3600);
    assert_eq!(qkms::clock::Clock::now(clock.as_ref()), T0 + 25 * 3600);
    let r = send(
        &st,
        TestRequest::post()
            .uri("/_qkms/clock")
            .insert_header(("authorization", "Bearer admin"))
            .set_payload("{\"advance\":\"soon\"}"),
    )
    .await;
    assert_eq!(r.status, 400);
}

/// The overflow found in review: advancing the admin clock by almost `i64::MAX` seconds
/// wrapped, and a 7-day deletion window then ended at once. The clock now refuses any time
/// outside 1970–9999 with a 400 and stays put, and the key outlives the sweep.
#[actix_web::test]
async fn clock_and_deletion_dates_never_wrap() {
    let (st, clock) = state();
    let admin = |body: &'static str| {
        TestRequest::post()
            .uri("/_qkms/clock")
            .insert_header(("authorization", "Bearer admin"))
            .set_payload(body)
    };
    for body in [
        r#"{"advance_seconds": 9223372036854775000}"#,
        r#"{"advance_seconds": -9223372036854775000}"#,
        r#"{"set": "0001-01-01T00:00:00Z"}"#,
        r#"{"set": "9999-12-31T23:59:59Z", "advance": "1s"}"#,
        r#"{"advance": "99999999999d"}"#,
    ] {
        let r = send(&st, admin(body)).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.json()["Code"], "InvalidParameter");
        assert_eq!(qkms::clock::Clock::now(clock.as_ref()), T0, "{body}");
    }
    let id = new_key(&st).await;
    let r = call(
        &st,
        &[
            ("Action", "ScheduleKeyDeletion"),
            ("KeyId", &id),
            ("PendingWindowInDays", "7"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    st.kms().sweep().unwrap();
    let meta = call(&st, &[("Action", "DescribeKey"), ("KeyId", &id)])
        .await
        .json();
    assert_eq!(meta["KeyMetadata"]["KeyState"], "PendingDeletion");
    assert_eq!(meta["KeyMetadata"]["DeleteDate"], "2024-01-08T00:00:00Z");

    // At the very end of the range a window that would end after 9999 is refused.
    let r = send(&st, admin(r#"{"set": "9999-12-30T00:00:00Z"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let other = new_key(&st).await;
    let r = call(
        &st,
        &[
            ("Action", "ScheduleKeyDeletion"),
            ("KeyId", &other),
            ("PendingWindowInDays", "7"),
        ],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "InvalidParameter"));
    let meta = call(&st, &[("Action", "DescribeKey"), ("KeyId", &other)])
        .await
        .json();
    assert_eq!(meta["KeyMetadata"]["KeyState"], "Enabled");
}

/// A v1 signature covers the parameters only: an `x-acs-action` header beside them is not
/// signed, so it can neither choose the action nor fill in a missing one.
#[actix_web::test]
async fn v1_actions_come_from_signed_parameters_only() {
    let (st, _) = state();
    let id = new_key(&st).await;
    // Signed without Action, with the action in an unsigned header.
    let uri = format!("/?{}", signed_query("POST", &[("KeyId", &id)]));
    let r = send(
        &st,
        TestRequest::post()
            .uri(&uri)
            .insert_header(("x-acs-action", "DisableKey"))
            .insert_header(("x-acs-version", "2016-01-20")),
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "MissingParameter"));
    // Signed as DescribeKey, with a header asking for DisableKey: DescribeKey runs.
    let uri = format!(
        "/?{}",
        signed_query("POST", &[("Action", "DescribeKey"), ("KeyId", &id)])
    );
    let r = send(
        &st,
        TestRequest::post()
            .uri(&uri)
            .insert_header(("x-acs-action", "DisableKey")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["KeyMetadata"]["KeyState"], "Enabled");
}

/// Loose input the review found: a parameter repeated with another value, an unknown KMS
/// instance, and an unknown action that the error did not name.
#[actix_web::test]
async fn strict_input() {
    let (st, _) = state();
    let id = new_key(&st).await;
    let r = call(
        &st,
        &[
            ("Action", "DescribeKey"),
            ("KeyId", "alias/other"),
            ("KeyId", &id),
        ],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "InvalidParameter"));
    assert!(r.json()["Message"].as_str().unwrap().contains("\"KeyId\""));
    // The same value twice is just the same parameter.
    let r = call(
        &st,
        &[("Action", "DescribeKey"), ("KeyId", &id), ("KeyId", &id)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A duplicate member inside a JSON parameter is refused too.
    let r = call(
        &st,
        &[
            ("Action", "Encrypt"),
            ("KeyId", &id),
            ("Plaintext", "aGk="),
            ("EncryptionContext", r#"{"k":"1","k":"2"}"#),
        ],
    )
    .await;
    assert_eq!((r.status, code(&r).as_str()), (400, "InvalidParameter"));
    let r = call(
        &st,
        &[
            ("Action", "CreateKey"),
            ("DKMSInstanceId", "kst-hzz00000000"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (404, "Forbidden.ResourceNotFound")
    );
    assert!(
        r.json()["Message"]
            .as_str()
            .unwrap()
            .contains("kst-hzz00000000")
    );
    let r = call(&st, &[("Action", "NoSuchAction")]).await;
    assert_eq!(
        (r.status, code(&r).as_str()),
        (404, "InvalidAction.NotFound")
    );
    assert!(
        r.json()["Message"]
            .as_str()
            .unwrap()
            .contains("NoSuchAction")
    );
}

/// A new Aliyun_KMS key's ID.
async fn new_key(st: &qkms::server::AppState) -> String {
    call(st, &[("Action", "CreateKey")]).await.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned()
}
