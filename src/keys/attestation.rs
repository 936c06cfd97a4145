//! PIV attestation: the proof that a slot's key was generated on the device.
//!
//! A YubiKey answers PIV ATTEST (INS F9) for a slot with a certificate for the slot's public key,
//! signed by the device's attestation key; the device's attestation certificate (slot F9) is
//! signed by the vendor's attestation CA (Yubico's root, or an intermediate under it). Checked
//! here, with nothing but certificates: the slot certificate certifies this very public key,
//! its signature verifies under the F9 certificate's key, and (given the vendor's certificates)
//! the F9 certificate's signature verifies under one of them. Validity periods are not checked:
//! the point is where the key was made, not whether a certificate is current.

use sha2::{Digest, Sha256, Sha384};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, DecodePem, Encode};
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use crate::keys::holder::AttestationState;
use crate::tuf::key::{Key, PublicKey};

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// Why an attestation does not prove what it should.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    #[error("the attestation certificate of slot {0} certifies a different key than the slot's")]
    KeyMismatch(String),
    #[error("the attestation certificate of slot {0} is not signed by the device attestation certificate (slot f9)")]
    NotSignedByDevice(String),
    #[error("the device attestation certificate (slot f9) could not be read, so the chain to the attestation root cannot be checked")]
    NoDeviceCertificate,
    #[error("the device attestation certificate (slot f9) is not signed by any certificate in the attestation root file")]
    NotSignedByRoot,
    #[error("the attestation root file holds no readable PEM certificate")]
    BadRoot,
}

/// The vendor's attestation certificates from a PEM file (the root, and any intermediate that
/// signs device certificates); every one of them is trusted as the user gave it.
pub fn parse_roots(pem: &[u8]) -> Result<Vec<Certificate>, AttestationError> {
    let text = std::str::from_utf8(pem).map_err(|_| AttestationError::BadRoot)?;
    let end = "-----END CERTIFICATE-----";
    let roots: Vec<Certificate> = text
        .split_inclusive(end)
        .filter(|block| block.contains(end))
        .map(|block| Certificate::from_pem(block.trim_start()).map_err(|_| AttestationError::BadRoot))
        .collect::<Result<_, _>>()?;
    if roots.is_empty() {
        return Err(AttestationError::BadRoot);
    }
    Ok(roots)
}

/// SHA-256 of a certificate's DER, in hex: how people compare a root with the vendor's.
pub fn fingerprint(cert: &Certificate) -> String {
    cert.to_der().map(|der| hex::encode(Sha256::digest(der))).unwrap_or_default()
}

/// True when `cert`'s signature verifies under `issuer`'s public key. Algorithms: ECDSA P-256 or
/// P-384 with SHA-256 or SHA-384, RSA PKCS#1 v1.5 with SHA-256 (what Yubico's CAs use).
pub fn signed_by(cert: &Certificate, issuer: &SubjectPublicKeyInfoOwned) -> bool {
    let (Ok(tbs), Some(sig), Ok(spki)) = (cert.tbs_certificate.to_der(), cert.signature.as_bytes(), issuer.to_der()) else {
        return false;
    };
    match cert.signature_algorithm.oid {
        ECDSA_SHA256 => ecdsa_verifies(&spki, &Sha256::digest(&tbs), sig),
        ECDSA_SHA384 => ecdsa_verifies(&spki, &Sha384::digest(&tbs), sig),
        RSA_SHA256 => rsa_verifies(&spki, &tbs, sig),
        _ => false,
    }
}

fn ecdsa_verifies(spki_der: &[u8], digest: &[u8], sig_der: &[u8]) -> bool {
    use p256::pkcs8::DecodePublicKey;
    use signature::hazmat::PrehashVerifier;
    if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der) {
        return p256::ecdsa::Signature::from_der(sig_der).is_ok_and(|s| key.verify_prehash(digest, &s).is_ok());
    }
    if let Ok(key) = p384::ecdsa::VerifyingKey::from_public_key_der(spki_der) {
        return p384::ecdsa::Signature::from_der(sig_der).is_ok_and(|s| key.verify_prehash(digest, &s).is_ok());
    }
    false
}

fn rsa_verifies(spki_der: &[u8], message: &[u8], sig: &[u8]) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    use signature::Verifier;
    let Ok(key) = rsa::RsaPublicKey::from_public_key_der(spki_der) else { return false };
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(sig) else { return false };
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(message, &sig).is_ok()
}

/// What a check established: the machine-readable state and the sentence recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub state: AttestationState,
    pub verified: String,
}

