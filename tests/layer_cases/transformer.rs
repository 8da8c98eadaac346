//! Cases for this layer family (filled in by the layer's author).

use super::LayerCase;

pub fn cases() -> Vec<LayerCase> {
    vec![]
}
