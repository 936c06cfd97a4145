//! Ed25519 keys derived from a passphrase the holder keeps in their head.
//!
//! The construction (`ceremony-passphrase-v1`, see docs/passphrase-keys.md):
//!
//! ```text
//! salt = SHA-256( "ceremony passphrase key v1" || 0x00 || holder name as UTF-8 )
//! seed = Argon2id v1.3 (password = passphrase bytes, salt, m = memory_kib, t = iterations,
//!                       p = lanes, no secret, no associated data, 32-byte output)
//! key  = the Ed25519 key whose RFC 8032 private key (seed) is `seed`
//! ```
//!
//! Nothing secret is stored: the workspace keeps the public key and the KDF parameters, and
//! a holder who remembers the passphrase and the exact holder name re-derives the same key
//! on any machine. The passphrase, the Argon2 memory, the seed and the signing key are
//! zeroized when dropped.

use std::fmt;

use argon2::{Argon2, Block};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::source::{SignError, Signer};
use crate::keys::holder::{Holder, KeySource, PASSPHRASE_CONSTRUCTION};
use crate::support::secret::SecretBytes;
use crate::tuf::key::{Algorithm, Key};

/// The salt's domain-separation prefix (the NUL byte ends it, so no holder name can extend it).
pub const SALT_DOMAIN: &[u8] = b"ceremony passphrase key v1\0";

/// Refused when unlocking: parameters a tampered descriptor could use to exhaust the machine.
const MAX_MEMORY_KIB: u32 = 16 * 1024 * 1024;
const MAX_ITERATIONS: u32 = 64;
const MAX_LANES: u32 = 64;

/// A named set of Argon2id parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// For real keys: 2 GiB, 3 passes, 4 lanes (several seconds on a 2-core machine).
    Ceremony,
    /// For tests only: 8 MiB, 1 pass, 1 lane. Unsafe: marked wherever the key is shown.
    Test,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Ceremony => "ceremony",
            Profile::Test => "test",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "ceremony" => Some(Profile::Ceremony),
            "test" => Some(Profile::Test),
            _ => None,
        }
    }

    pub fn params(self) -> KdfParams {
        match self {
            Profile::Ceremony => KdfParams { profile: "ceremony".into(), memory_kib: 2 * 1024 * 1024, iterations: 3, lanes: 4 },
            Profile::Test => KdfParams { profile: "test".into(), memory_kib: 8 * 1024, iterations: 1, lanes: 1 },
        }
    }
}

/// Argon2id parameters as a holder's descriptor records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdfParams {
    pub profile: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl KdfParams {
    /// The descriptor's key source for a key derived with these parameters.
    pub fn key_source(&self) -> KeySource {
        KeySource::Passphrase {
            construction: PASSPHRASE_CONSTRUCTION.to_string(),
            profile: self.profile.clone(),
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            lanes: self.lanes,
        }
    }

    /// The parameters a descriptor records; refused if it is no passphrase key, names
    /// another construction or asks for absurd resources.
    pub fn from_source(holder: &str, source: &KeySource) -> Result<KdfParams, PassphraseError> {
        let KeySource::Passphrase { construction, profile, memory_kib, iterations, lanes } = source else {
            return Err(PassphraseError::NotAPassphraseKey { holder: holder.to_string(), location: source.describe(holder) });
        };
        if construction != PASSPHRASE_CONSTRUCTION {
            return Err(PassphraseError::UnknownConstruction { holder: holder.to_string(), construction: construction.clone() });
        }
        let params = KdfParams { profile: profile.clone(), memory_kib: *memory_kib, iterations: *iterations, lanes: *lanes };
        params.check()?;
        Ok(params)
    }

    fn check(&self) -> Result<(), PassphraseError> {
        let bad = |why: String| Err(PassphraseError::BadParameters(why));
        if self.lanes == 0 || self.lanes > MAX_LANES {
            return bad(format!("{} lanes (1 to {MAX_LANES} are usable)", self.lanes));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return bad(format!("{} iterations (1 to {MAX_ITERATIONS} are usable)", self.iterations));
        }
        if self.memory_kib < 8 * self.lanes || self.memory_kib > MAX_MEMORY_KIB {
            return bad(format!(
                "{} KiB of memory ({} to {MAX_MEMORY_KIB} KiB are usable with {} lanes)",
                self.memory_kib,
                8 * self.lanes,
                self.lanes
            ));
        }
        Ok(())
    }

    /// "2048 MiB, 3 passes, 4 lanes".
    pub fn describe(&self) -> String {
        let memory = if self.memory_kib.is_multiple_of(1024) {
            format!("{} MiB", self.memory_kib / 1024)
        } else {
            format!("{} KiB", self.memory_kib)
        };
        let passes = if self.iterations == 1 { "pass" } else { "passes" };
        let lanes = if self.lanes == 1 { "lane" } else { "lanes" };
        format!("Argon2id {memory}, {} {passes}, {} {lanes}", self.iterations, self.lanes)
    }
}

