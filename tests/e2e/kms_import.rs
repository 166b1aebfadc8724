//! KMS imported key material (`Origin: EXTERNAL`) through the official AWS
//! SDK for Rust, with the material made and wrapped by an independent
//! implementation (the `openssl` command line), as a user following AWS's
//! "Importing key material" guide would: symmetric material wrapped with
//! RSA-OAEP SHA-256, an EC P-256 key wrapped with OAEP and an RSA 2048 key
//! with RSA_AES_KEY_WRAP_SHA_256 (OAEP'd AES key || RFC 5649 wrap), an HMAC
//! key whose MAC must equal `openssl dgst -mac HMAC`. The documented errors
//! are driven through the SDK too.

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, IncludeKeyMaterial, KeySpec, KeyState,
    KeyUsageType, MacAlgorithmSpec, OriginType, SigningAlgorithmSpec, WrappingKeySpec,
};

use crate::support::{self, code, message};

/// `openssl` on the PATH, or a message saying the test is skipped.
fn openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        eprintln!("SKIPPED: `openssl` is not installed; the import checks need it");
    }
    found
}

fn run_openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// AWS takes private keys as PKCS#8; `genpkey -outform DER` writes an EC
/// key in its SEC 1 form, so every generated key goes through `pkcs8`.
fn pkcs8(dir: &Path, input: &str, output: &str) {
    run_openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER", "-in", input,
            "-out", output,
        ],
    );
}

async fn create_external(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let meta = kms
        .create_key()
        .origin(OriginType::External)
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create key: {e:?}"))
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(meta.origin(), Some(&OriginType::External));
    assert!(!meta.enabled());
    meta.key_id().to_owned()
}

/// GetParametersForImport: writes the wrapping public key to `wrap.der`
/// and returns the token.
async fn parameters(kms: &Client, dir: &Path, key_id: &str, alg: AlgorithmSpec) -> Vec<u8> {
    let out = kms
        .get_parameters_for_import()
        .key_id(key_id)
        .wrapping_algorithm(alg)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get parameters: {e:?}"));
    assert!(out.key_id().unwrap().ends_with(key_id));
    let valid_to = out.parameters_valid_to().unwrap().secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((valid_to - now - 24 * 3600).abs() < 600, "valid 24 h");
    std::fs::write(dir.join("wrap.der"), out.public_key().unwrap().as_ref()).unwrap();
    out.import_token().unwrap().as_ref().to_vec()
}

/// `openssl pkeyutl` RSA-OAEP SHA-256 of file `input` under `wrap.der`.
fn oaep_wrap(dir: &Path, input: &str) -> Vec<u8> {
    run_openssl(
        dir,
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "wrap.der",
            "-keyform",
            "DER",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
            "-in",
            input,
            "-out",
            "wrapped",
        ],
    );
    std::fs::read(dir.join("wrapped")).unwrap()
}

/// RSA_AES_KEY_WRAP_SHA_256 by hand with openssl: a random AES-256 key,
/// the material under it with AES key wrap with padding, the AES key under
/// the wrapping key with OAEP, concatenated RSA part first.
fn aes_key_wrap(dir: &Path, input: &str) -> Vec<u8> {
    run_openssl(dir, &["rand", "-out", "aes.key", "32"]);
    let aes: String = std::fs::read(dir.join("aes.key"))
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    run_openssl(
        dir,
        &[
            "enc",
            "-id-aes256-wrap-pad",
            "-K",
            &aes,
            "-iv",
            "A65959A6",
            "-in",
            input,
            "-out",
            "kwp",
        ],
    );
    let mut out = oaep_wrap(dir, "aes.key");
    out.extend(std::fs::read(dir.join("kwp")).unwrap());
    out
}

