//! Property tests of project names and their path patterns (src/pypi/project.rs), over generated
//! project names and PEP 440 versions, and a differential test of our pattern matching
//! against Python's `fnmatch.fnmatchcase` and python-tuf's `DelegatedRole.is_delegated_path`.
//!
//! Names are drawn from a small alphabet so that they collide and share prefixes (`foo`,
//! `foo-bar`, `foo_bar2`, `foo-1`, `foo1`), with runs of separators and mixed case before
//! normalization, names ending in digits, single characters. Pairs of projects are derived
//! from each other (one a prefix of the other, with or without a separator, with a digit).
//!
//! Target paths are Warehouse's: `packages/XX/YY/<60 hex>/FILENAME` and `simple/NAME/index.html`.

mod common;

use ceremony::pypi::project::{fnmatch, is_valid_name, legacy_overlap, normalize, pattern_matches, project_paths, shard_key, shard_paths};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

// ---------------------------------------------------------------------------------------
// Generators

/// A name part: few letters and digits, so that names collide and prefix each other.
fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[abfoAFO]{1,3}",
        2 => "[0-9]{1,2}",
        2 => "[a-cA-C0-2]{1,4}",
        1 => Just("foo".to_string()),
        1 => Just("bar".to_string()),
        1 => Just("py".to_string()),
    ]
}

/// A run of separators, mostly one.
fn arb_sep_run() -> impl Strategy<Value = String> {
    prop_oneof![6 => "[-_.]", 1 => "[-_.]{2,3}"]
}

/// A valid project name as a user might type it (not normalized).
fn arb_raw_name() -> impl Strategy<Value = String> {
    (arb_segment(), prop::collection::vec((arb_sep_run(), arb_segment()), 0..4)).prop_map(|(first, rest)| {
        let mut name = first;
        for (sep, seg) in rest {
            name.push_str(&sep);
            name.push_str(&seg);
        }
        name
    })
}

/// Two distinct-looking raw names, drawn to be adversarial: one derived from the other.
fn arb_name_pair() -> impl Strategy<Value = (String, String)> {
    (arb_raw_name(), arb_raw_name(), arb_sep_run(), 0u8..7, any::<usize>(), any::<bool>()).prop_map(|(a, other, sep, how, cut, swap)| {
        let b = match how {
            // foo / foo-bar, foo / foo_1
            0 => format!("{a}{sep}{other}"),
            // foo / foobar, foo / foo1, foo1 / foo12
            1 => format!("{a}{other}"),
            // foo / foo-1, foo-bar / foo-bar-2
            2 => format!("{a}-{}", cut % 13),
            // foo-bar / foobar
            3 => normalize(&a).replace('-', ""),
            // foo-bar-baz / a prefix of it (trailing separators dropped)
            4 => {
                let keep = 1 + cut % a.len();
                a[..keep].trim_end_matches(['-', '_', '.']).to_string()
            }
            // foo-bar / foo-bar2 / foo-bar-2 via the normalized form
            5 => format!("{}{}", normalize(&a), cut % 10),
            _ => other,
        };
        if swap {
            (b, a)
        } else {
            (a, b)
        }
    })
}

/// A PEP 440 version in normalized form.
fn arb_version() -> impl Strategy<Value = String> {
    let generated = (
        prop::option::weighted(0.15, 1u32..5),
        prop::collection::vec(0u32..30, 1..4),
        prop::option::weighted(0.3, (prop_oneof![Just("a"), Just("b"), Just("rc")], 0u32..10)),
        prop::option::weighted(0.2, 0u32..10),
        prop::option::weighted(0.2, 0u32..10),
        prop::option::weighted(0.2, "[a-z0-9]{1,4}(\\.[a-z0-9]{1,4}){0,2}"),
    )
        .prop_map(|(epoch, release, pre, post, dev, local)| {
            let mut v = String::new();
            if let Some(e) = epoch {
                v.push_str(&format!("{e}!"));
            }
            v.push_str(&release.iter().map(u32::to_string).collect::<Vec<_>>().join("."));
            if let Some((kind, n)) = pre {
                v.push_str(&format!("{kind}{n}"));
            }
            if let Some(n) = post {
                v.push_str(&format!(".post{n}"));
            }
            if let Some(n) = dev {
                v.push_str(&format!(".dev{n}"));
            }
            if let Some(l) = local {
                v.push_str(&format!("+{l}"));
            }
            v
        });
    prop_oneof![
        1 => prop::sample::select(vec!["1", "1.0", "2!1.0", "1.0a1", "1.0.post1", "1.0.dev3", "1.0+local.7"])
            .prop_map(String::from),
        3 => generated,
    ]
}