/// Why a passphrase key could not be derived or unlocked. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassphraseError {
    #[error("the passphrase does not give {holder}'s registered key; nothing was signed")]
    WrongPassphrase { holder: String },
    #[error("{holder}'s key is not a passphrase key ({location}); use that key source instead")]
    NotAPassphraseKey { holder: String, location: String },
    #[error("{holder}'s passphrase key was made with {construction:?}, which this version of ceremony does not know; use the version that registered it")]
    UnknownConstruction { holder: String, construction: String },
    #[error("the recorded key-derivation parameters are not usable: {0}; the holder file may have been altered")]
    BadParameters(String),
    #[error("deriving the key needs {mib} MiB of memory, which this machine could not give; close other programs and try again")]
    OutOfMemory { mib: u64 },
    #[error("the key derivation failed: {0}")]
    Kdf(String),
}

/// The Argon2id salt for `holder`: SHA-256 of [`SALT_DOMAIN`] followed by the name's UTF-8.
pub fn salt(holder: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SALT_DOMAIN);
    h.update(holder.as_bytes());
    h.finalize().into()
}

/// The 32-byte Ed25519 seed for `passphrase` and `holder`. The Argon2 memory is allocated
/// here, and zeroized before it is freed.
pub fn derive_seed(passphrase: &SecretBytes, holder: &str, params: &KdfParams) -> Result<Zeroizing<[u8; 32]>, PassphraseError> {
    params.check()?;
    let argon_params = argon2::Params::new(params.memory_kib, params.iterations, params.lanes, Some(32))
        .map_err(|e| PassphraseError::BadParameters(e.to_string()))?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params.clone());
    let blocks = argon_params.block_count();
    let mut memory: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    memory.try_reserve_exact(blocks).map_err(|_| PassphraseError::OutOfMemory { mib: params.memory_kib as u64 / 1024 })?;
    memory.resize(blocks, Block::default());
    let mut seed = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into_with_memory(passphrase.expose(), &salt(holder), &mut seed[..], &mut memory[..])
        .map_err(|e| PassphraseError::Kdf(e.to_string()))?;
    Ok(seed)
}

/// A passphrase-derived Ed25519 key in memory (zeroized on drop).
pub struct PassphraseSigner {
    secret: ed25519_dalek::SigningKey,
    key: Key,
    holder: String,
    source: KeySource,
}

impl PassphraseSigner {
    /// Derives `holder`'s key from `passphrase` with `params`.
    pub fn derive(passphrase: &SecretBytes, holder: &str, params: &KdfParams) -> Result<PassphraseSigner, PassphraseError> {
        let seed = derive_seed(passphrase, holder, params)?;
        let secret = ed25519_dalek::SigningKey::from_bytes(&seed);
        let key = Key::new(Algorithm::Ed25519, hex::encode(secret.verifying_key().as_bytes()));
        Ok(PassphraseSigner { secret, key, holder: holder.to_string(), source: params.key_source() })
    }

