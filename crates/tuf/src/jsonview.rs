//! Zero-copy building blocks for the typed metadata views.
//!
//! serde's own `Cow<str>` borrows only as a direct field; inside a `Vec` or as a map key
//! it always allocates. A targets file with 100,000 delegations has about a million such
//! strings, so these types borrow from the JSON text whenever the string has no escapes.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// A string borrowed from the JSON text when it has no escapes, owned otherwise.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonStr<'a>(pub Cow<'a, str>);

impl Deref for JsonStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for JsonStr<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for JsonStr<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JsonStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A JSON object read into a vector sorted by key, looked up by binary search. Cheaper
/// than a tree map for the 100,000-entry `keys` of a large targets file. Duplicate keys
/// never reach here: canonicalization refuses them first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedMap<'a, V> {
    entries: Vec<(JsonStr<'a>, V)>,
}

impl<'a, V> SortedMap<'a, V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| &**k)
    }
}

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for SortedMap<'a, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<'a, V>(std::marker::PhantomData<(&'a (), V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for MapVisitor<'a, V> {
            type Value = SortedMap<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(JsonStr<'a>, V)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<JsonStr<'a>, V>()? {
                    entries.push(entry);
                }
                // Canonical text is already sorted; sorting again is a cheap check-free pass
                // that keeps lookups right should a caller hand us other JSON.
                if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                Ok(SortedMap { entries })
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_borrow_unless_escaped_and_read_the_same() {
        let plain: JsonStr<'_> = serde_json::from_str("\"abc\"").unwrap();
        assert!(matches!(plain.0, Cow::Borrowed("abc")), "expected an unescaped string borrowed, got {plain:?}");
        let escaped: JsonStr<'_> = serde_json::from_str("\"a\\nb\"").unwrap();
        assert!(matches!(&escaped.0, Cow::Owned(s) if s == "a\nb"), "expected an escaped string owned and decoded, got {escaped:?}");
        let owned = JsonStr::deserialize(serde::de::value::StringDeserializer::<serde::de::value::Error>::new("xyz".to_string())).unwrap();
        assert_eq!(owned, JsonStr(Cow::Borrowed("xyz")), "expected a handed-over String read as it is, got {owned:?}");
        let err = serde_json::from_str::<JsonStr<'_>>("12").unwrap_err().to_string();
        assert!(err.contains("expected a string"), "expected the refusal to say a string was expected, got {err}");
    }

    #[test]
    fn a_string_reads_as_its_text_every_way() {
        let s = JsonStr(Cow::Borrowed("a\"b"));
        assert_eq!(&*s, "a\"b", "expected Deref to give the text");
        assert_eq!(<JsonStr<'_> as Borrow<str>>::borrow(&s), "a\"b", "expected Borrow to give the text");
        assert_eq!(s.as_ref(), "a\"b", "expected AsRef to give the text");
        assert_eq!(format!("{s}"), "a\"b", "expected Display to write the text");
        assert_eq!(format!("{s:?}"), "\"a\\\"b\"", "expected Debug to quote the text as str does");
        assert!(s == *"a\"b" && s == "a\"b", "expected equality with str and &str, got {s:?}");
        assert!(s != *"ab" && s != "ab", "expected inequality with other text, got {s:?}");
    }

    #[test]
    fn maps_are_looked_up_whatever_order_they_came_in() {
        for text in [r#"{"a":1,"b":2,"c":3}"#, r#"{"c":3,"a":1,"b":2}"#, r#"{"b":2,"a":1,"c":3}"#, r#"{"c":3,"b":2,"a":1}"#] {
            let map: SortedMap<'_, u32> = serde_json::from_str(text).unwrap();
            for (key, value) in [("a", 1), ("b", 2), ("c", 3)] {
                assert_eq!(map.get(key), Some(&value), "expected {key} = {value} in {text}, got {:?}", map.get(key));
                assert!(map.contains_key(key), "expected {key} found in {text}");
            }
            assert_eq!(map.get("d"), None, "expected no d in {text}");
            assert!(!map.contains_key("d"), "expected no d in {text}");
            assert_eq!((map.len(), map.is_empty()), (3, false), "expected three entries in {text}");
            assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b", "c"], "expected sorted keys from {text}");
            assert_eq!(map.iter().collect::<Vec<_>>(), [("a", &1), ("b", &2), ("c", &3)], "expected sorted entries from {text}");
        }
        let empty: SortedMap<'_, u32> = serde_json::from_str("{}").unwrap();
        assert!(empty.is_empty() && empty.iter().count() == 0, "expected an empty map, got {empty:?}");
        let err = serde_json::from_str::<SortedMap<'_, u32>>("[]").unwrap_err().to_string();
        assert!(err.contains("expected an object"), "expected the refusal to say an object was expected, got {err}");
    }
}