/// A wheel's tags after the version: optional build tag, python, abi, platform.
#[derive(Debug, Clone)]
struct Tags {
    build: Option<String>,
    py: &'static str,
    abi: &'static str,
    plat: &'static str,
}

fn arb_tags() -> impl Strategy<Value = Tags> {
    (
        prop::option::weighted(0.3, "[0-9][a-z0-9_]{0,3}"),
        prop::sample::select(vec!["py3", "py2.py3", "cp311", "pp39", "py2"]),
        prop::sample::select(vec!["none", "abi3", "cp311", "cp27mu"]),
        prop::sample::select(vec!["any", "win_amd64", "manylinux_2_17_x86_64.manylinux2014_x86_64", "macosx_10_9_universal2"]),
    )
        .prop_map(|(build, py, abi, plat)| Tags { build, py, abi, plat })
}

/// The `packages/XX/YY/<60 hex>` directory of a Warehouse file (from 64 hex digits).
fn arb_blake() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

/// Random choices for letter case and separators.
/// A valid project name as typed, with a version, tags, separator noise and a BLAKE2b
/// hash for its files.
fn arb_project() -> impl Strategy<Value = (String, String, Tags, Vec<u8>, String)> {
    (arb_raw_name(), arb_version(), arb_tags(), arb_noise(), arb_blake()).prop_filter("a valid name", |p| is_valid_name(&p.0))
}

/// Two valid project names (possibly the same once normalized) with a version, tags,
/// separator noise and a BLAKE2b hash for their files.
#[allow(clippy::type_complexity)]
fn arb_two_projects() -> impl Strategy<Value = (String, String, String, Tags, Vec<u8>, String)> {
    (arb_name_pair(), arb_version(), arb_tags(), arb_noise(), arb_blake())
        .prop_filter("two valid names", |((a, b), ..)| is_valid_name(a) && is_valid_name(b))
        .prop_map(|((a, b), ver, tags, noise, blake)| (a, b, ver, tags, noise, blake))
}

fn arb_noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 64)
}

// ---------------------------------------------------------------------------------------
// File names and target paths

fn target(blake: &str, file: &str) -> String {
    format!("packages/{}/{}/{}/{file}", &blake[..2], &blake[2..4], &blake[4..64])
}

fn simple_page(norm: &str) -> String {
    format!("simple/{norm}/index.html")
}

/// PEP 427 wheel and PEP 625 sdist of a project (normalized name, `_` for `-`).
fn modern_files(norm: &str, ver: &str, tags: &Tags) -> [String; 2] {
    let n = norm.replace('-', "_");
    let build = tags.build.as_ref().map(|b| format!("-{b}")).unwrap_or_default();
    [format!("{n}-{ver}{build}-{}-{}-{}.whl", tags.py, tags.abi, tags.plat), format!("{n}-{ver}.tar.gz")]
}

/// The forms of older distribution files, after `NAME-VERSION`.
fn older_files(spelled: &str, ver: &str) -> Vec<String> {
    [".tar.gz", ".zip", ".tar.bz2", "-py2.7.egg", ".win32.exe", ".win-amd64-py3.8.exe", "-py2.py3-none-any.whl", "-1-py3-none-any.whl"]
        .iter()
        .map(|ext| format!("{spelled}-{ver}{ext}"))
        .collect()
}

/// `norm` spelled as an older file name may spell it: each letter in either case, each
/// separator `-`, `_` or `.`, except `-` before a digit unless `dash_before_digit`.
fn spell(norm: &str, noise: &[u8], dash_before_digit: bool) -> String {
    let chars: Vec<char> = norm.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let r = noise[i % noise.len()] as usize;
            let before_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            match c {
                '-' if before_digit && !dash_before_digit => ['_', '.'][r % 2],
                '-' => ['-', '_', '.'][r % 3],
                c if r % 2 == 1 => c.to_ascii_uppercase(),
                c => c,
            }
        })
        .collect()
}