    /// What the holder's descriptor records about this key.
    pub fn key_source(&self) -> &KeySource {
        &self.source
    }

    /// The holder whose name salted the derivation.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

impl fmt::Debug for PassphraseSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PassphraseSigner({}, keyid {})", self.describe(), self.key.keyid())
    }
}

impl Signer for PassphraseSigner {
    fn public_key(&self) -> &Key {
        &self.key
    }

    fn describe(&self) -> String {
        self.source.describe(&self.holder)
    }

    fn concurrent(&self) -> Option<&(dyn Signer + Sync)> {
        Some(self)
    }

    fn sign_raw(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        use ed25519_dalek::Signer as _;
        Ok(self.secret.sign(message).to_bytes().to_vec())
    }
}

/// The key of `record` (`alice.claimed`) from `person`'s passphrase: first re-derives
/// `person`'s registered key to prove the passphrase is theirs (so a typo does not register
/// a key nobody can use), then derives `record`'s key with the same parameters. The record
/// name is the salt, so the key differs from `person`'s; the construction is unchanged.
pub fn derive_record(person: &Holder, record: &str, passphrase: &SecretBytes) -> Result<PassphraseSigner, PassphraseError> {
    let params = KdfParams::from_source(&person.name, &person.source)?;
    drop(unlock(person, passphrase)?);
    PassphraseSigner::derive(passphrase, record, &params)
}

/// Re-derives `holder`'s registered passphrase key with the recorded parameters. Refused,
/// with nothing derived kept, when the passphrase gives another key.
pub fn unlock(holder: &Holder, passphrase: &SecretBytes) -> Result<PassphraseSigner, PassphraseError> {
    let params = KdfParams::from_source(&holder.name, &holder.source)?;
    let signer = PassphraseSigner::derive(passphrase, &holder.name, &params)?;
    let registered = holder.key.public_key().ok().map(|p| p.identity());
    let derived = signer.key.public_key().ok().map(|p| p.identity());
    if registered.is_none() || registered != derived {
        return Err(PassphraseError::WrongPassphrase { holder: holder.name.clone() });
    }
    // Sign with the registered key object, so signatures carry the registered keyid.
    Ok(PassphraseSigner { key: holder.key.clone(), ..signer })
}

// ---------------------------------------------------------------------------------------
// Strength of new passphrases, and generated ones.

/// A new passphrase must have at least this many characters.
pub const MIN_LENGTH: usize = 16;

/// A new passphrase must need at least 10^this guesses by zxcvbn's estimate.
pub const MIN_GUESSES_LOG10: f64 = 14.0;

/// Words in a generated passphrase.
pub const GENERATED_WORDS: usize = 7;

/// The word list of generated passphrases: the EFF large diceware list (7776 words).
pub fn word_list() -> &'static [&'static str] {
    diceware_wordlists::Wordlist::EffLong.get_list()
}

/// The entropy of a generated passphrase in bits: 7 × log2(7776) ≈ 90.5.
pub fn generated_entropy_bits() -> f64 {
    GENERATED_WORDS as f64 * (word_list().len() as f64).log2()
}

/// How strong an accepted passphrase is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// zxcvbn's estimate of the guesses an attacker needs, as a power of ten.
    pub guesses_log10: f64,
    pub length: usize,
}

/// Why a new passphrase is refused. Never carries the passphrase.
#[derive(Debug, Clone, PartialEq)]
pub enum Weakness {
    NotPrintableAscii,
    SpaceAtEnds,
    TooShort { length: usize },
    TooFewGuesses { guesses_log10: f64, warning: Option<String> },
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::NotPrintableAscii => write!(
                f,
                "the passphrase has characters other than printable ASCII, which another machine's keyboard or Unicode handling may turn into other bytes"
            ),
            Weakness::SpaceAtEnds => write!(f, "the passphrase starts or ends with a space, which is easy to lose"),
            Weakness::TooShort { length } => {
                write!(f, "the passphrase has {length} characters, and at least {MIN_LENGTH} are required")
            }
            Weakness::TooFewGuesses { guesses_log10, warning } => {
                write!(
                    f,
                    "the passphrase is too easy to guess: about 10^{:.0} guesses would find it, and at least 10^{MIN_GUESSES_LOG10:.0} are required",
                    guesses_log10.max(0.0).floor()
                )?;
                if let Some(w) = warning {
                    write!(f, " ({})", w.trim_end_matches('.').to_lowercase())?;
                }
                Ok(())
            }
        }
    }
}

