//! Dependency order of calculated tags: each after the calculated tags it reads, and the cycles that
//! make such an order impossible.
//!
//! Plain graph work on indices (Kahn's algorithm), shared by the project loader (which reports cycles at
//! their place in the files) and `CalcSet` (which evaluates in this order).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The order found and the cycles that block the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ordered {
    /// Nodes whose dependencies all come before them; ties keep index (file) order.
    pub order: Vec<usize>,
    /// Each cycle once, in reading order: `[a, b]` means a reads b and b reads a; `[a]`, a reads itself.
    /// Nodes that only depend on a cycle are in neither list.
    pub cycles: Vec<Vec<usize>>,
}

/// Orders `n` nodes where `deps(i)` lists the nodes `i` reads (indices ≥ `n` are ignored).
pub fn dependency_order<'d>(n: usize, deps: impl Fn(usize) -> &'d [usize]) -> Ordered {
    let mut waiting = vec![0usize; n];
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, w) in waiting.iter_mut().enumerate() {
        for &d in deps(i).iter().filter(|&&d| d < n) {
            *w += 1;
            readers[d].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &r in &readers[i] {
            waiting[r] -= 1;
            if waiting[r] == 0 {
                ready.push(Reverse(r));
            }
        }
    }
    let blocked: Vec<bool> = waiting.iter().map(|&w| w > 0).collect();
    // Every blocked node reads a blocked node: following those reads from any of them ends in a cycle.
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut mark = vec![NEW; n];
    let mut cycles = Vec::new();
    for start in (0..n).filter(|&i| blocked[i]) {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match mark[i] {
                DONE => break,
                ON_PATH => {
                    if let Some(p) = path.iter().position(|&x| x == i) {
                        cycles.push(path[p..].to_vec());
                    }
                    break;
                }
                _ => {
                    mark[i] = ON_PATH;
                    path.push(i);
                    at = deps(i).iter().copied().find(|&d| d < n && blocked[d]);
                }
            }
        }
        for i in path {
            mark[i] = DONE;
        }
    }
    Ordered { order, cycles }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(deps: &[Vec<usize>]) -> Ordered {
        dependency_order(deps.len(), |i| deps[i].as_slice())
    }

    #[test]
    fn readers_come_after_what_they_read_and_ties_keep_file_order() {
        // 0 reads 2, 2 reads 1, 3 reads nothing.
        let o = run(&[vec![2], vec![], vec![1], vec![]]);
        assert_eq!(o.order, [1, 2, 0, 3]);
        assert!(o.cycles.is_empty());
        let o = run(&[vec![], vec![], vec![]]);
        assert_eq!(o.order, [0, 1, 2]);
        // Reading the same tag twice is one dependency, not a cycle.
        let o = run(&[vec![1, 1], vec![]]);
        assert_eq!(o.order, [1, 0]);
    }

    #[test]
    fn cycles_are_found_once_each_and_what_hangs_on_them_is_blocked() {
        // 0 ↔ 1; 2 reads itself; 3 reads 0 (blocked, not a cycle); 4 is free.
        let o = run(&[vec![1], vec![0], vec![2], vec![0], vec![]]);
        assert_eq!(o.order, [4]);
        assert_eq!(o.cycles, vec![vec![0, 1], vec![2]]);
        // A longer ring, entered from a node that hangs on it.
        let o = run(&[vec![1], vec![2], vec![3], vec![1]]);
        assert_eq!(o.cycles, vec![vec![1, 2, 3]]);
        assert!(o.order.is_empty());
    }
}