/// Every spelling of `norm` with `-`, `_` or `.` at each separator (3^separators of them).
fn separator_variants(norm: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in norm.chars() {
        let choices: &[char] = if c == '-' { &['-', '_', '.'] } else { &[c] };
        out = out
            .iter()
            .flat_map(|s| {
                choices.iter().map(move |&x| {
                    let mut s = s.clone();
                    s.push(x);
                    s
                })
            })
            .collect();
    }
    out
}

fn covered(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|p| pattern_matches(p, path))
}

fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------
// Properties 1-4

proptest! {
    #![proptest_config(proptest_config(1000))]

    /// 1. A project's patterns cover every file of the project: modern wheels and sdists,
    /// older names in any case with `-`/`_`/`.` separators (but `-` before a digit, which
    /// is deliberately not covered), and its simple page. Raw and normalized names give the
    /// same patterns.
    #[test]
    fn a_project_covers_its_own_files((raw, ver, tags, noise, blake) in arb_project()) {
        let norm = normalize(&raw);
        let patterns = project_paths(&raw).unwrap();
        prop_assert_eq!(&patterns, &project_paths(&norm).unwrap());
        for file in modern_files(&norm, &ver, &tags) {
            prop_assert!(covered(&patterns, &target(&blake, &file)), "{:?} misses its modern file {}", patterns, file);
        }
        let spelled = spell(&norm, &noise, false);
        for file in older_files(&spelled, &ver).into_iter().chain(older_files(&spelled.to_uppercase(), &ver)) {
            prop_assert!(covered(&patterns, &target(&blake, &file)), "{:?} misses its older file {}", patterns, file);
        }
        prop_assert!(covered(&patterns, &simple_page(&norm)), "{:?} misses {}'s simple page", patterns, norm);
        // The one deliberate gap: `-` before a digit reads as `NAME-VERSION` of another
        // project (`foo-1-2.0.tar.gz` is project foo, version 1), so it is not covered.
        let dashed = spell(&norm, &noise, true);
        let dash_before_digit = dashed.as_bytes().windows(2).any(|w| w[0] == b'-' && w[1].is_ascii_digit());
        if dash_before_digit {
            for file in older_files(&dashed, &ver) {
                prop_assert!(!covered(&patterns, &target(&blake, &file)), "{:?} covers {}", patterns, file);
            }
        }
        // Nothing but the project's own two shapes of path: wrong depth is never covered.
        let shallow = format!("packages/{}", modern_files(&norm, &ver, &tags)[1]);
        prop_assert!(!covered(&patterns, &shallow), "{:?} covers {}", patterns, shallow);
        let deep = format!("simple/{norm}/x/index.html");
        prop_assert!(!covered(&patterns, &deep), "{:?} covers {}", patterns, deep);
    }

    /// The allocation-free check the one-pass reader uses says yes to a project's own
    /// file pattern and no to another project's.
    #[test]
    fn the_file_pattern_check_agrees_with_the_patterns((a, b) in arb_name_pair()) {
        prop_assume!(is_valid_name(&a) && is_valid_name(&b));
        let (a, b) = (normalize(&a), normalize(&b));
        prop_assume!(a != b);
        let own = &project_paths(&a).unwrap()[0];
        prop_assert!(ceremony::pypi::project::is_file_pattern(&a, own.as_bytes()), "{} is not {}'s file pattern", own, a);
        prop_assert!(!ceremony::pypi::project::is_file_pattern(&b, own.as_bytes()), "{} takes {}'s pattern", b, a);
        prop_assert!(!ceremony::pypi::project::is_file_pattern(&a, &own.as_bytes()[..own.len() - 1]), "{:?} cut short is still {}'s file pattern", own, a);
        let widened = format!("{own}*");
        prop_assert!(!ceremony::pypi::project::is_file_pattern(&a, widened.as_bytes()), "{} is taken as {}'s file pattern", widened, a);
    }

    /// 2. No project's patterns cover a modern file name or the simple page of a different
    /// project.
    #[test]
    fn a_project_never_covers_another_projects_modern_files((a, b, ver, tags, _, blake) in arb_two_projects()) {
        let (na, nb) = (normalize(&a), normalize(&b));
        prop_assume!(na != nb);
        let patterns = project_paths(&a).unwrap();
        for file in modern_files(&nb, &ver, &tags) {
            prop_assert!(!covered(&patterns, &target(&blake, &file)), "{}'s {:?} cover {}'s {}", na, patterns, nb, file);
        }
        prop_assert!(!covered(&patterns, &simple_page(&nb)), "{}'s {:?} cover {}'s simple page", na, patterns, nb);
    }

    /// 3. Every shard on the way to a project's key covers the project's files (modern and
    /// the covered older forms) and its simple page.
    #[test]
    fn every_shard_prefix_covers_the_projects_files((raw, ver, tags, noise, blake) in arb_project()) {
        let norm = normalize(&raw);
        let key = shard_key(&norm);
        prop_assert!(key.ends_with('-'), "expected {:?} to end with {:?}", key, '-');
        prop_assert!(!key[..key.len() - 1].contains('-'), "expected {:?} not to contain {:?}", &key[..key.len() - 1], '-');
        let spelled = spell(&norm, &noise, false);
        let mut files: Vec<String> = modern_files(&norm, &ver, &tags).into();
        files.extend(older_files(&spelled, &ver));
        files.extend(older_files(&spelled.to_uppercase(), &ver));
        for end in 1..=key.len() {
            let prefix = &key[..end];
            let patterns = shard_paths(prefix);
            for file in &files {
                prop_assert!(covered(&patterns, &target(&blake, file)), "shard {:?} {:?} misses {}", prefix, patterns, file);
            }
            prop_assert!(covered(&patterns, &simple_page(&norm)), "shard {:?} {:?} misses {}'s simple page", prefix, patterns, norm);
        }
    }

    /// 4. `legacy_overlap(a, b)` holds exactly when some older file name of b (b in any
    /// letter case with `-`, `_` or `.` at each separator, then `-VERSION`) is covered by
    /// a's patterns; and when b's all-`-` spelling (its normalized name) is covered, it holds.
    #[test]
    fn legacy_overlap_is_exactly_reach_into_older_names((a, b, ver, _, noise, blake) in arb_two_projects()) {
        let (na, nb) = (normalize(&a), normalize(&b));
        let patterns = project_paths(&na).unwrap();
        let reached = separator_variants(&nb).iter().any(|variant| {
            let cased: String = variant
                .chars()
                .zip(noise.iter().cycle())
                .map(|(c, r)| if r % 2 == 1 { c.to_ascii_uppercase() } else { c })
                .collect();
            covered(&patterns, &target(&blake, &format!("{cased}-{ver}.tar.gz")))
        });
        // A project's own names are its own, not an overlap.
        prop_assume!(na != nb);
        prop_assert_eq!(legacy_overlap(&na, &nb), reached, "a={} b={}", na, nb);
        let all_dashes = covered(&patterns, &target(&blake, &format!("{nb}-{ver}.tar.gz")));
        prop_assert!(!all_dashes || legacy_overlap(&na, &nb), "a={} b={}", na, nb);
    }
}

