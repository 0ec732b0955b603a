//! Redis's glob-style pattern matching (`stringmatchlen`), for KEYS and SCAN MATCH.

/// Whether `s` matches the glob `p`: `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match_from(p, s, 0)
}

fn match_from(mut p: &[u8], mut s: &[u8], depth: usize) -> bool {
    // Redis caps recursion so a hostile pattern cannot blow the stack.
    if depth > 1000 {
        return false;
    }
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..s.len() {
                    if match_from(&p[1..], &s[i..], depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        matched |= p[0] == s[0];
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut lo, mut hi) = (p[0], p[2]);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        matched |= s[0] >= lo && s[0] <= hi;
                        p = &p[2..];
                    } else {
                        matched |= p[0] == s[0];
                    }
                    p = &p[1..];
                }
                if p.is_empty() {
                    // Unterminated class: Redis treats the end of the pattern as the close.
                    p = b"]";
                }
                if matched == not {
                    return false;
                }
                s = &s[1..];
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if p[0] != s[0] {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if c != s[0] {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    // An empty string matches no pattern, not even `*` (KEYS special-cases `*`).
    p.is_empty() && s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match as m;

    #[test]
    fn globs() {
        assert!(m(b"*", b"anything"));
        assert!(m(b"h?llo", b"hello"));
        assert!(m(b"h*llo", b"heeeello"));
        assert!(m(b"h[ae]llo", b"hallo"));
        assert!(!m(b"h[^e]llo", b"hello"));
        assert!(m(b"h[a-b]llo", b"hbllo"));
        assert!(m(b"user:\\*", b"user:*"));
        assert!(!m(b"user:\\*", b"user:1"));
        assert!(m(b"a*", b"a"));
        assert!(!m(b"a?", b"a"));
        assert!(m(b"a**", b"a"));
        assert!(!m(b"**", b""));
    }
}
