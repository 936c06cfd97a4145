//! Work over many independent files or delegations, on every core.
//!
//! A promotion stages hundreds of claimed shards; loading, checking and signing each is
//! independent of the others. Shards differ in size by an order of magnitude, so the work
//! is shared out as it goes (rayon's work stealing) rather than cut into equal runs up front,
//! where one thread would sit idle while another still holds the large files.

use rayon::prelude::*;

/// `f` applied to every item, results in input order, on every core.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    map_from(items, 2, f)
}

/// [`map`], but on the calling thread below `min` items, where handing out work costs more
/// than the work.
pub fn map_from<T: Sync, R: Send>(items: &[T], min: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < min.max(2) {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(f).collect()
}

/// [`map`] over owned items, for work that takes its input apart.
pub fn map_owned<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    items.into_par_iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(super::map(&items, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map_from(&items, 4096, |x| x + 1), items.iter().map(|x| x + 1).collect::<Vec<_>>());
        let got = super::map(&[] as &[u32], |x| *x);
        assert!(got.is_empty(), "expected empty, got {:?}", got);
        assert_eq!(super::map_owned(items.clone(), |x| x * 3), items.iter().map(|x| x * 3).collect::<Vec<_>>());
    }
}