async fn import(
    kms: &Client,
    key_id: &str,
    token: &[u8],
    wrapped: &[u8],
) -> Result<String, String> {
    kms.import_key_material()
        .key_id(key_id)
        .import_token(Blob::new(token))
        .encrypted_key_material(Blob::new(wrapped))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .map(|out| out.key_material_id().unwrap().to_owned())
        .map_err(|e| format!("{}: {}", code(&e), message(&e)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symmetric_material_from_openssl_encrypts_and_survives_delete_and_reimport() {
    if !openssl() {
        return;
    }
    let server = support::in_process().await;
    let kms = server.kms();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = create_external(
        &kms,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let arn = kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();

    // No material yet: unusable, with AWS's state error.
    let err = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");
    assert_eq!(message(&err), format!("{arn} is pending import."));

    run_openssl(d, &["rand", "-out", "material", "32"]);
    let token = parameters(&kms, d, &key, AlgorithmSpec::RsaesOaepSha256).await;
    let material_id = import(&kms, &key, &token, &oaep_wrap(d, "material"))
        .await
        .unwrap();
    assert_eq!(material_id.len(), 64);
    let meta = kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(meta.key_state(), Some(&KeyState::Enabled));
    assert_eq!(meta.origin(), Some(&OriginType::External));
    assert_eq!(
        meta.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    assert!(meta.valid_to().is_none());
    assert_eq!(meta.current_key_material_id(), Some(material_id.as_str()));

    let sealed = kms
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new("sealed before the delete"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let decrypt = || kms.decrypt().ciphertext_blob(sealed.clone()).send();
    let plain = decrypt().await.unwrap();
    assert_eq!(
        plain.plaintext().unwrap().as_ref(),
        b"sealed before the delete"
    );
    assert_eq!(plain.key_material_id(), Some(material_id.as_str()));

    let deleted = kms
        .delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.key_material_id(), Some(material_id.as_str()));
    let err = decrypt().await.unwrap_err();
    assert_eq!(code(&err), "KMSInvalidStateException");
    assert_eq!(message(&err), format!("{arn} is pending import."));

    // Different material is refused; the same material brings the key back.
    run_openssl(d, &["rand", "-out", "other", "32"]);
    let token = parameters(&kms, d, &key, AlgorithmSpec::RsaesOaepSha256).await;
    let err = import(&kms, &key, &token, &oaep_wrap(d, "other"))
        .await
        .unwrap_err();
    assert!(err.starts_with("IncorrectKeyMaterialException"), "{err}");
    let listed = |state: &'static str| {
        let kms = kms.clone();
        let key = key.clone();
        let material_id = material_id.clone();
        async move {
            let list = kms
                .list_key_rotations()
                .key_id(&key)
                .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
                .send()
                .await
                .unwrap();
            let rotations = list.rotations();
            assert_eq!(rotations.len(), 1, "{rotations:?}");
            assert_eq!(rotations[0].key_material_id(), Some(material_id.as_str()));
            assert_eq!(rotations[0].import_state().map(|s| s.as_str()), Some(state));
            rotations[0].key_material_description().map(str::to_owned)
        }
    };
    assert_eq!(listed("PENDING_IMPORT").await, None);
    let again = kms
        .import_key_material()
        .key_id(&key)
        .import_token(Blob::new(token.clone()))
        .encrypted_key_material(Blob::new(oaep_wrap(d, "material")))
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .import_type(ImportType::ExistingKeyMaterial)
        .key_material_id(&material_id)
        .key_material_description("made by openssl")
        .send()
        .await
        .unwrap();
    assert_eq!(again.key_material_id(), Some(material_id.as_str()));
    assert_eq!(listed("IMPORTED").await.as_deref(), Some("made by openssl"));
    let plain = decrypt().await.unwrap();
    assert_eq!(
        plain.plaintext().unwrap().as_ref(),
        b"sealed before the delete"
    );

    // Rotation is for KMS-made material.
    let err = kms
        .enable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    assert_eq!(
        message(&err),
        format!("{arn} origin is EXTERNAL which is not valid for this operation.")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_errors_are_aws_shaped() {
    if !openssl() {
        return;
    }
    let server = support::in_process().await;
    let kms = server.kms();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = create_external(
        &kms,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    let other = create_external(
        &kms,
        KeySpec::SymmetricDefault,
        KeyUsageType::EncryptDecrypt,
    )
    .await;
    run_openssl(d, &["rand", "-out", "material", "32"]);
    let token = parameters(&kms, d, &key, AlgorithmSpec::RsaesOaepSha256).await;
    let wrapped = oaep_wrap(d, "material");

    // A token of another key, and a tampered one.
    let err = import(&kms, &other, &token, &wrapped).await.unwrap_err();
    assert!(err.starts_with("InvalidImportTokenException: "), "{err}");
    let mut tampered = token.clone();
    tampered[40] ^= 1;
    let err = import(&kms, &key, &tampered, &wrapped).await.unwrap_err();
    assert!(err.starts_with("InvalidImportTokenException: "), "{err}");

    // Material not wrapped under this token's key.
    let mut garbled = wrapped.clone();
    garbled[0] ^= 1;
    let err = import(&kms, &key, &token, &garbled).await.unwrap_err();
    assert_eq!(err, "InvalidCiphertextException: ", "AWS sends no message");

    // ValidTo: required with KEY_MATERIAL_EXPIRES, in the future.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (model, valid_to, text) in [
        (
            ExpirationModelType::KeyMaterialExpires,
            Some(now - 60),
            "ValidTo must be a date and time in the future.",
        ),
        (
            ExpirationModelType::KeyMaterialExpires,
            Some(now + 400 * 86_400),
            "ValidTo must be no more than 365 days from now.",
        ),
        (
            ExpirationModelType::KeyMaterialExpires,
            None,
            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.",
        ),
        (
            ExpirationModelType::KeyMaterialDoesNotExpire,
            Some(now + 86_400),
            "ValidTo must not be specified when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
        ),
    ] {
        let mut req = kms
            .import_key_material()
            .key_id(&key)
            .import_token(Blob::new(token.clone()))
            .encrypted_key_material(Blob::new(wrapped.clone()))
            .expiration_model(model);
        if let Some(at) = valid_to {
            req = req.valid_to(DateTime::from_secs(at));
        }
        let err = req.send().await.unwrap_err();
        assert_eq!(code(&err), "ValidationException");
        assert_eq!(message(&err), text);
    }

    // Material that expires tomorrow: DescribeKey shows when.
    let tomorrow = now + 86_400;
    kms.import_key_material()
        .key_id(&key)
        .import_token(Blob::new(token.clone()))
        .encrypted_key_material(Blob::new(wrapped.clone()))
        .valid_to(DateTime::from_secs(tomorrow))
        .send()
        .await
        .unwrap();
    let meta = kms
        .describe_key()
        .key_id(&key)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(
        meta.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(meta.valid_to().map(|t| t.secs()), Some(tomorrow));

    // An AWS_KMS key has no import parameters; PKCS#1 v1.5 is refused.
    let normal = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    let err = kms
        .get_parameters_for_import()
        .key_id(&normal)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    assert!(message(&err).ends_with("origin is AWS_KMS which is not valid for this operation."));
    let err = kms
        .get_parameters_for_import()
        .key_id(&other)
        .wrapping_algorithm(AlgorithmSpec::RsaesPkcs1V15)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");

    for origin in [OriginType::AwsCloudhsm, OriginType::ExternalKeyStore] {
        let err = kms.create_key().origin(origin).send().await.unwrap_err();
        assert_eq!(code(&err), "UnsupportedOperationException");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_ec_and_rsa_keys_sign_and_verify_with_openssl() {
    if !openssl() {
        return;
    }
    let server = support::in_process().await;
    let kms = server.kms();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("msg"), b"a message both sides sign").unwrap();
    let cases = [
        (
            KeySpec::EccNistP256,
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            AlgorithmSpec::RsaesOaepSha256,
            SigningAlgorithmSpec::EcdsaSha256,
        ),
        (
            KeySpec::Rsa2048,
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            AlgorithmSpec::RsaAesKeyWrapSha256,
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
        ),
    ];
    for (spec, genpkey, wrapping, signing) in cases {
        let key = create_external(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let mut args = vec!["genpkey"];
        args.extend(genpkey);
        args.extend(["-outform", "DER", "-out", "generated.der"]);
        run_openssl(d, &args);
        pkcs8(d, "generated.der", "private.der");
        let token = parameters(&kms, d, &key, wrapping.clone()).await;
        let wrapped = if wrapping == AlgorithmSpec::RsaAesKeyWrapSha256 {
            aes_key_wrap(d, "private.der")
        } else {
            oaep_wrap(d, "private.der")
        };
        import(&kms, &key, &token, &wrapped)
            .await
            .unwrap_or_else(|e| panic!("{spec:?}: {e}"));

        // openssl's signature verifies in kinko.
        run_openssl(
            d,
            &[
                "dgst",
                "-sha256",
                "-sign",
                "private.der",
                "-keyform",
                "DER",
                "-out",
                "sig.ossl",
                "msg",
            ],
        );
        kms.verify()
            .key_id(&key)
            .message(Blob::new(std::fs::read(d.join("msg")).unwrap()))
            .signature(Blob::new(std::fs::read(d.join("sig.ossl")).unwrap()))
            .signing_algorithm(signing.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{spec:?} verify: {e:?}"));

        // kinko's signature verifies in openssl with GetPublicKey's DER.
        let sig = kms
            .sign()
            .key_id(&key)
            .message(Blob::new(std::fs::read(d.join("msg")).unwrap()))
            .signing_algorithm(signing)
            .send()
            .await
            .unwrap()
            .signature
            .unwrap();
        std::fs::write(d.join("sig.kinko"), sig.as_ref()).unwrap();
        let public = kms
            .get_public_key()
            .key_id(&key)
            .send()
            .await
            .unwrap()
            .public_key
            .unwrap();
        std::fs::write(d.join("pub.der"), public.as_ref()).unwrap();
        run_openssl(
            d,
            &[
                "dgst",
                "-sha256",
                "-verify",
                "pub.der",
                "-keyform",
                "DER",
                "-signature",
                "sig.kinko",
                "msg",
            ],
        );
    }

    // An RSA private key does not fit in RSA-OAEP alone; AWS asks for the
    // key-wrap algorithms.
    let key = create_external(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let err = kms
        .get_parameters_for_import()
        .key_id(&key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    // A P-256 key is not material for an RSA key.
    let token = parameters(&kms, d, &key, AlgorithmSpec::RsaAesKeyWrapSha256).await;
    run_openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-outform",
            "DER",
            "-out",
            "ec.der",
        ],
    );
    let err = import(&kms, &key, &token, &aes_key_wrap(d, "ec.der"))
        .await
        .unwrap_err();
    assert!(err.starts_with("IncorrectKeyMaterialException"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_hmac_key_macs_like_openssl() {
    if !openssl() {
        return;
    }
    let server = support::in_process().await;
    let kms = server.kms();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = create_external(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    run_openssl(d, &["rand", "-out", "hmac.key", "32"]);
    let hex: String = std::fs::read(d.join("hmac.key"))
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let token = parameters(&kms, d, &key, AlgorithmSpec::RsaesOaepSha256).await;
    import(&kms, &key, &token, &oaep_wrap(d, "hmac.key"))
        .await
        .unwrap();
    let msg = b"mac me";
    std::fs::write(d.join("msg"), msg).unwrap();
    let out = Command::new("openssl")
        .current_dir(d)
        .args([
            "dgst",
            "-sha256",
            "-mac",
            "HMAC",
            "-macopt",
            &format!("hexkey:{hex}"),
            "-binary",
            "msg",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mac = kms
        .generate_mac()
        .key_id(&key)
        .message(Blob::new(msg.as_slice()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap()
        .mac
        .unwrap();
    assert_eq!(mac.as_ref(), out.stdout.as_slice());

    // 16 bytes is too short for HMAC_256.
    run_openssl(d, &["rand", "-out", "short.key", "16"]);
    let other = create_external(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let token = parameters(&kms, d, &other, AlgorithmSpec::RsaesOaepSha256).await;
    let err = import(&kms, &other, &token, &oaep_wrap(d, "short.key"))
        .await
        .unwrap_err();
    assert!(err.starts_with("IncorrectKeyMaterialException"), "{err}");
}