// ---------------------------------------------------------------------------------------
// Named cases

#[test]
fn prefix_family_by_hand() {
    let blake = "ab".repeat(32);
    let family = ["foo", "foo-bar", "foo-bar2", "foo-1", "foo1", "f", "fo", "1", "foo-bar-1"];
    for a in family {
        let patterns = project_paths(a).unwrap();
        for b in family {
            for file in modern_files(b, "1.0", &Tags { build: None, py: "py3", abi: "none", plat: "any" }) {
                assert_eq!(covered(&patterns, &target(&blake, &file)), a == b, "{a} vs {b}'s {file}");
            }
            assert_eq!(covered(&patterns, &simple_page(b)), a == b, "{a} vs {b}'s simple page");
        }
    }
}

/// b = `foo-1-x`'s older name `foo_1-x-1.0.tar.gz` is reached by `foo-1`'s patterns,
/// although its all-`-` spelling `foo-1-x-1.0.tar.gz` is not: the overlap is real.
#[test]
fn legacy_overlap_through_a_mixed_separator_name() {
    let blake = "cd".repeat(32);
    let patterns = project_paths("foo-1").unwrap();
    assert!(covered(&patterns, &target(&blake, "foo_1-x-1.0.tar.gz")), "{patterns:?} misses foo_1-x-1.0.tar.gz");
    assert!(!covered(&patterns, &target(&blake, "foo-1-x-1.0.tar.gz")), "{patterns:?} covers foo-1-x-1.0.tar.gz");
    assert!(legacy_overlap("foo-1", "foo-1-x"));
}

// ---------------------------------------------------------------------------------------
// 5. Differential test against Python's fnmatch and python-tuf

