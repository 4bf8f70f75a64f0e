//! Redis's pqsort.c: the NetBSD (Bentley-McIlroy) quicksort that only sorts
//! the partitions overlapping a range. SORT ... BY ... LIMIT uses it, and it
//! is not stable, so elements that compare equal come out in the order this
//! exact algorithm leaves them; hence a faithful port rather than a library sort.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `lo..=hi` hold what a full sort would put
/// there (`hi` may be below `lo`, as SORT passes past-the-end ranges).
pub fn pqsort<T>(v: &mut [T], lo: i64, hi: i64, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    sort_part(v, 0, v.len(), lo, hi, cmp);
}

fn lt(o: Ordering) -> bool {
    o == Ordering::Less
}

fn gt(o: Ordering) -> bool {
    o == Ordering::Greater
}

fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if lt(cmp(&v[a], &v[b])) {
        if lt(cmp(&v[b], &v[c])) {
            b
        } else if lt(cmp(&v[a], &v[c])) {
            c
        } else {
            a
        }
    } else if gt(cmp(&v[b], &v[c])) {
        b
    } else if lt(cmp(&v[a], &v[c])) {
        a
    } else {
        c
    }
}

fn insertion<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for pm in a + 1..a + n {
        let mut pl = pm;
        while pl > a && gt(cmp(&v[pl - 1], &v[pl])) {
            v.swap(pl, pl - 1);
            pl -= 1;
        }
    }
}

/// Swaps `n` elements from `a` and `b` pairwise (vecswap).
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// True when the partition `s..s+k` lies wholly outside `lo..=hi`.
fn outside(s: usize, k: usize, lo: i64, hi: i64) -> bool {
    let (l, r) = (s as i64, (s + k) as i64 - 1);
    (lo < l && hi < l) || (lo > r && hi > r)
}

/// _pqsort over `v[a..a+n]`.
fn sort_part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    lo: i64,
    hi: i64,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            insertion(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let mut swapped = false;
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        // pb..=pc shrinks from both sides; pc may pass below pb by one, which
        // `pb <= pc` (on indices that never go below a) detects.
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[a]);
                if gt(r) {
                    break;
                }
                if r == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[a]);
                if lt(r) {
                    break;
                }
                if r == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, r, lo, hi) {
            sort_part(v, a, r, lo, hi, cmp);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if !outside(a, n, lo, hi) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_sorted_like_a_full_sort() {
        let mut seed = 12345u64;
        for len in [0usize, 1, 5, 7, 8, 40, 41, 100, 1000] {
            let orig: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 40) as u32 % 50
                })
                .collect();
            let mut full = orig.clone();
            full.sort();
            for (lo, hi) in [(0, 9), (3, 5), (len as i64 / 2, len as i64 - 1), (5, 4)] {
                let mut v = orig.clone();
                pqsort(&mut v, lo, hi, &mut |a, b| a.cmp(b));
                for i in lo.max(0)..=hi.min(len as i64 - 1) {
                    assert_eq!(
                        v[i as usize], full[i as usize],
                        "len {len} range {lo}..={hi}"
                    );
                }
            }
            let mut v = orig.clone();
            pqsort(&mut v, 0, len as i64 - 1, &mut |a, b| a.cmp(b));
            assert_eq!(v, full);
        }
    }
}
