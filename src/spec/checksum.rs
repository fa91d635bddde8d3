//! Checksums: how every object of the format is named and chained (SPEC.md, "Checksums and the
//! content hash").

/// `blake3:<hex>` of some bytes: file checksums, manifest checksums, the log's `prev` chain, the
/// rules object's name. Always over the bytes as stored, never re-serialized JSON.
pub fn checksum(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}
