//! Work spread over the cores, in order.

/// `f(index, item)` for every item, on every core (rayon's threads, which every parallel
/// stage shares, so memory one stage frees is used again by the next); the results in
/// the items' order.
pub fn map<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(usize, &'a T) -> R + Sync) -> Vec<R> {
    use rayon::prelude::*;
    items.par_iter().enumerate().map(|(i, x)| f(i, x)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<usize> = (0..10_000).collect();
        let doubled = super::map(&items, |i, x| {
            assert_eq!(i, *x);
            x * 2
        });
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
    }
}