/// Checks a new passphrase for `holder`: printable ASCII without spaces at its ends, at
/// least [`MIN_LENGTH`] characters and at least 10^[`MIN_GUESSES_LOG10`] guesses by zxcvbn
/// (with the holder's name and the tool's words as known inputs).
pub fn check_strength(passphrase: &SecretBytes, holder: &str) -> Result<Strength, Weakness> {
    let bytes = passphrase.expose();
    if !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Err(Weakness::NotPrintableAscii);
    }
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return Err(Weakness::SpaceAtEnds);
    }
    if bytes.len() < MIN_LENGTH {
        return Err(Weakness::TooShort { length: bytes.len() });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Weakness::NotPrintableAscii)?;
    let known = [holder, "ceremony", "tuf", "pypi", "root", "targets", "passphrase", "python"];
    // zxcvbn scores each separator as a brute-force segment, so "the house and the dog"
    // rates 10^18.8 but "thehouseandthedog" 10^12; attackers try separators cheaply, so the
    // passphrase is also judged without them and the lower estimate counts.
    let joined: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '.')).collect());
    let mut weakest: Option<(f64, Option<String>)> = None;
    for candidate in [text, joined.as_str()] {
        let estimate = zxcvbn::zxcvbn(candidate, &known);
        let log10 = estimate.guesses_log10();
        if weakest.as_ref().is_none_or(|(w, _)| log10 < *w) {
            let warning = estimate.feedback().and_then(|f| f.warning()).map(|w| w.to_string());
            weakest = Some((log10, warning));
        }
    }
    let (guesses_log10, warning) = weakest.unwrap_or((0.0, None));
    if guesses_log10 < MIN_GUESSES_LOG10 {
        return Err(Weakness::TooFewGuesses { guesses_log10, warning });
    }
    Ok(Strength { guesses_log10, length: bytes.len() })
}

/// A uniformly random index below `n` from the operating system's generator.
fn random_below(n: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % n);
    loop {
        let x = OsRng.next_u32();
        if x < zone {
            return x % n;
        }
    }
}

