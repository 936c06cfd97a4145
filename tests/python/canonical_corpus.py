#!/usr/bin/env python3
"""Writes a corpus for the canonical JSON differential test (tests/canonical_differential.rs).

Usage: canonical_corpus.py OUTDIR [--seed N] [--count N]

For each case NAME it writes:
  NAME.K.json      the same value serialized several ways with json.dumps (K = 0, 1, ...),
                   or one hand-written JSON text;
  NAME.expected    securesystemslib.formats.encode_canonical(json.loads(text)).encode("utf-8"),
or, when Python cannot produce canonical bytes for the text,
  NAME.refused     one line saying why (json.loads, encode_canonical or the UTF-8 encoding
                   failed, or ceremony refuses on purpose what Python accepts: see DELIBERATE).

The expected bytes always come from securesystemslib itself, never from this script.
Prints the number of cases and input files.
"""

import argparse
import json
import os
import random
import sys

from securesystemslib.formats import encode_canonical

MAX_DEPTH = 100  # ceremony's canonical::MAX_DEPTH

# Keys whose order trips up encoders that sort by UTF-16 code units, by escaped bytes, by
# a locale, or that normalize Unicode.
TRAP_KEYS = [
    "", "a", "A", "b", "a\x00", "a\x01", "a\x1f", "a\x7f", "ab", "a\"", "a\\", "\"", "#", "\\",
    "]", "\x7f", "\x00", "\u00e9", "e\u0301", "\u00c9", "\u0130", "\u212b", "\u00c5", "\ud7ff",
    "\ue000", "\ufb01", "fi", "\ufeff", "\ufffd", "\uffff", "\U00010000", "\U0001f600",
    "\U0010ffff", "\U000e0001", "keyid", "keyids", "signed", "signatures", "_type",
]