/// Characters that matter to fnmatch, a few letters, and two non-ASCII ones.
const PATTERN_CHARS: &[char] = &['a', 'b', 'A', 'z', '0', '9', '-', '_', '.', '[', ']', '!', '*', '?', '/', '^', '\\', 'é', '€'];
const TEXT_CHARS: &[char] = &['a', 'b', 'A', 'z', '0', '9', '-', '_', '.', '[', ']', '!', '/', '^', '\\', 'é', '€', 'c'];

fn arb_chars(alphabet: &'static [char], len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), len).prop_map(|v| v.into_iter().collect())
}

/// A random pattern: characters, and classes with ranges, negation, `]` first, unclosed.
fn arb_pattern() -> impl Strategy<Value = String> {
    let class = (
        any::<bool>(),
        any::<bool>(),
        arb_chars(&['a', 'b', 'z', '0', '9', '-', '_', '.', '!', '^', '\\', '[', 'é'], 0..5),
        prop_oneof![4 => Just("]"), 1 => Just("")],
    )
        .prop_map(|(neg, bracket_first, body, close)| {
            format!("[{}{}{body}{close}", if neg { "!" } else { "" }, if bracket_first { "]" } else { "" })
        });
    // Classes that start with an empty range (`z-a`), which Python drops before it looks
    // for a `!`: `[]-!!_]` is `[^_]`.
    let empty_range = (
        any::<bool>(),
        prop::sample::select(vec!['z', '9', ']', '_', 'b']),
        prop::sample::select(vec!['a', '0', '!', '-', '.']),
        arb_chars(&['!', '!', 'a', 'z', '-', '_', '^', ']'], 0..4),
    )
        .prop_map(|(neg, hi, lo, rest)| format!("[{}{hi}-{lo}{rest}]", if neg { "!" } else { "" }));
    let piece = prop_oneof![
        4 => arb_chars(PATTERN_CHARS, 1..3),
        2 => class,
        1 => empty_range,
        1 => Just("*".to_string()),
        1 => Just("?".to_string()),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

/// A text that matches `pattern` often: wildcards and classes replaced by random characters.
fn instantiate(pattern: &str, noise: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in pattern.chars().enumerate() {
        let r = noise[i % noise.len()] as usize;
        let pick = TEXT_CHARS[r % TEXT_CHARS.len()];
        match c {
            '*' => {
                for k in 0..(r % 3) {
                    out.push(TEXT_CHARS[(r / 3 + k) % TEXT_CHARS.len()]);
                }
            }
            '?' => out.push(pick),
            '[' | ']' | '!' if r.is_multiple_of(3) => out.push(pick),
            c => out.push(c),
        }
    }
    out
}

fn sample<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).expect("generate a value").current()
}

struct Corpus {
    pairs: Vec<(String, String)>,
    roles: Vec<(Vec<String>, Vec<String>)>,
}

/// Deterministic: the same corpus on every run.
fn corpus() -> Corpus {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[0x45; 32]));
    let mut pairs = Vec::new();
    let mut roles = Vec::new();
    let names = arb_name_pair();
    let (versions, tags, noises, blakes) = (arb_version(), arb_tags(), arb_noise(), arb_blake());
    // Project and shard patterns against the files of a project and of a related one.
    for _ in 0..150 {
        let (a, b) = sample(&mut runner, &names);
        if !is_valid_name(&a) || !is_valid_name(&b) {
            continue;
        }
        let (na, nb) = (normalize(&a), normalize(&b));
        let (ver, tags, noise, blake) =
            (sample(&mut runner, &versions), sample(&mut runner, &tags), sample(&mut runner, &noises), sample(&mut runner, &blakes));
        let mut targets = Vec::new();
        for n in [&na, &nb] {
            for file in modern_files(n, &ver, &tags) {
                targets.push(target(&blake, &file));
            }
            targets.push(target(&blake, &format!("{}-{ver}.zip", spell(n, &noise, true))));
            targets.push(target(&blake, &format!("{}-{ver}.tar.gz", spell(n, &noise, false))));
            targets.push(simple_page(n));
            targets.push(format!("simple/{n}/"));
            targets.push(format!("simple/{n}"));
        }
        let key = shard_key(&na);
        let end = 1 + noise[0] as usize % key.len();
        let mut role_patterns = Vec::new();
        for patterns in [project_paths(&na).unwrap(), shard_paths(&key[..end])] {
            for p in &patterns {
                for t in &targets {
                    pairs.push((p.clone(), t.clone()));
                    // The file-name component alone, through fnmatch.
                    let (pl, tl) = (p.rsplit('/').next().unwrap(), t.rsplit('/').next().unwrap());
                    pairs.push((pl.to_string(), tl.to_string()));
                }
            }
            role_patterns.push(patterns);
        }
        for patterns in role_patterns {
            roles.push((patterns, targets.clone()));
        }
    }
    // Random patterns, against random texts and texts made to match them.
    let (patterns, texts) = (arb_pattern(), arb_chars(TEXT_CHARS, 0..8));
    for _ in 0..3000 {
        let p = sample(&mut runner, &patterns);
        let noise = sample(&mut runner, &noises);
        pairs.push((p.clone(), instantiate(&p, &noise)));
        pairs.push((p, sample(&mut runner, &texts)));
    }
    Corpus { pairs, roles }
}