/// A new passphrase of [`GENERATED_WORDS`] words drawn uniformly from the EFF large list,
/// separated by single spaces ([`generated_entropy_bits`] bits). Always passes
/// [`check_strength`].
pub fn generate_passphrase(holder: &str) -> Zeroizing<String> {
    let words = word_list();
    loop {
        let mut phrase = Zeroizing::new(String::with_capacity(GENERATED_WORDS * 10));
        for i in 0..GENERATED_WORDS {
            if i > 0 {
                phrase.push(' ');
            }
            phrase.push_str(words[random_below(words.len() as u32) as usize]);
        }
        // zxcvbn may, very rarely, rate a draw of common words below the threshold.
        if check_strength(&SecretBytes::from(phrase.as_str()), holder).is_ok() {
            return phrase;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::signer::Signer;

    fn test_params() -> KdfParams {
        Profile::Test.params()
    }

    #[test]
    fn salt_is_the_documented_hash() {
        let mut h = Sha256::new();
        h.update(b"ceremony passphrase key v1\x00alice");
        let want: [u8; 32] = h.finalize().into();
        assert_eq!(salt("alice"), want);
        assert_ne!(salt("alice"), salt("Alice"));
    }

    /// Argon2id itself, against RFC 9106's test vector (section 5.3), through the same calls
    /// (our memory, our output buffer) `derive_seed` makes.
    #[test]
    fn argon2id_matches_rfc9106() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .output_len(32)
            .data(argon2::AssociatedData::new(&[4; 12]).unwrap())
            .build()
            .unwrap();
        let argon = Argon2::new_with_secret(&[3; 8], argon2::Algorithm::Argon2id, argon2::Version::V0x13, params).unwrap();
        let mut memory = vec![Block::default(); 32];
        let mut out = [0u8; 32];
        argon.hash_password_into_with_memory(&[1; 32], &[2; 16], &mut out, &mut memory[..]).unwrap();
        assert_eq!(hex::encode(out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    #[test]
    fn same_inputs_same_key_other_holder_other_key() {
        let pass = SecretBytes::from("vivid shrimp unbolted cupped deceit");
        let a = PassphraseSigner::derive(&pass, "alice", &test_params()).unwrap();
        let a2 = PassphraseSigner::derive(&pass, "alice", &test_params()).unwrap();
        let b = PassphraseSigner::derive(&pass, "bob", &test_params()).unwrap();
        assert_eq!(a.public_key(), a2.public_key());
        assert_ne!(a.public_key().keyid(), b.public_key().keyid());
        let other = SecretBytes::from("vivid shrimp unbolted cupped deceiT");
        let c = PassphraseSigner::derive(&other, "alice", &test_params()).unwrap();
        assert_ne!(a.public_key().keyid(), c.public_key().keyid());
    }

    #[test]
    fn signs_and_describes() {
        let pass = SecretBytes::from("vivid shrimp unbolted cupped deceit");
        let s = PassphraseSigner::derive(&pass, "alice", &test_params()).unwrap();
        let sig = s.sign(b"message").unwrap();
        assert_eq!(hex::decode(&sig.sig).unwrap().len(), 64);
        assert_eq!(s.sign_raw(b"message").unwrap().len(), 64);
        s.public_key().public_key().unwrap().verify(b"message", &sig.sig).unwrap();
        assert!(
            s.describe().starts_with("passphrase key of alice"),
            "expected {:?} to start with {:?}",
            s.describe(),
            "passphrase key of alice"
        );
        assert!(s.describe().contains("UNSAFE"), "{}", s.describe());
        assert!(!format!("{s:?}").contains("vivid"), "expected {:?} not to contain {:?}", format!("{s:?}"), "vivid");
        let strong = Profile::Ceremony.params().key_source();
        assert_eq!(strong.describe("alice"), "passphrase key of alice");
        assert!(!strong.is_unsafe(), "expected `!strong.is_unsafe()`; strong = {:?}", strong);
        assert!(test_params().key_source().is_unsafe(), "the test parameters are not marked unsafe: {:?}", test_params().key_source());
    }

    #[test]
    fn unlock_refuses_the_wrong_passphrase_and_other_sources() {
        let pass = SecretBytes::from("vivid shrimp unbolted cupped deceit");
        let s = PassphraseSigner::derive(&pass, "alice", &test_params()).unwrap();
        let holder = Holder {
            name: "alice".into(),
            key: s.public_key().clone(),
            source: s.key_source().clone(),
            registered: "2026-01-01T00:00:00Z".into(),
        };
        let unlocked = unlock(&holder, &pass).unwrap();
        assert_eq!(unlocked.public_key().keyid(), holder.key.keyid());
        let e = unlock(&holder, &SecretBytes::from("vivid shrimp unbolted cupped deceiT")).unwrap_err();
        assert_eq!(e.to_string(), "the passphrase does not give alice's registered key; nothing was signed");
        // The same passphrase under another name derives another key.
        let renamed = Holder { name: "alice2".into(), ..holder.clone() };
        let got = unlock(&renamed, &pass);
        assert!(
            matches!(got, Err(PassphraseError::WrongPassphrase { .. })),
            "expected Err(PassphraseError::WrongPassphrase {{ .. }}), got {:?}",
            got
        );
        let public_only = Holder { source: KeySource::PublicOnly, ..holder.clone() };
        let got = unlock(&public_only, &pass);
        assert!(
            matches!(got, Err(PassphraseError::NotAPassphraseKey { .. })),
            "expected Err(PassphraseError::NotAPassphraseKey {{ .. }}), got {:?}",
            got
        );
        let huge = Holder { source: KdfParams { memory_kib: u32::MAX, ..test_params() }.key_source(), ..holder.clone() };
        let got = unlock(&huge, &pass);
        assert!(matches!(got, Err(PassphraseError::BadParameters(_))), "expected Err(PassphraseError::BadParameters(_)), got {:?}", got);
        let other = Holder {
            source: KeySource::Passphrase {
                construction: "ceremony-passphrase-v9".into(),
                profile: "test".into(),
                memory_kib: 8192,
                iterations: 1,
                lanes: 1,
            },
            ..holder
        };
        let got = unlock(&other, &pass);
        assert!(
            matches!(got, Err(PassphraseError::UnknownConstruction { .. })),
            "expected Err(PassphraseError::UnknownConstruction {{ .. }}), got {:?}",
            got
        );
    }

    #[test]
    fn strength_rules() {
        let weak = |p: &str| check_strength(&SecretBytes::from(p), "alice").unwrap_err();
        let got = weak("password");
        assert!(matches!(got, Weakness::TooShort { length: 8 }), "expected Weakness::TooShort {{ length: 8 }}, got {:?}", got);
        let got = weak("passwordpassword1");
        assert!(matches!(got, Weakness::TooFewGuesses { .. }), "expected Weakness::TooFewGuesses {{ .. }}, got {:?}", got);
        let got = weak("alicealicealice!!");
        assert!(matches!(got, Weakness::TooFewGuesses { .. }), "expected Weakness::TooFewGuesses {{ .. }}, got {:?}", got);
        let got = weak("the house and the dog");
        assert!(matches!(got, Weakness::TooFewGuesses { .. }), "expected Weakness::TooFewGuesses {{ .. }}, got {:?}", got);
        let got = weak("i-love-my-dog-very-much");
        assert!(matches!(got, Weakness::TooFewGuesses { .. }), "expected Weakness::TooFewGuesses {{ .. }}, got {:?}", got);
        let got = weak("Zürich is lovely in spring");
        assert!(matches!(got, Weakness::NotPrintableAscii), "expected Weakness::NotPrintableAscii, got {:?}", got);
        let got = weak(" leading space is invisible here");
        assert!(matches!(got, Weakness::SpaceAtEnds), "expected Weakness::SpaceAtEnds, got {:?}", got);
        let text = weak("passwordpassword1").to_string();
        assert!(text.contains("at least 10^14"), "{text}");
        assert!(!text.contains("passwordpassword"), "{text}");
        check_strength(&SecretBytes::from("vivid shrimp unbolted cupped deceit gala"), "alice").unwrap();
        check_strength(&SecretBytes::from("x7#Kq9!pLm2$zR4w"), "alice").unwrap();
    }

    #[test]
    fn generated_passphrases_have_seven_list_words_and_pass() {
        assert_eq!(word_list().len(), 7776);
        assert!(
            (generated_entropy_bits() - 90.47).abs() < 0.01,
            "expected `(generated_entropy_bits() - 90.47).abs() < 0.01`, got {:?}",
            (generated_entropy_bits() - 90.47).abs()
        );
        for _ in 0..50 {
            let p = generate_passphrase("alice");
            let words: Vec<&str> = p.split(' ').collect();
            assert_eq!(words.len(), GENERATED_WORDS);
            assert!(words.iter().all(|w| word_list().contains(w)), "not all match `|w| word_list().contains(w)`: {:?}", words);
            check_strength(&SecretBytes::from(p.as_str()), "alice").unwrap();
        }
        assert_ne!(*generate_passphrase("alice"), *generate_passphrase("alice"));
    }
}
