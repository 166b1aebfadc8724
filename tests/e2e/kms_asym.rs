//! KMS asymmetric, HMAC and key-agreement keys through the official AWS SDK
//! for Rust, checked against an independent implementation (the `openssl`
//! command line) where the answer is public: kinko's signatures verify in
//! openssl, openssl's RSA-OAEP ciphertext decrypts in kinko, and ECDH agrees
//! with `openssl pkeyutl -derive`. Every documented error of the new
//! operations is driven through the SDK too.

use std::path::Path;
use std::process::Command;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeyPairSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyUsageType,
    MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use serde_json::json;

use crate::support::{self, code, message};

async fn create(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    kms.create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create key: {e:?}"))
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned()
}

async fn public_key(kms: &Client, key_id: &str) -> Vec<u8> {
    kms.get_public_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .public_key()
        .unwrap()
        .as_ref()
        .to_vec()
}

/// `openssl` on the PATH, or a message saying the check is skipped.
fn openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        eprintln!("SKIPPED: `openssl` is not installed; the known-answer checks need it");
    }
    found
}

fn run_openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

async fn sign(kms: &Client, key_id: &str, alg: SigningAlgorithmSpec, msg: &[u8]) -> Vec<u8> {
    kms.sign()
        .key_id(key_id)
        .message(Blob::new(msg))
        .signing_algorithm(alg)
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign: {e:?}"))
        .signature()
        .unwrap()
        .as_ref()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_verify_in_openssl_and_openssl_ciphertext_decrypts_here() {
    let server = support::in_process().await;
    let kms = server.kms();
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let ec = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;

    let meta = kms.describe_key().key_id(&rsa).send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    assert_eq!(meta.key_spec(), Some(&KeySpec::Rsa2048));
    // The deprecated alias AWS still sends.
    #[allow(deprecated)]
    let cmk_spec = meta.customer_master_key_spec().map(|s| s.as_str());
    assert_eq!(cmk_spec, Some("RSA_2048"));
    assert_eq!(meta.key_usage(), Some(&KeyUsageType::SignVerify));
    assert_eq!(meta.signing_algorithms().len(), 6);
    assert!(meta.encryption_algorithms().is_empty());

    let msg = b"kinko signs this message";
    let cases = [
        (
            &rsa,
            SigningAlgorithmSpec::RsassaPssSha256,
            vec![
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:-1",
            ],
        ),
        (&rsa, SigningAlgorithmSpec::RsassaPkcs1V15Sha256, vec![]),
        (&ec, SigningAlgorithmSpec::EcdsaSha256, vec![]),
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("msg"), msg).unwrap();
    for (key, alg, opts) in cases {
        let sig = sign(&kms, key, alg.clone(), msg).await;
        // kinko verifies its own signature, and refuses a flipped bit.
        kms.verify()
            .key_id(key)
            .message(Blob::new(msg.as_slice()))
            .signature(Blob::new(sig.clone()))
            .signing_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        let mut bad = sig.clone();
        bad[5] ^= 1;
        let err = kms
            .verify()
            .key_id(key)
            .message(Blob::new(msg.as_slice()))
            .signature(Blob::new(bad.clone()))
            .signing_algorithm(alg.clone())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "KMSInvalidSignatureException", "{alg:?}");
        if !openssl() {
            continue;
        }
        std::fs::write(dir.path().join("pub.der"), public_key(&kms, key).await).unwrap();
        for (signature, ok) in [(&sig, true), (&bad, false)] {
            std::fs::write(dir.path().join("sig"), signature).unwrap();
            let mut args = vec!["dgst", "-sha256", "-verify", "pub.der", "-keyform", "DER"];
            args.extend(opts.iter().copied());
            args.extend(["-signature", "sig", "msg"]);
            let out = run_openssl(dir.path(), &args);
            assert_eq!(
                out.status.success(),
                ok,
                "{alg:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // RSA-OAEP SHA-256 ciphertext made by openssl decrypts in kinko.
    if openssl() {
        let enc = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
        std::fs::write(dir.path().join("pub.der"), public_key(&kms, &enc).await).unwrap();
        std::fs::write(dir.path().join("plain"), b"openssl made this").unwrap();
        let out = run_openssl(
            dir.path(),
            &[
                "pkeyutl",
                "-encrypt",
                "-pubin",
                "-inkey",
                "pub.der",
                "-keyform",
                "DER",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
                "-in",
                "plain",
                "-out",
                "ct",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ct = std::fs::read(dir.path().join("ct")).unwrap();
        let plain = kms
            .decrypt()
            .key_id(&enc)
            .ciphertext_blob(Blob::new(ct.clone()))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .send()
            .await
            .unwrap();
        assert_eq!(plain.plaintext().unwrap().as_ref(), b"openssl made this");
        assert_eq!(
            plain.encryption_algorithm(),
            Some(&EncryptionAlgorithmSpec::RsaesOaepSha256)
        );
        // The wrong OAEP hash does not open it.
        let err = kms
            .decrypt()
            .key_id(&enc)
            .ciphertext_blob(Blob::new(ct))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidCiphertextException");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecdh_matches_openssl_derive() {
    if !openssl() {
        return;
    }
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let meta = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().key_agreement_algorithms(),
        &[KeyAgreementAlgorithmSpec::Ecdh]
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kms.der"), public_key(&kms, &key).await).unwrap();
    for args in [
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "peer.pem",
        ][..],
        &[
            "pkey", "-in", "peer.pem", "-pubout", "-outform", "DER", "-out", "peer.der",
        ],
        &[
            "pkeyutl",
            "-derive",
            "-inkey",
            "peer.pem",
            "-peerkey",
            "kms.der",
            "-peerform",
            "DER",
            "-out",
            "secret",
        ],
    ] {
        let out = run_openssl(dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let peer = std::fs::read(dir.path().join("peer.der")).unwrap();
    let expected = std::fs::read(dir.path().join("secret")).unwrap();
    let out = kms
        .derive_shared_secret()
        .key_id(&key)
        .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
        .public_key(Blob::new(peer))
        .send()
        .await
        .unwrap();
    assert_eq!(out.shared_secret().unwrap().as_ref(), expected.as_slice());
    assert_eq!(expected.len(), 32);

    // A peer key on another curve, or not a key at all.
    let out = run_openssl(
        dir.path(),
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "p384.pem",
        ],
    );
    assert!(out.status.success());
    run_openssl(
        dir.path(),
        &[
            "pkey", "-in", "p384.pem", "-pubout", "-outform", "DER", "-out", "p384.der",
        ],
    );
    for bad in [
        std::fs::read(dir.path().join("p384.der")).unwrap(),
        b"not a key".to_vec(),
    ] {
        let err = kms
            .derive_shared_secret()
            .key_id(&key)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(bad))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ValidationException", "{}", message(&err));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn macs_verify_and_a_flipped_bit_does_not() {
    let server = support::in_process().await;
    let kms = server.kms();
    let key = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let meta = kms.describe_key().key_id(&key).send().await.unwrap();
    assert_eq!(
        meta.key_metadata().unwrap().mac_algorithms(),
        &[MacAlgorithmSpec::HmacSha256]
    );
    let mac = kms
        .generate_mac()
        .key_id(&key)
        .message(Blob::new("hello"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    let mac = mac.mac().unwrap().as_ref().to_vec();
    assert_eq!(mac.len(), 32);
    let ok = kms
        .verify_mac()
        .key_id(&key)
        .message(Blob::new("hello"))
        .mac(Blob::new(mac.clone()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap();
    assert!(ok.mac_valid());
    let mut bad = mac.clone();
    bad[0] ^= 0x80;
    let err = kms
        .verify_mac()
        .key_id(&key)
        .message(Blob::new("hello"))
        .mac(Blob::new(bad))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KMSInvalidMacException");
    // Another algorithm than the key's one.
    let err = kms
        .generate_mac()
        .key_id(&key)
        .message(Blob::new("hello"))
        .mac_algorithm(MacAlgorithmSpec::HmacSha512)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidKeyUsageException");
    assert_eq!(
        message(&err),
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."
    );
    // An HMAC key has no public key; nor has a symmetric one.
    let err = kms.get_public_key().key_id(&key).send().await.unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    // HMAC keys need their usage given.
    let err = kms
        .create_key()
        .key_spec(KeySpec::Hmac256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "You must specify a KeyUsage value when KeySpec is HMAC_256."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_key_pairs_and_re_encrypt() {
    let server = support::in_process().await;
    let kms = server.kms();
    let sym = kms.create_key().send().await.unwrap();
    let sym = sym.key_metadata().unwrap().key_id().to_owned();
    let pair = kms
        .generate_data_key_pair()
        .key_id(&sym)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .encryption_context("app", "x")
        .send()
        .await
        .unwrap();
    let private = pair.private_key_plaintext().unwrap().as_ref().to_vec();
    let opened = kms
        .decrypt()
        .ciphertext_blob(pair.private_key_ciphertext_blob().unwrap().clone())
        .encryption_context("app", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), private.as_slice());
    assert!(!pair.public_key().unwrap().as_ref().is_empty());
    let without = kms
        .generate_data_key_pair_without_plaintext()
        .key_id(&sym)
        .key_pair_spec(DataKeyPairSpec::Rsa2048)
        .send()
        .await
        .unwrap();
    assert_eq!(without.key_pair_spec(), Some(&DataKeyPairSpec::Rsa2048));
    let err = kms
        .generate_data_key_pair()
        .key_id(&sym)
        .key_pair_spec(DataKeyPairSpec::Sm2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    // Only under a symmetric key.
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let err = kms
        .generate_data_key_pair()
        .key_id(&rsa)
        .key_pair_spec(DataKeyPairSpec::EccNistP256)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidKeyUsageException");

    // ReEncrypt symmetric → symmetric, then symmetric → RSA.
    let other = kms.create_key().send().await.unwrap();
    let other = other.key_metadata().unwrap().key_id().to_owned();
    let ct = kms
        .encrypt()
        .key_id(&sym)
        .plaintext(Blob::new("moving"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob()
        .unwrap()
        .clone();
    let moved = kms
        .re_encrypt()
        .ciphertext_blob(ct.clone())
        .destination_key_id(&other)
        .destination_encryption_context("to", "other")
        .send()
        .await
        .unwrap();
    assert!(moved.source_key_id().unwrap().ends_with(&sym));
    assert!(moved.key_id().unwrap().ends_with(&other));
    let back = kms
        .decrypt()
        .ciphertext_blob(moved.ciphertext_blob().unwrap().clone())
        .encryption_context("to", "other")
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"moving");
    let to_rsa = kms
        .re_encrypt()
        .ciphertext_blob(ct.clone())
        .destination_key_id(&rsa)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap();
    let back = kms
        .decrypt()
        .key_id(&rsa)
        .ciphertext_blob(to_rsa.ciphertext_blob().unwrap().clone())
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
        .send()
        .await
        .unwrap();
    assert_eq!(back.plaintext().unwrap().as_ref(), b"moving");

    // ReEncryptFrom on the source and ReEncryptTo on the destination.
    let arn = |id: &str| format!("arn:aws:kms:*:*:key/{id}");
    let only_from = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:ReEncryptFrom", "Resource": arn(&sym)},
        {"Effect": "Allow", "Action": "kms:ReEncryptTo", "Resource": arn(&rsa)}]});
    let caller = server.user_with_policy("mover", &only_from).await;
    let as_caller = server.kms_as(&caller);
    let err = as_caller
        .re_encrypt()
        .ciphertext_blob(ct.clone())
        .destination_key_id(&other)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    assert!(
        message(&err).contains("kms:ReEncryptTo"),
        "{}",
        message(&err)
    );
    as_caller
        .re_encrypt()
        .ciphertext_blob(ct)
        .destination_key_id(&rsa)
        .destination_encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_errors_of_sign_and_encrypt() {
    let server = support::in_process().await;
    let kms = server.kms();
    let rsa_sign = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let rsa_enc = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let sign_err = |key: String, alg: SigningAlgorithmSpec, ty: MessageType, msg: Vec<u8>| {
        let kms = kms.clone();
        async move {
            kms.sign()
                .key_id(key)
                .signing_algorithm(alg)
                .message_type(ty)
                .message(Blob::new(msg))
                .send()
                .await
                .unwrap_err()
        }
    };
    // Wrong usage.
    let err = sign_err(
        rsa_enc.clone(),
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        b"m".to_vec(),
    )
    .await;
    assert_eq!(code(&err), "InvalidKeyUsageException");
    assert!(
        message(&err).ends_with("key usage is ENCRYPT_DECRYPT which is not valid for Sign."),
        "{}",
        message(&err)
    );
    // Wrong algorithm.
    let err = sign_err(
        rsa_sign.clone(),
        SigningAlgorithmSpec::EcdsaSha256,
        MessageType::Raw,
        b"m".to_vec(),
    )
    .await;
    assert_eq!(code(&err), "InvalidKeyUsageException");
    assert_eq!(
        message(&err),
        "Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048."
    );
    // Digest of the wrong length; the right length signs.
    let err = sign_err(
        rsa_sign.clone(),
        SigningAlgorithmSpec::RsassaPssSha384,
        MessageType::Digest,
        vec![1; 32],
    )
    .await;
    assert_eq!(code(&err), "ValidationException");
    assert_eq!(
        message(&err),
        "Digest is invalid length for algorithm RSASSA_PSS_SHA_384."
    );
    kms.sign()
        .key_id(&rsa_sign)
        .signing_algorithm(SigningAlgorithmSpec::RsassaPssSha384)
        .message_type(MessageType::Digest)
        .message(Blob::new(vec![1; 48]))
        .send()
        .await
        .unwrap();
    // Message too long.
    let err = sign_err(
        rsa_sign.clone(),
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        vec![0; 4097],
    )
    .await;
    assert_eq!(code(&err), "ValidationException");
    assert!(message(&err).contains("'message'"), "{}", message(&err));
    // Unknown key.
    let err = sign_err(
        "00000000-0000-4000-8000-000000000000".into(),
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        b"m".to_vec(),
    )
    .await;
    assert_eq!(code(&err), "NotFoundException");
    // A caller without kms:Sign.
    let nobody = server
        .user_with_policy(
            "nobody",
            &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "kms:Verify", "Resource": "*"}]}),
        )
        .await;
    let err = server
        .kms_as(&nobody)
        .sign()
        .key_id(&rsa_sign)
        .signing_algorithm(SigningAlgorithmSpec::RsassaPssSha256)
        .message(Blob::new("m"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDeniedException");
    // Disabled key.
    kms.disable_key().key_id(&rsa_sign).send().await.unwrap();
    let err = sign_err(
        rsa_sign.clone(),
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        b"m".to_vec(),
    )
    .await;
    assert_eq!(code(&err), "DisabledException");
    let err = kms
        .get_public_key()
        .key_id(&rsa_sign)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "DisabledException");

    // RSA encryption: the size table, no encryption context, KeyId needed.
    let enc = |n: usize| {
        kms.encrypt()
            .key_id(&rsa_enc)
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .plaintext(Blob::new(vec![7; n]))
            .send()
    };
    let ct = enc(190).await.unwrap();
    assert_eq!(
        ct.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::RsaesOaepSha256)
    );
    let err = enc(191).await.unwrap_err();
    assert_eq!(code(&err), "ValidationException", "{}", message(&err));
    let err = kms
        .encrypt()
        .key_id(&rsa_enc)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidKeyUsageException");
    let err = kms
        .encrypt()
        .key_id(&rsa_enc)
        .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
        .encryption_context("a", "b")
        .plaintext(Blob::new("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = kms
        .decrypt()
        .ciphertext_blob(ct.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidCiphertextException");
    // The symmetric operations refuse asymmetric keys.
    let err = kms
        .generate_data_key()
        .key_id(&rsa_enc)
        .number_of_bytes(32)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidKeyUsageException");
    let sym = kms.create_key().send().await.unwrap();
    let err = kms
        .get_public_key()
        .key_id(sym.key_metadata().unwrap().key_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
    // Still refused specs.
    let err = kms
        .create_key()
        .key_spec(KeySpec::EccNistEdwards25519)
        .key_usage(KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "UnsupportedOperationException");
}

/// A SecureString or a secret under an asymmetric or HMAC key is refused,
/// and nothing is written: those keys cannot encrypt values (on AWS
/// neither service accepts them), and kinko's 32-byte material behind them
/// exists only to seal the key's own private or HMAC key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_cannot_be_sealed_under_an_asymmetric_or_hmac_key() {
    let server = support::in_process().await;
    let kms = server.kms();
    let ssm = server.ssm();
    let secrets = server.secrets();
    let keys = [
        create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await,
        create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await,
        create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await,
    ];
    for (i, key) in keys.iter().enumerate() {
        let name = format!("/asym/{i}");
        let err = ssm
            .put_parameter()
            .name(&name)
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .key_id(key)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "InvalidKeyId", "{err:?}");
        assert!(
            message(&err).contains("not a symmetric encryption key"),
            "{}",
            message(&err)
        );
        let err = ssm.get_parameter().name(&name).send().await.unwrap_err();
        assert_eq!(code(&err), "ParameterNotFound");

        let err = secrets
            .create_secret()
            .name(format!("asym-{i}"))
            .secret_string("v")
            .kms_key_id(key)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "EncryptionFailure", "{err:?}");
        let err = secrets
            .describe_secret()
            .secret_id(format!("asym-{i}"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&err), "ResourceNotFoundException");
    }
}