#[test]
fn pattern_matching_agrees_with_python_and_python_tuf() {
    let Corpus { pairs, roles } = corpus();
    let dir = tempfile::TempDir::new().unwrap();
    let (input, output) = (dir.path().join("in.json"), dir.path().join("out.json"));
    let given = serde_json::json!({
        "pairs": pairs.iter().map(|(p, t)| [p, t]).collect::<Vec<_>>(),
        "roles": roles.iter().map(|(paths, targets)| serde_json::json!({"paths": paths, "targets": targets})).collect::<Vec<_>>(),
    });
    std::fs::write(&input, serde_json::to_vec(&given).unwrap()).unwrap();
    let printed = common::run_python("path_match_judge.py", &[input.as_os_str(), output.as_os_str()]);
    eprintln!("{}", String::from_utf8_lossy(&printed).trim());
    let judged: serde_json::Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    // A null verdict: Python raised instead of answering; then nothing may match for us.
    let refused = std::cell::Cell::new(0usize);
    let bools = |v: &serde_json::Value| -> Vec<bool> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_bool().unwrap_or_else(|| {
                    assert!(b.is_null(), "verdict {b}");
                    refused.set(refused.get() + 1);
                    false
                })
            })
            .collect()
    };
    let fnmatchcase = bools(&judged["fnmatchcase"]);
    let delegated = bools(&judged["delegated"]);
    assert_eq!(fnmatchcase.len(), pairs.len());
    assert_eq!(delegated.len(), pairs.len());

    let mut failures = Vec::new();
    let (mut matched, mut matched_paths) = (0, 0);
    for (((p, t), &py), &tuf) in pairs.iter().zip(&fnmatchcase).zip(&delegated) {
        let ours = fnmatch(p, t);
        if ours != py {
            failures.push(format!("fnmatch({p:?}, {t:?}): python {py}, ours {ours}"));
        }
        let ours = pattern_matches(p, t);
        if ours != tuf {
            failures.push(format!("pattern_matches({p:?}, {t:?}): python-tuf {tuf}, ours {ours}"));
        }
        matched += py as usize;
        matched_paths += tuf as usize;
    }
    let judged_roles = judged["roles"].as_array().unwrap();
    assert_eq!(judged_roles.len(), roles.len());
    let mut delegated_targets = 0;
    for ((paths, targets), verdicts) in roles.iter().zip(judged_roles) {
        for (t, tuf) in targets.iter().zip(bools(verdicts)) {
            let ours = covered(paths, t);
            if ours != tuf {
                failures.push(format!("role {paths:?} for {t:?}: python-tuf {tuf}, ours {ours}"));
            }
            delegated_targets += tuf as usize;
        }
    }
    eprintln!(
        "{} pairs ({matched} fnmatch matches, {matched_paths} path matches), {} roles ({delegated_targets} delegated targets), {} verdicts python refused",
        pairs.len(),
        roles.len(),
        refused.get()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements with python:\n{}",
        failures.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    // The corpus exercises both verdicts.
    assert!(pairs.len() >= 3000, "too few pairs: {}", pairs.len());
    assert!(matched >= 500 && pairs.len() - matched >= 500, "{matched} of {} pairs match", pairs.len());
    assert!(roles.len() >= 200 && delegated_targets >= 500, "{} roles, {delegated_targets} delegated", roles.len());
}
