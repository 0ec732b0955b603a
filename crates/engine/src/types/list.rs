//! The list value type (skeleton: to be built out by the list family).

#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    len: usize,
}

impl List {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        "list"
    }
}