/// True when `cert` certifies `key`: its P-256/P-384 public key, as a TUF key object, is `key`.
pub fn certifies(cert: &Certificate, key: &Key) -> bool {
    use p256::pkcs8::DecodePublicKey;
    let Ok(der) = cert.tbs_certificate.subject_public_key_info.to_der() else { return false };
    let point = if let Ok(k) = p256::PublicKey::from_public_key_der(&der) {
        (hex::encode(k.to_sec1_bytes()), "ecdsa-sha2-nistp256")
    } else if let Ok(k) = p384::PublicKey::from_public_key_der(&der) {
        (hex::encode(k.to_sec1_bytes()), "ecdsa-sha2-nistp384")
    } else {
        return false;
    };
    let tuf = PublicKey::from_tuf("ecdsa", point.1, &point.0).and_then(|p| p.to_standard_key());
    tuf.is_ok_and(|k| k.keyid() == key.keyid())
}

/// Checks a slot's attestation for the registered `key`. Without `roots`, a chain that
/// cannot be followed is recorded as such; with `roots`, anything short of the whole chain is an
/// error, so the registration is refused.
pub fn check(
    slot: &str,
    slot_cert: &Certificate,
    key: &Key,
    device_cert: Option<&Certificate>,
    roots: Option<&[Certificate]>,
) -> Result<Checked, AttestationError> {
    if !certifies(slot_cert, key) {
        return Err(AttestationError::KeyMismatch(slot.to_string()));
    }
    let mut verified = format!("the attestation certificate for slot {slot} certifies the registered public key");
    let Some(device) = device_cert else {
        if roots.is_some() {
            return Err(AttestationError::NoDeviceCertificate);
        }
        verified.push_str("; the device attestation certificate (slot f9) could not be read");
        return Ok(Checked { state: AttestationState::KeyOnly, verified });
    };
    if !signed_by(slot_cert, &device.tbs_certificate.subject_public_key_info) {
        if roots.is_some() {
            return Err(AttestationError::NotSignedByDevice(slot.to_string()));
        }
        verified.push_str("; its signature does NOT verify under the device attestation certificate (slot f9)");
        return Ok(Checked { state: AttestationState::KeyOnly, verified });
    }
    verified.push_str(" and is signed by the device attestation certificate (slot f9)");
    let Some(roots) = roots else {
        verified.push_str("; the chain to the vendor's root was not checked (no --attestation-root)");
        return Ok(Checked { state: AttestationState::DeviceVerified, verified });
    };
    let root =
        roots.iter().find(|r| signed_by(device, &r.tbs_certificate.subject_public_key_info)).ok_or(AttestationError::NotSignedByRoot)?;
    verified.push_str(&format!(
        ", which is signed by the attestation root {} (SHA-256 {})",
        root.tbs_certificate.subject,
        fingerprint(root)
    ));
    Ok(Checked { state: AttestationState::ChainVerified, verified })
}

