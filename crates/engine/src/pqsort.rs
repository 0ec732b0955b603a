//! Redis's `pqsort`, which SORT ... LIMIT and GEOSEARCH ... COUNT use: a
//! quicksort (Bentley & McIlroy's, as in NetBSD's qsort) that only recurses
//! into the parts overlapping the wanted ranks. It is not stable, so it is
//! ported step for step: elements that compare equal must end up where Redis
//! leaves them for replies to match.

use std::cmp::Ordering;

/// Sorts `v` just enough that ranks `lo..=hi` hold what a full sort puts there.
pub fn pqsort<T>(v: &mut [T], lo: usize, hi: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    if !v.is_empty() {
        partial_sort(v, 0, lo, hi, cmp);
    }
}

/// Sorts the elements of `v` from `a` on, recursing only into parts overlapping `lo..=hi`.
fn partial_sort<T>(v: &mut [T], mut a: usize, lo: usize, hi: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    let mut n = v.len() - a;
    let overlaps = |from: usize, count: usize| !(hi < from || lo > from + count - 1);
    loop {
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let (mut pl, mut pn) = (a, a + n - 1);
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        let mut swapped = false;
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
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
            insertion_sort(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_blocks(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_blocks(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && overlaps(a, r) {
            partial_sort(&mut v[..a + r], a, lo, hi, cmp);
        }
        let r = pd - pc;
        if r > 1 && overlaps(pn - r, r) {
            (a, n) = (pn - r, r);
            continue;
        }
        return;
    }
}

fn insertion_sort<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise.
fn swap_blocks<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pqsort_sorts_the_wanted_prefix() {
        let mut seed = 7u64;
        for len in [0usize, 1, 5, 7, 8, 30, 41, 100, 500] {
            for last in [0usize, 3, 10, 99] {
                let mut v: Vec<u32> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (seed >> 59) as u32
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort();
                if len == 0 {
                    continue;
                }
                let last = last.min(len - 1);
                pqsort(&mut v, 0, last, &mut |a: &u32, b: &u32| a.cmp(b));
                assert_eq!(v[..=last], sorted[..=last], "len {len} last {last}");
            }
        }
    }

    #[test]
    fn partial_sort_sorts_the_range() {
        let mut rng = 0x1234_5678_u64;
        for len in [0usize, 1, 5, 7, 8, 40, 41, 200] {
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        rng % 50
                    })
                    .collect();
                if len == 0 {
                    continue;
                }
                let lo = (rng as usize) % len;
                let hi = lo + (rng as usize >> 8) % (len - lo);
                let mut sorted = v.clone();
                sorted.sort();
                pqsort(&mut v, lo, hi, &mut |a: &u64, b: &u64| a.cmp(b));
                assert_eq!(v[lo..=hi], sorted[lo..=hi]);
            }
        }
    }
}
