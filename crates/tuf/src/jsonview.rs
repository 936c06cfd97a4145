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