/// Reads a DER certificate (what the device returns).
pub fn from_der(der: &[u8]) -> Option<Certificate> {
    Certificate::from_der(der).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use std::time::Duration;
    use x509_cert::builder::{Builder, CertificateBuilder, Profile};
    use x509_cert::der::EncodePem;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::Validity;

    fn p256_key() -> p256::ecdsa::SigningKey {
        p256::ecdsa::SigningKey::random(&mut rand_core::OsRng)
    }

    fn spki_of(key: &p256::ecdsa::SigningKey) -> SubjectPublicKeyInfoOwned {
        SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap()
    }

    fn validity() -> Validity {
        Validity::from_now(Duration::from_secs(86400)).unwrap()
    }

    /// A certificate for `subject_key` named `subject`, signed by `signer` (named `issuer`).
    fn cert_p256(profile: Profile, subject: &str, subject_key: SubjectPublicKeyInfoOwned, signer: &p256::ecdsa::SigningKey) -> Certificate {
        let name = Name::from_str(subject).unwrap();
        CertificateBuilder::new(profile, SerialNumber::from(7u32), validity(), name, subject_key, signer)
            .unwrap()
            .build::<p256::ecdsa::DerSignature>()
            .unwrap()
    }

    fn leaf(issuer: &str) -> Profile {
        Profile::Leaf {
            issuer: Name::from_str(issuer).unwrap(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
            include_subject_key_identifier: true,
        }
    }

    fn sub_ca(issuer: &str) -> Profile {
        Profile::SubCA { issuer: Name::from_str(issuer).unwrap(), path_len_constraint: None }
    }

    /// Root (P-256) → device F9 certificate → slot certificate for `slot_key`.
    struct Chain {
        root: Certificate,
        device: Certificate,
        slot: Certificate,
        slot_key: p256::ecdsa::SigningKey,
        key: Key,
    }

    fn chain() -> Chain {
        let (root_key, device_key, slot_key) = (p256_key(), p256_key(), p256_key());
        let root = cert_p256(Profile::Root, "CN=Test PIV Root CA", spki_of(&root_key), &root_key);
        let device = cert_p256(sub_ca("CN=Test PIV Root CA"), "CN=Test PIV Attestation", spki_of(&device_key), &root_key);
        let slot = cert_p256(leaf("CN=Test PIV Attestation"), "CN=YubiKey PIV Attestation 9c", spki_of(&slot_key), &device_key);
        let key = tuf_key(&slot_key);
        Chain { root, device, slot, slot_key, key }
    }

    /// The registered TUF key object of `signing`'s public key.
    fn tuf_key(signing: &p256::ecdsa::SigningKey) -> Key {
        let point = hex::encode(signing.verifying_key().to_encoded_point(false).as_bytes());
        PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp256", &point).unwrap().to_standard_key().unwrap()
    }

    fn pem(c: &Certificate) -> String {
        c.to_pem(x509_cert::der::pem::LineEnding::LF).unwrap()
    }

    #[test]
    fn a_good_chain_is_chain_verified_and_names_the_root() {
        let c = chain();
        let roots = parse_roots(pem(&c.root).as_bytes()).unwrap();
        let got = check("9c", &c.slot, &c.key, Some(&c.device), Some(&roots)).unwrap();
        assert_eq!(got.state, AttestationState::ChainVerified);
        assert!(got.verified.contains("CN=Test PIV Root CA") && got.verified.contains(&fingerprint(&c.root)), "{}", got.verified);
        // The slot certificate's key is the slot key's.
        assert_eq!(c.slot.tbs_certificate.subject_public_key_info, spki_of(&c.slot_key));
        // Without a root: the device signature is still checked, the state says how far.
        let got = check("9c", &c.slot, &c.key, Some(&c.device), None).unwrap();
        assert_eq!(got.state, AttestationState::DeviceVerified);
        assert!(got.verified.contains("not checked"), "{}", got.verified);
    }

    #[test]
    fn a_root_file_with_several_certificates_trusts_each() {
        let c = chain();
        let other = cert_p256(Profile::Root, "CN=Other", spki_of(&p256_key()), &p256_key());
        let file = format!("some text\n{}\n{}", pem(&other), pem(&c.root));
        let roots = parse_roots(file.as_bytes()).unwrap();
        assert_eq!(roots.len(), 2);
        assert_eq!(check("9c", &c.slot, &c.key, Some(&c.device), Some(&roots)).unwrap().state, AttestationState::ChainVerified);
        assert_eq!(parse_roots(b"not a certificate").unwrap_err(), AttestationError::BadRoot);
        assert_eq!(parse_roots(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap_err(), AttestationError::BadRoot);
    }

    #[test]
    fn the_wrong_root_is_refused() {
        let c = chain();
        let imposter_key = p256_key();
        // Same name as the real root, different key: names alone must not pass.
        let imposter = cert_p256(Profile::Root, "CN=Test PIV Root CA", spki_of(&imposter_key), &imposter_key);
        let roots = vec![imposter];
        assert_eq!(check("9c", &c.slot, &c.key, Some(&c.device), Some(&roots)), Err(AttestationError::NotSignedByRoot));
        // The device certificate itself is no root for the device certificate.
        let roots = vec![c.device.clone()];
        assert_eq!(check("9c", &c.slot, &c.key, Some(&c.device), Some(&roots)), Err(AttestationError::NotSignedByRoot));
    }

    #[test]
    fn a_slot_certificate_for_another_key_is_refused() {
        let c = chain();
        let roots = vec![c.root.clone()];
        // A well-signed chain whose slot certificate certifies another key than the registered one.
        let registered = tuf_key(&p256_key());
        assert_eq!(check("9c", &c.slot, &registered, Some(&c.device), Some(&roots)), Err(AttestationError::KeyMismatch("9c".into())));
        assert_eq!(check("9c", &c.slot, &registered, Some(&c.device), None), Err(AttestationError::KeyMismatch("9c".into())));
        assert!(certifies(&c.slot, &c.key), "the slot certificate does not certify its key: {:?}", c.key);
        assert!(!certifies(&c.slot, &registered), "the slot certificate certifies another key: {registered:?}");
    }

    #[test]
    fn a_slot_certificate_signed_by_another_device_is_refused_with_a_root() {
        let c = chain();
        let other_device_key = p256_key();
        let forged = cert_p256(leaf("CN=Test PIV Attestation"), "CN=YubiKey PIV Attestation 9c", spki_of(&c.slot_key), &other_device_key);
        let roots = vec![c.root.clone()];
        assert_eq!(check("9c", &forged, &c.key, Some(&c.device), Some(&roots)), Err(AttestationError::NotSignedByDevice("9c".into())));
        let got = check("9c", &forged, &c.key, Some(&c.device), None).unwrap();
        assert_eq!(got.state, AttestationState::KeyOnly);
        assert_eq!(check("9c", &c.slot, &c.key, None, Some(&roots)), Err(AttestationError::NoDeviceCertificate));
    }

    #[test]
    fn tampered_signatures_and_contents_are_refused() {
        let c = chain();
        let roots = vec![c.root.clone()];
        // A flipped bit in the slot certificate's signature.
        let mut slot = c.slot.clone();
        let mut sig = slot.signature.raw_bytes().to_vec();
        let n = sig.len() - 3;
        sig[n] ^= 1;
        slot.signature = x509_cert::der::asn1::BitString::from_bytes(&sig).unwrap();
        assert_eq!(check("9c", &slot, &c.key, Some(&c.device), Some(&roots)), Err(AttestationError::NotSignedByDevice("9c".into())));
        // The device certificate's contents changed after the root signed it.
        let mut device = c.device.clone();
        device.tbs_certificate.serial_number = SerialNumber::from(8u32);
        assert_eq!(check("9c", &c.slot, &c.key, Some(&device), Some(&roots)), Err(AttestationError::NotSignedByRoot));
        // The device certificate's signature corrupted.
        let mut device = c.device.clone();
        let mut sig = device.signature.raw_bytes().to_vec();
        let n = sig.len() - 3;
        sig[n] ^= 1;
        device.signature = x509_cert::der::asn1::BitString::from_bytes(&sig).unwrap();
        assert_eq!(check("9c", &c.slot, &c.key, Some(&device), Some(&roots)), Err(AttestationError::NotSignedByRoot));
    }

    #[test]
    fn an_rsa_root_as_yubico_uses_verifies_a_device_certificate() {
        use rsa::pkcs8::EncodePublicKey;
        let rsa_key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa_key.clone());
        let rsa_spki = SubjectPublicKeyInfoOwned::from_der(rsa_key.to_public_key().to_public_key_der().unwrap().as_bytes()).unwrap();
        let root = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            validity(),
            Name::from_str("CN=Yubico PIV Root CA Test").unwrap(),
            rsa_spki,
            &signer,
        )
        .unwrap()
        .build::<rsa::pkcs1v15::Signature>()
        .unwrap();
        let device_key = p256_key();
        let device = CertificateBuilder::new(
            sub_ca("CN=Yubico PIV Root CA Test"),
            SerialNumber::from(2u32),
            validity(),
            Name::from_str("CN=Yubico PIV Attestation").unwrap(),
            spki_of(&device_key),
            &signer,
        )
        .unwrap()
        .build::<rsa::pkcs1v15::Signature>()
        .unwrap();
        assert_eq!(device.signature_algorithm.oid, RSA_SHA256);
        let slot_key = p256_key();
        let key = tuf_key(&slot_key);
        let slot = cert_p256(leaf("CN=Yubico PIV Attestation"), "CN=YubiKey PIV Attestation 9c", spki_of(&slot_key), &device_key);
        let roots = parse_roots(pem(&root).as_bytes()).unwrap();
        assert_eq!(check("9c", &slot, &key, Some(&device), Some(&roots)).unwrap().state, AttestationState::ChainVerified);
        let wrong = cert_p256(Profile::Root, "CN=Yubico PIV Root CA Test", spki_of(&device_key), &device_key);
        assert_eq!(check("9c", &slot, &key, Some(&device), Some(&[wrong])), Err(AttestationError::NotSignedByRoot));
    }

    #[test]
    fn a_p384_issuer_verifies() {
        let root_key = p384::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let root_spki = SubjectPublicKeyInfoOwned::from_key(*root_key.verifying_key()).unwrap();
        let device_key = p256_key();
        let device = CertificateBuilder::new(
            sub_ca("CN=R384"),
            SerialNumber::from(3u32),
            validity(),
            Name::from_str("CN=D").unwrap(),
            spki_of(&device_key),
            &root_key,
        )
        .unwrap()
        .build::<p384::ecdsa::DerSignature>()
        .unwrap();
        assert_eq!(device.signature_algorithm.oid, ECDSA_SHA384);
        assert!(signed_by(&device, &root_spki), "the device certificate is not signed by the root: {root_spki:?}");
        assert!(!signed_by(&device, &spki_of(&device_key)), "the device certificate is signed by its own key: {:?}", spki_of(&device_key));
    }
}
