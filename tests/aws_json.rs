//! In-process tests of the AWS JSON 1.1 dialect: SigV4-signed requests, exception shapes,
//! the import rules, and one key store shared with the Aliyun dialect.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{T0, aws, aws_raw, call, state};
use serde_json::{Value, json};

fn exception(r: &common::Resp) -> String {
    r.json()["__type"].as_str().unwrap_or_default().to_owned()
}

fn wrap_oaep256(public_b64: &str, material: &[u8]) -> String {
    let key = OaepPublicEncryptingKey::new(
        PublicEncryptingKey::from_der(&B64.decode(public_b64).unwrap()).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; key.ciphertext_size()];
    let n = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None)
        .unwrap()
        .len();
    B64.encode(&out[..n])
}

async fn external_key(st: &qkms::server::AppState) -> String {
    let r = aws(
        st,
        "CreateKey",
        &json!({"Origin": "EXTERNAL", "Description": "byok"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &r.json()["KeyMetadata"];
    assert_eq!(m["KeyState"], "PendingImport");
    assert_eq!(m["Enabled"], false);
    assert_eq!(m["Origin"], "EXTERNAL");
    m["KeyId"].as_str().unwrap().to_owned()
}

async fn params(st: &qkms::server::AppState, key: &str, alg: &str, spec: &str) -> Value {
    let r = aws(
        st,
        "GetParametersForImport",
        &json!({"KeyId": key, "WrappingAlgorithm": alg, "WrappingKeySpec": spec}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[actix_web::test]
async fn byok_flow_and_import_rules() {
    let (st, clock) = state();
    let key = external_key(&st).await;
    let p = params(&st, &key, "RSAES_OAEP_SHA_256", "RSA_2048").await;
    assert_eq!(
        p["KeyId"],
        format!("arn:aws:kms:us-east-1:111122223333:key/{key}")
    );
    assert_eq!(p["ParametersValidTo"], T0 + 86_400);
    let token = p["ImportToken"].as_str().unwrap().to_owned();
    let material = [0x11u8; 32];
    let wrapped = wrap_oaep256(p["PublicKey"].as_str().unwrap(), &material);

    // ExpirationModel absent means KEY_MATERIAL_EXPIRES, so ValidTo is required.
    let r = aws(
        &st,
        "ImportKeyMaterial",
        &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped}),
    )
    .await;
    assert_eq!(
        (r.status, exception(&r).as_str()),
        (400, "ValidationException"),
        "{}",
        r.body
    );
    assert!(r.json()["message"].as_str().unwrap().contains("validTo"));
    // ValidTo with DOES_NOT_EXPIRE, in the past, or beyond 365 days.
    for body in [
        json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": T0 + 100}),
        json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ValidTo": T0 - 1}),
        json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ValidTo": T0 + 366 * 86_400}),
        json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "SOMETIMES"}),
    ] {
        let r = aws(&st, "ImportKeyMaterial", &body).await;
        assert_eq!(
            (r.status, exception(&r).as_str()),
            (400, "ValidationException"),
            "{body}: {}",
            r.body
        );
    }
    // A float ValidTo, as the seed page shows.
    let valid_to = (T0 + 3600) as f64 + 0.5;
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "{}");
    let m = aws(&st, "DescribeKey", &json!({"KeyId": key})).await.json()["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "Enabled");
    assert_eq!(m["Enabled"], true);
    assert_eq!(m["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(m["ValidTo"], T0 + 3601);

    // Re-import of other material, another key's token, garbage token.
    let other = wrap_oaep256(p["PublicKey"].as_str().unwrap(), &[0x22; 32]);
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": other, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "IncorrectKeyMaterialException");
    let short = wrap_oaep256(p["PublicKey"].as_str().unwrap(), &[0x22; 16]);
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": short, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "IncorrectKeyMaterialException");
    let key2 = external_key(&st).await;
    let p2 = params(&st, &key2, "RSAES_OAEP_SHA_1", "RSA_2048").await;
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": p2["ImportToken"], "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "InvalidImportTokenException");
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": "AAAA", "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "InvalidImportTokenException");
    // Material wrapped for another wrapping key does not unwrap.
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key2, "ImportToken": p2["ImportToken"], "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "InvalidCiphertextException");

    // Encrypt, then expiry, then restore.
    let r = aws(
        &st,
        "Encrypt",
        &json!({"KeyId": key, "Plaintext": B64.encode(b"hello"), "EncryptionContext": {"a": "b"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let blob = r.json()["CiphertextBlob"].as_str().unwrap().to_owned();
    clock.advance(3601).unwrap();
    let r = aws(
        &st,
        "Decrypt",
        &json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "b"}}),
    )
    .await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .ends_with("is pending import.")
    );
    let m = aws(&st, "DescribeKey", &json!({"KeyId": key})).await.json()["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "PendingImport");
    // The token's 24 hours are not over yet: re-import restores the key.
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = aws(
        &st,
        "Decrypt",
        &json!({"CiphertextBlob": blob, "EncryptionContext": {"a": "b"}}),
    )
    .await;
    assert_eq!(
        B64.decode(r.json()["Plaintext"].as_str().unwrap()).unwrap(),
        b"hello"
    );
    // After 24 hours the token has expired.
    clock.advance(86_400).unwrap();
    let r = aws(&st, "ImportKeyMaterial", &json!({"KeyId": key, "ImportToken": token, "EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"})).await;
    assert_eq!(exception(&r), "ExpiredImportTokenException");

    // DeleteImportedKeyMaterial.
    let r = aws(&st, "DeleteImportedKeyMaterial", &json!({"KeyId": key})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["KeyMaterialId"].as_str().unwrap().len(), 64);
    let r = aws(&st, "Encrypt", &json!({"KeyId": key, "Plaintext": "aGk="})).await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
}

#[actix_web::test]
async fn wrapping_algorithms_and_specs() {
    let (st, _) = state();
    let key = external_key(&st).await;
    let r = aws(&st, "GetParametersForImport", &json!({"KeyId": key, "WrappingAlgorithm": "RSAES_PKCS1_V1_5", "WrappingKeySpec": "RSA_2048"})).await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(&st, "GetParametersForImport", &json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_1024"})).await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(
        &st,
        "GetParametersForImport",
        &json!({"KeyId": key, "WrappingAlgorithm": "RSAES_OAEP_SHA_256"}),
    )
    .await;
    assert_eq!(exception(&r), "ValidationException");
    for spec in ["RSA_3072", "RSA_4096"] {
        let p = params(&st, &key, "RSA_AES_KEY_WRAP_SHA_256", spec).await;
        let der = B64.decode(p["PublicKey"].as_str().unwrap()).unwrap();
        let bits = PublicEncryptingKey::from_der(&der).unwrap().key_size_bits();
        assert_eq!(format!("RSA_{bits}"), spec);
    }
    // Aliases are refused where only keys are accepted.
    assert_eq!(
        aws(
            &st,
            "CreateAlias",
            &json!({"AliasName": "alias/byok", "TargetKeyId": key})
        )
        .await
        .status,
        200
    );
    let r = aws(&st, "GetParametersForImport", &json!({"KeyId": "alias/byok", "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"})).await;
    assert_eq!(exception(&r), "InvalidArnException");
    // Non-EXTERNAL keys.
    let r = aws(&st, "CreateKey", &json!({})).await;
    let kms_key = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = aws(&st, "GetParametersForImport", &json!({"KeyId": kms_key, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_2048"})).await;
    assert_eq!(exception(&r), "UnsupportedOperationException");
}

#[actix_web::test]
async fn one_store_two_dialects() {
    let (st, _) = state();
    // A key made through Aliyun, used through AWS, and back.
    let r = call(
        &st,
        &[("Action", "CreateKey"), ("Description", "from aliyun")],
    )
    .await;
    let id = r.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &st,
        &[
            ("Action", "Encrypt"),
            ("KeyId", &id),
            ("Plaintext", "aGVsbG8="),
            ("EncryptionContext", r#"{"k":"v"}"#),
        ],
    )
    .await;
    let blob = r.json()["CiphertextBlob"].as_str().unwrap().to_owned();
    let r = aws(
        &st,
        "Decrypt",
        &json!({"CiphertextBlob": blob, "EncryptionContext": {"k": "v"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Plaintext"], "aGVsbG8=");
    assert_eq!(
        r.json()["KeyId"],
        format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
    );
    let r = aws(&st, "Encrypt", &json!({"KeyId": format!("arn:aws:kms:us-east-1:111122223333:key/{id}"), "Plaintext": "aGVsbG8="})).await;
    let blob = r.json()["CiphertextBlob"].as_str().unwrap().to_owned();
    let r = call(&st, &[("Action", "Decrypt"), ("CiphertextBlob", &blob)]).await;
    assert_eq!(r.json()["Plaintext"], "aGVsbG8=");
    let m = aws(&st, "DescribeKey", &json!({"KeyId": id})).await.json()["KeyMetadata"].clone();
    assert_eq!(m["Description"], "from aliyun");
    assert_eq!(m["Origin"], "AWS_KMS");
    assert_eq!(m["KeySpec"], "SYMMETRIC_DEFAULT");
    assert_eq!(m["CreationDate"], T0);
    // States agree: disabled on one side is disabled on the other.
    assert_eq!(
        aws(&st, "DisableKey", &json!({"KeyId": id})).await.status,
        200
    );
    let r = call(&st, &[("Action", "DescribeKey"), ("KeyId", &id)]).await;
    assert_eq!(r.json()["KeyMetadata"]["KeyState"], "Disabled");
    let r = aws(&st, "Encrypt", &json!({"KeyId": id, "Plaintext": "aGk="})).await;
    assert_eq!(exception(&r), "DisabledException");
}

#[actix_web::test]
async fn protocol_errors() {
    let (st, _) = state();
    let r = aws_raw(&st, "Encrypt", b"not json", "testid", "testsecret").await;
    assert_eq!(
        (r.status, exception(&r).as_str()),
        (400, "SerializationException")
    );
    assert_eq!(r.content_type, "application/x-amz-json-1.1");
    assert!(!r.request_id.is_empty());
    let r = aws(&st, "Encrypt", &json!({"KeyId": 42, "Plaintext": "aGk="})).await;
    assert_eq!(exception(&r), "SerializationException");
    let r = aws(&st, "Encrypt", &json!({"KeyId": "k"})).await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(&st, "NoSuchOperation", &json!({})).await;
    assert_eq!(exception(&r), "UnknownOperationException");
    let r = aws_raw(&st, "ListKeys", b"{}", "nobody", "x").await;
    assert_eq!(exception(&r), "UnrecognizedClientException");
    let r = aws_raw(&st, "ListKeys", b"{}", "testid", "wrong").await;
    assert_eq!(exception(&r), "InvalidSignatureException");
    let r = aws(&st, "DescribeKey", &json!({"KeyId": "arn:aws:s3:::bucket"})).await;
    assert_eq!(exception(&r), "InvalidArnException");
    let r = aws(
        &st,
        "DescribeKey",
        &json!({"KeyId": "arn:aws:kms:eu-west-1:111122223333:key/x"}),
    )
    .await;
    assert_eq!(exception(&r), "NotFoundException");
    let r = aws(&st, "DescribeKey", &json!({"KeyId": "alias/none"})).await;
    assert_eq!(exception(&r), "NotFoundException");
    let r = aws(
        &st,
        "GenerateDataKey",
        &json!({"KeyId": "k", "KeySpec": "AES_256", "NumberOfBytes": 32}),
    )
    .await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(
        &st,
        "CreateAlias",
        &json!({"AliasName": "alias/aws/x", "TargetKeyId": "k"}),
    )
    .await;
    assert_eq!(exception(&r), "NotAuthorizedException");
    let r = aws(
        &st,
        "CreateKey",
        &json!({"KeySpec": "ECC_NIST_EDWARDS25519", "KeyUsage": "SIGN_VERIFY"}),
    )
    .await;
    assert_eq!(exception(&r), "UnsupportedOperationException");
    let r = aws(&st, "CreateKey", &json!({"KeySpec": "ECC_NIST_P256"})).await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(&st, "GenerateRandom", &json!({"NumberOfBytes": 2000})).await;
    assert_eq!(exception(&r), "ValidationException");
    let r = aws(&st, "GenerateRandom", &json!({"NumberOfBytes": 24})).await;
    assert_eq!(
        B64.decode(r.json()["Plaintext"].as_str().unwrap())
            .unwrap()
            .len(),
        24
    );
}

#[actix_web::test]
async fn lifecycle_aliases_tags_and_paging() {
    let (st, _) = state();
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = aws(&st, "CreateKey", &json!({"Description": format!("k{i}"), "Tags": [{"TagKey": "team", "TagValue": "qkms"}]})).await;
        ids.push(
            r.json()["KeyMetadata"]["KeyId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let r = aws(&st, "ListKeys", &json!({"Limit": 2})).await.json();
    assert_eq!(r["Keys"].as_array().unwrap().len(), 2);
    assert_eq!(r["Truncated"], true);
    let r = aws(
        &st,
        "ListKeys",
        &json!({"Limit": 2, "Marker": r["NextMarker"]}),
    )
    .await
    .json();
    assert_eq!(r["Keys"].as_array().unwrap().len(), 1);
    assert_eq!(r["Truncated"], false);
    let r = aws(&st, "ListKeys", &json!({"Marker": "garbage"})).await;
    assert_eq!(exception(&r), "InvalidMarkerException");

    let key = &ids[0];
    assert_eq!(
        aws(
            &st,
            "CreateAlias",
            &json!({"AliasName": "alias/app", "TargetKeyId": key})
        )
        .await
        .status,
        200
    );
    let r = aws(
        &st,
        "CreateAlias",
        &json!({"AliasName": "alias/app", "TargetKeyId": key}),
    )
    .await;
    assert_eq!(exception(&r), "AlreadyExistsException");
    let r = aws(
        &st,
        "Encrypt",
        &json!({"KeyId": "arn:aws:kms:us-east-1:111122223333:alias/app", "Plaintext": "aGk="}),
    )
    .await;
    assert_eq!(
        r.json()["KeyId"],
        format!("arn:aws:kms:us-east-1:111122223333:key/{key}")
    );
    assert_eq!(
        aws(
            &st,
            "UpdateAlias",
            &json!({"AliasName": "alias/app", "TargetKeyId": ids[1]})
        )
        .await
        .status,
        200
    );
    let r = aws(&st, "ListAliases", &json!({"KeyId": ids[1]}))
        .await
        .json();
    assert_eq!(r["Aliases"][0]["AliasName"], "alias/app");
    assert_eq!(r["Aliases"][0]["TargetKeyId"], ids[1].as_str());
    assert_eq!(
        aws(&st, "DeleteAlias", &json!({"AliasName": "alias/app"}))
            .await
            .status,
        200
    );
    let r = aws(&st, "DeleteAlias", &json!({"AliasName": "alias/app"})).await;
    assert_eq!(exception(&r), "NotFoundException");

    assert_eq!(
        aws(
            &st,
            "TagResource",
            &json!({"KeyId": key, "Tags": [{"TagKey": "env", "TagValue": "ci"}]})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        aws(
            &st,
            "UntagResource",
            &json!({"KeyId": key, "TagKeys": ["team"]})
        )
        .await
        .status,
        200
    );
    let r = aws(&st, "ListResourceTags", &json!({"KeyId": key}))
        .await
        .json();
    assert_eq!(r["Tags"], json!([{"TagKey": "env", "TagValue": "ci"}]));
    let r = aws(
        &st,
        "TagResource",
        &json!({"KeyId": key, "Tags": [{"TagKey": "aws:x", "TagValue": "y"}]}),
    )
    .await;
    assert_eq!(exception(&r), "TagException");

    assert_eq!(
        aws(
            &st,
            "UpdateKeyDescription",
            &json!({"KeyId": key, "Description": "new"})
        )
        .await
        .status,
        200
    );
    let r = aws(
        &st,
        "ScheduleKeyDeletion",
        &json!({"KeyId": key, "PendingWindowInDays": 7}),
    )
    .await
    .json();
    assert_eq!(r["KeyState"], "PendingDeletion");
    assert_eq!(r["DeletionDate"], T0 + 7 * 86_400);
    let r = aws(&st, "Encrypt", &json!({"KeyId": key, "Plaintext": "aGk="})).await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .ends_with("is pending deletion.")
    );
    let r = aws(&st, "EnableKey", &json!({"KeyId": key})).await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
    let r = aws(
        &st,
        "UpdateKeyDescription",
        &json!({"KeyId": key, "Description": "x"}),
    )
    .await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
    let r = aws(
        &st,
        "ScheduleKeyDeletion",
        &json!({"KeyId": key, "PendingWindowInDays": 3}),
    )
    .await;
    assert_eq!(exception(&r), "ValidationException");
    // CancelKeyDeletion leaves the key Disabled, as AWS does.
    assert_eq!(
        aws(&st, "CancelKeyDeletion", &json!({"KeyId": key}))
            .await
            .status,
        200
    );
    let m = aws(&st, "DescribeKey", &json!({"KeyId": key})).await.json()["KeyMetadata"].clone();
    assert_eq!(m["KeyState"], "Disabled");
    assert!(m.get("DeletionDate").is_none());
    let r = aws(&st, "CancelKeyDeletion", &json!({"KeyId": key})).await;
    assert_eq!(exception(&r), "KMSInvalidStateException");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .ends_with("is not pending deletion.")
    );

    // ReEncrypt and Decrypt with the wrong KeyId.
    let r = aws(
        &st,
        "Encrypt",
        &json!({"KeyId": ids[1], "Plaintext": "aGk="}),
    )
    .await;
    let blob = r.json()["CiphertextBlob"].clone();
    let r = aws(
        &st,
        "ReEncrypt",
        &json!({"CiphertextBlob": blob, "DestinationKeyId": ids[2]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let re = r.json()["CiphertextBlob"].clone();
    let r = aws(
        &st,
        "Decrypt",
        &json!({"CiphertextBlob": re, "KeyId": ids[1]}),
    )
    .await;
    assert_eq!(exception(&r), "IncorrectKeyException");
    let r = aws(
        &st,
        "Decrypt",
        &json!({"CiphertextBlob": re, "KeyId": ids[2]}),
    )
    .await;
    assert_eq!(r.json()["Plaintext"], "aGk=");
    let r = aws(&st, "Decrypt", &json!({"CiphertextBlob": "AAAAAAAA"})).await;
    assert_eq!(exception(&r), "InvalidCiphertextException");
    let r = aws(
        &st,
        "Encrypt",
        &json!({"KeyId": ids[1], "Plaintext": "aGk=", "DryRun": true}),
    )
    .await;
    assert_eq!(
        (r.status, exception(&r).as_str()),
        (412, "DryRunOperationException")
    );
    let r = aws(
        &st,
        "GenerateDataKeyWithoutPlaintext",
        &json!({"KeyId": ids[1], "KeySpec": "AES_128"}),
    )
    .await
    .json();
    assert!(r.get("Plaintext").is_none());
    let r = aws(
        &st,
        "GenerateDataKey",
        &json!({"KeyId": ids[1], "NumberOfBytes": 7}),
    )
    .await
    .json();
    assert_eq!(
        B64.decode(r["Plaintext"].as_str().unwrap()).unwrap().len(),
        7
    );
}

/// A member given twice is refused, at the top level and inside a map such as the
/// encryption context, and every error carries a message.
#[actix_web::test]
async fn duplicate_members_are_refused_and_messages_are_never_empty() {
    let (st, _) = state();
    let id = aws(&st, "CreateKey", &json!({})).await.json()["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = format!(r#"{{"KeyId": "alias/other", "KeyId": "{id}", "Plaintext": "aGk="}}"#);
    let r = aws_raw(&st, "Encrypt", body.as_bytes(), "testid", "testsecret").await;
    assert_eq!(
        (r.status, exception(&r).as_str()),
        (400, "SerializationException")
    );
    assert!(
        r.json()["message"].as_str().unwrap().contains("KeyId"),
        "{}",
        r.body
    );
    let body = format!(
        r#"{{"KeyId": "{id}", "Plaintext": "aGk=", "EncryptionContext": {{"k": "1", "k": "2"}}}}"#
    );
    let r = aws_raw(&st, "Encrypt", body.as_bytes(), "testid", "testsecret").await;
    assert_eq!(exception(&r), "SerializationException");
    for (op, input) in [
        ("NoSuchOperation", json!({})),
        ("Decrypt", json!({"CiphertextBlob": "AAAA"})),
        (
            "CreateAlias",
            json!({"AliasName": "alias/aws/x", "TargetKeyId": id}),
        ),
    ] {
        let r = aws(&st, op, &input).await;
        assert!(r.status == 400, "{op}: {}", r.body);
        let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(!message.is_empty(), "{op}: {}", r.body);
    }
    let r = aws(&st, "NoSuchOperation", &json!({})).await;
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("NoSuchOperation")
    );
}

/// Any AWS sign picks the AWS dialect, even without `X-Amz-Target`, and the dialect
/// refuses content types other than JSON 1.1 instead of serving them.
#[actix_web::test]
async fn aws_looking_requests_get_aws_errors() {
    use actix_web::test::TestRequest;
    let (st, _) = state();
    for (want, req) in [
        ("UnknownOperationException", TestRequest::post().uri("/").insert_header((
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testid/20240101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00",
        ))),
        ("MissingAuthenticationTokenException", TestRequest::post()
            .uri("/")
            .insert_header(("content-type", "application/x-amz-json-1.1"))
            .set_payload("{}")),
        ("UnknownOperationException", TestRequest::post()
            .uri("/")
            .insert_header(("x-amz-target", "TrentService.ListKeys"))
            .insert_header(("content-type", "text/plain"))
            .set_payload("{}")),
        ("UnknownOperationException", TestRequest::post()
            .uri("/")
            .insert_header(("x-amz-target", "TrentService.ListKeys"))
            .set_payload("{}")),
    ] {
        let r = common::send(&st, req).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.content_type, "application/x-amz-json-1.1");
        assert_eq!(exception(&r), want, "{}", r.body);
        assert!(!r.json()["message"].as_str().unwrap().is_empty());
        assert!(r.json().get("Code").is_none());
    }
}