CHAR_RANGES = [
    (0x00, 0x1F),      # control characters
    (0x20, 0x7E),      # printable ASCII
    (0x7F, 0x7F),      # DEL
    (0x80, 0x9F),      # C1 controls
    (0xA0, 0x7FF),     # two-byte UTF-8
    (0x800, 0xD7FF),   # three-byte UTF-8 below the surrogates
    (0xE000, 0xFFFF),  # three-byte UTF-8 above the surrogates (U+FFFE, U+FFFF included)
    (0x10000, 0x1FFFF),  # plane 1
    (0x20000, 0xEFFFF),  # planes 2-14
    (0xF0000, 0x10FFFF),  # private use planes 15-16
]
SPECIAL_CHARS = ['"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\u2028", "\u2029", "\x00"]


def rand_char(rng):
    if rng.random() < 0.2:
        return rng.choice(SPECIAL_CHARS)
    lo, hi = rng.choice(CHAR_RANGES)
    return chr(rng.randint(lo, hi))


def rand_string(rng):
    n = rng.choice([0, 1, 1, 2, 3, 5, 8, 16, 40])
    return "".join(rand_char(rng) for _ in range(n))


def rand_int(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randint(-10, 10)
    if kind == 1:
        return rng.randint(-(2**31), 2**31)
    if kind == 2:  # around 2^63 and 2^64, both signs
        return rng.choice([1, -1]) * (rng.choice([2**63, 2**64]) + rng.randint(-2, 2))
    if kind == 3:
        return rng.randint(-(2**200), 2**200)
    if kind == 4:  # up to Python's default limit of 4300 digits
        digits = rng.choice([20, 40, 100, 300]) if rng.random() < 0.97 else rng.choice([1000, 4300])
        v = rng.randint(10 ** (digits - 1), 10**digits - 1)
        return v if rng.random() < 0.5 else -v
    return rng.randint(-(10**12), 10**12)


def rand_key(rng):
    return rng.choice(TRAP_KEYS) if rng.random() < 0.6 else rand_string(rng)


def rand_value(rng, depth, budget):
    """A random JSON value whose containers nest at most `depth` more levels."""
    r = rng.random()
    if depth <= 0 or budget[0] <= 0 or r < 0.45:
        budget[0] -= 1
        kind = rng.randrange(6)
        if kind == 0:
            return rand_string(rng)
        if kind == 1:
            return rand_int(rng)
        if kind == 2:
            return rng.choice([True, False, None])
        if kind == 3:
            return rng.choice([{}, []])
        return rand_string(rng) if kind == 4 else rand_int(rng)
    n = rng.choice([0, 1, 2, 3, 4, 6, 10])
    budget[0] -= 1
    if r < 0.7:
        return [rand_value(rng, depth - 1, budget) for _ in range(n)]
    obj = {}
    for _ in range(n):
        obj[rand_key(rng)] = rand_value(rng, depth - 1, budget)
    return obj


def deep_value(rng, levels):
    """A chain of `levels` nested containers with small random values along the way."""
    inner = rand_value(rng, 2, [5]) if rng.random() < 0.5 else rand_int(rng)
    for _ in range(levels):
        if rng.random() < 0.5:
            inner = [inner] + [rand_value(rng, 0, [1]) for _ in range(rng.randrange(2))]
            if rng.random() < 0.5:
                inner.reverse()
        else:
            inner = {rand_key(rng): inner}
            if rng.random() < 0.3:
                inner[rand_key(rng)] = rand_value(rng, 0, [1])
    return inner


def insert_float(rng, value):
    """Returns `value` with one float put somewhere in it (never deeper than it was)."""
    f = rng.choice([0.0, -0.0, 1.5, 1e300, -2.5e-10, 100.0, 3.0])
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        value[i] = insert_float(rng, value[i])
        return value
    if isinstance(value, dict) and value and rng.random() < 0.7:
        k = rng.choice(list(value))
        value[k] = insert_float(rng, value[k])
        return value
    if isinstance(value, list):
        value.insert(rng.randrange(len(value) + 1), f)
        return value
    if isinstance(value, dict):
        value[rand_key(rng)] = f
        return value
    return [value, f]


DUMPS_VARIANTS = [
    dict(),  # ensure_ascii=True, separators ", " and ": "
    dict(ensure_ascii=False),
    dict(indent=1, sort_keys=True),  # python-tuf's own layout
    dict(indent=4, ensure_ascii=False),
    dict(separators=(",", ":"), sort_keys=True, ensure_ascii=False),
    dict(indent="\t", separators=(" ,", " :\r\n "), ensure_ascii=True),
]

# Hand-written texts: escapes and layouts json.dumps never produces.
HANDWRITTEN = [
    "-0",
    "[-0, 0]",
    '{"a": -0}',
    '"\\/\\u002F\\u005c\\u005C\\u0022\\"\\b\\f\\n\\r\\t"',
    '"\\u00E9\\u00e9\\uD83D\\uDE00\\ud83d\\ude00\\uFFFF\\uDBFF\\uDFFF"',
    '{"\\u0061": 1, "b": 2}',
    '{"\\ud800\\udc00": 1, "\\uffff": 2, "\\u00e9": 3, "a\\u0000": 4, "a": 5, "A": 6}',
    '{"a\\u0001": 1, "a": 2, "\\"": 3, "#": 4, "\\\\": 5}',
    " \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n\"x\" \t\r\n: \t\r\nnull \t\r\n} \t\r\n] \t\r\n",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1" + "0" * 299,
    "-" + "9" * 4300,
    "[]",
    "{}",
    '""',
    "[[[[[]]]]]",
    "[" * MAX_DEPTH + "]" * MAX_DEPTH,
    '{"k":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH,
    # Refused by Python as well.
    "1.0",
    "[1, 2.5]",
    "1e3",
    "-0.0",
    '{"a": 1E-2}',
    "NaN",
    "[Infinity]",
    "-Infinity",
    "1" * 4301,
    '"\\ud800"',
    '"\\udc00x"',
    '{"\\ud83d": 1}',
    '"\\ud83d\\u0041"',
    "",
    " ",
    "[1,]",
    "{} []",
    "\ufeff{}",
    '"\x01"',
]

# Texts Python reads but ceremony refuses on purpose, with the reason.
DELIBERATE = {
    '{"a": 1, "a": 2}': "duplicate key: Python keeps the last value, ceremony refuses",
    '{"a": 1, "\\u0061": 2}': "duplicate key after unescaping",
    '{"b": {"x": 1, "y": 2, "x": 3}}': "duplicate key in a nested object",
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1): "nesting deeper than MAX_DEPTH",
}


def expected_for(text):
    """encode_canonical's bytes for `text`, or the reason Python cannot produce them."""
    try:
        value = json.loads(text)
        return encode_canonical(value).encode("utf-8"), None
    except Exception as e:  # noqa: BLE001 - any failure means "refused"
        return None, f"{type(e).__name__}: {e}"[:300]


def write_case(outdir, name, texts, expected, reason):
    for k, text in enumerate(texts):
        with open(os.path.join(outdir, f"{name}.{k}.json"), "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    if expected is not None:
        with open(os.path.join(outdir, f"{name}.expected"), "wb") as f:
            f.write(expected)
    else:
        with open(os.path.join(outdir, f"{name}.refused"), "w", encoding="utf-8") as f:
            f.write(reason.replace("\n", " ") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=458)
    ap.add_argument("--count", type=int, default=3000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    cases = files = 0

    for i, text in enumerate(HANDWRITTEN):
        expected, reason = expected_for(text)
        write_case(args.outdir, f"hand{i:03}", [text], expected, reason)
        cases += 1
        files += 1
    for i, (text, why) in enumerate(DELIBERATE.items()):
        expected, _ = expected_for(text)
        assert expected is not None, f"Python should accept {text!r}"
        write_case(args.outdir, f"deliberate{i:03}", [text], None, why)
        cases += 1
        files += 1
    # Invalid UTF-8 (python-tuf decodes the file as UTF-8 first).
    for i, raw in enumerate([b'"\xff"', b'"\xed\xa0\x80"', b'["\xc3"]', b"\xef\xbb\xbf[]"]):
        try:
            json.loads(raw.decode("utf-8"))
            reason = None
        except Exception as e:  # noqa: BLE001
            reason = f"{type(e).__name__}: {e}"
        assert reason is not None
        write_case(args.outdir, f"bytes{i:03}", [raw], None, reason)
        cases += 1
        files += 1

    for i in range(args.count):
        kind = rng.random()
        if kind < 0.1:
            value = deep_value(rng, rng.randint(20, 92))
        else:
            value = rand_value(rng, rng.choice([1, 2, 3, 5, 8]), [rng.choice([5, 20, 60])])
        floaty = rng.random() < 0.1
        if floaty:
            value = insert_float(rng, value)
        texts = []
        for opts in DUMPS_VARIANTS:
            if opts.get("indent") is not None and kind < 0.1 and rng.random() < 0.5:
                continue  # keep deep cases small on disk
            texts.append(json.dumps(value, **opts))
        expected, reason = None, None
        try:
            expected = encode_canonical(value).encode("utf-8")
        except Exception as e:  # noqa: BLE001
            reason = f"{type(e).__name__}: {e}"[:300]
        assert (reason is not None) == floaty, (reason, value)
        # Every serialization must read back to the same canonical bytes in Python too.
        for text in texts:
            assert expected_for(text) == (expected, None) or floaty
        write_case(args.outdir, f"rand{i:05}", texts, expected, reason)
        cases += 1
        files += len(texts)

    print(f"{cases} cases, {files} inputs")


if __name__ == "__main__":
    sys.exit(main())
