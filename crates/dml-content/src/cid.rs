//! The CID type: CIDv0 (`Qm…`, base58btc, implicit dag-pb) and CIDv1
//! (`b…`, base32 lower case), restricted to sha2-256 multihashes.
//!
//! Spec: <https://github.com/multiformats/cid> and the multihash, multicodec
//! and multibase tables.

use std::fmt;
use std::str::FromStr;

/// Multicodec code of dag-pb (MerkleDAG protobuf nodes).
pub const DAG_PB: u64 = 0x70;
/// Multicodec code of raw binary blocks.
pub const RAW: u64 = 0x55;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;
/// Length in bytes of a sha2-256 digest.
pub const SHA2_256_LEN: usize = 32;

/// CID version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CidVersion {
    /// CIDv0: a bare base58btc sha2-256 multihash of a dag-pb block.
    V0,
    /// CIDv1: version, codec and multihash, printed in base32.
    V1,
}

/// A content identifier for a block hashed with sha2-256.
///
/// `Display` prints the canonical string (`Qm…` for v0, base32 `b…` for v1);
/// `FromStr` parses those forms (and base58btc `z…` v1) and rejects anything
/// else with a [`CidError`] that says why.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cid {
    version: CidVersion,
    codec: u64,
    digest: [u8; SHA2_256_LEN],
}

/// Why a string or byte sequence is not a CID this crate accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidError {
    /// The input was empty.
    #[error("empty CID")]
    Empty,
    /// The string is not valid in the multibase it declares.
    #[error("invalid {base} encoding in CID {input:?}")]
    BadEncoding {
        /// Name of the multibase.
        base: &'static str,
        /// The offending input (truncated).
        input: String,
    },
    /// The multibase prefix is not one we support.
    #[error("unsupported multibase prefix {0:?} (expected Qm… CIDv0 or b…/z… CIDv1)")]
    UnsupportedMultibase(char),
    /// A CIDv1 declares a version other than 1.
    #[error("unsupported CID version {0}")]
    UnsupportedVersion(u64),
    /// A codec other than dag-pb or raw.
    #[error("unsupported codec 0x{0:x} (expected dag-pb 0x70 or raw 0x55)")]
    UnsupportedCodec(u64),
    /// A hash function other than sha2-256.
    #[error("unsupported multihash function 0x{0:x} (only sha2-256 0x12 is supported)")]
    UnsupportedHash(u64),
    /// The multihash digest length is wrong or the bytes are cut short.
    #[error("bad multihash length: declared {declared}, expected 32, got {actual} bytes")]
    BadDigestLength {
        /// Length the multihash header declares.
        declared: u64,
        /// Digest bytes actually present.
        actual: usize,
    },
    /// A varint ran past the end of input or past 9 bytes.
    #[error("truncated or overlong varint in CID")]
    BadVarint,
    /// Bytes remained after a complete CID.
    #[error("{0} trailing bytes after CID")]
    TrailingBytes(usize),
}

impl Cid {
    /// CIDv0 of a dag-pb block whose sha2-256 digest is `digest`.
    pub const fn v0(digest: [u8; SHA2_256_LEN]) -> Cid {
        Cid { version: CidVersion::V0, codec: DAG_PB, digest }
    }

    /// CIDv1 with the given codec (dag-pb or raw) and sha2-256 digest.
    pub fn v1(codec: u64, digest: [u8; SHA2_256_LEN]) -> Result<Cid, CidError> {
        if codec != DAG_PB && codec != RAW {
            return Err(CidError::UnsupportedCodec(codec));
        }
        Ok(Cid { version: CidVersion::V1, codec, digest })
    }

    /// CID of `block` bytes under the given version and codec.
    pub fn of_block(version: CidVersion, codec: u64, block: &[u8]) -> Result<Cid, CidError> {
        let digest = crate::sha256(block);
        match version {
            CidVersion::V0 if codec == DAG_PB => Ok(Cid::v0(digest)),
            CidVersion::V0 => Err(CidError::UnsupportedCodec(codec)),
            CidVersion::V1 => Cid::v1(codec, digest),
        }
    }

    /// The CID version.
    pub fn version(&self) -> CidVersion {
        self.version
    }

    /// The multicodec of the block (dag-pb `0x70` or raw `0x55`).
    pub fn codec(&self) -> u64 {
        self.codec
    }

    /// The sha2-256 digest inside the multihash.
    pub fn multihash_digest(&self) -> [u8; SHA2_256_LEN] {
        self.digest
    }

    /// The multihash bytes: `0x12 0x20 <digest>`.
    pub fn multihash_bytes(&self) -> [u8; 34] {
        let mut out = [0u8; 34];
        out[0] = SHA2_256 as u8;
        out[1] = SHA2_256_LEN as u8;
        out[2..].copy_from_slice(&self.digest);
        out
    }

    /// The binary CID: the multihash for v0, `0x01 codec multihash` for v1.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(38);
        if self.version == CidVersion::V1 {
            out.push(1);
            write_varint(&mut out, self.codec);
        }
        out.extend_from_slice(&self.multihash_bytes());
        out
    }

    /// Parses a binary CID (the form dag-pb links carry).
    pub fn from_bytes(bytes: &[u8]) -> Result<Cid, CidError> {
        if bytes.is_empty() {
            return Err(CidError::Empty);
        }
        if bytes.len() == 34 && bytes[0] == SHA2_256 as u8 && bytes[1] == SHA2_256_LEN as u8 {
            let mut digest = [0u8; 32];
            digest.copy_from_slice(&bytes[2..]);
            return Ok(Cid::v0(digest));
        }
        let mut rest = bytes;
        let version = read_varint(&mut rest)?;
        if version != 1 {
            return Err(CidError::UnsupportedVersion(version));
        }
        let codec = read_varint(&mut rest)?;
        let hash = read_varint(&mut rest)?;
        if hash != SHA2_256 {
            return Err(CidError::UnsupportedHash(hash));
        }
        let declared = read_varint(&mut rest)?;
        if declared != SHA2_256_LEN as u64 || rest.len() < SHA2_256_LEN {
            return Err(CidError::BadDigestLength { declared, actual: rest.len().min(SHA2_256_LEN) });
        }
        if rest.len() > SHA2_256_LEN {
            return Err(CidError::TrailingBytes(rest.len() - SHA2_256_LEN));
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(rest);
        Cid::v1(codec, digest)
    }

    /// The same block addressed as CIDv1 (v0 dag-pb becomes v1 dag-pb).
    pub fn into_v1(self) -> Cid {
        Cid { version: CidVersion::V1, ..self }
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            CidVersion::V0 => f.write_str(&bs58::encode(self.multihash_bytes()).into_string()),
            CidVersion::V1 => {
                f.write_str("b")?;
                f.write_str(&BASE32_LOWER.encode(&self.to_bytes()))
            }
        }
    }
}

impl fmt::Debug for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid({self})")
    }
}

impl FromStr for Cid {
    type Err = CidError;

    fn from_str(input: &str) -> Result<Cid, CidError> {
        let shown = || input.chars().take(80).collect::<String>();
        if input.is_empty() {
            return Err(CidError::Empty);
        }
        if input.len() == 46 && input.starts_with("Qm") {
            let bytes = bs58::decode(input)
                .into_vec()
                .map_err(|_| CidError::BadEncoding { base: "base58btc", input: shown() })?;
            return Cid::from_bytes(&bytes);
        }
        let mut chars = input.chars();
        let prefix = chars.next().ok_or(CidError::Empty)?;
        let body = chars.as_str();
        let bytes = match prefix {
            'b' => BASE32_LOWER
                .decode(body.as_bytes())
                .map_err(|_| CidError::BadEncoding { base: "base32", input: shown() })?,
            'B' => BASE32_UPPER
                .decode(body.as_bytes())
                .map_err(|_| CidError::BadEncoding { base: "base32upper", input: shown() })?,
            'z' => bs58::decode(body)
                .into_vec()
                .map_err(|_| CidError::BadEncoding { base: "base58btc", input: shown() })?,
            other => return Err(CidError::UnsupportedMultibase(other)),
        };
        let cid = Cid::from_bytes(&bytes)?;
        if cid.version == CidVersion::V0 {
            // A bare multihash inside a multibase string is not a CID.
            return Err(CidError::UnsupportedVersion(0x12));
        }
        Ok(cid)
    }
}

impl serde::Serialize for Cid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cid, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

static BASE32_LOWER: std::sync::LazyLock<data_encoding::Encoding> = std::sync::LazyLock::new(|| {
    let mut spec = data_encoding::Specification::new();
    spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
    spec.encoding().expect("valid base32 spec")
});

const BASE32_UPPER: data_encoding::Encoding = data_encoding::BASE32_NOPAD;

/// Appends `value` as an unsigned LEB128 varint (multiformats and protobuf).
pub(crate) fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Number of bytes `value` takes as a varint.
pub(crate) fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads an unsigned varint from the front of `input`, advancing it.
pub(crate) fn read_varint(input: &mut &[u8]) -> Result<u64, CidError> {
    let mut value = 0u64;
    for (index, byte) in input.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            *input = &input[index + 1..];
            return Ok(value);
        }
    }
    Err(CidError::BadVarint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v0_round_trips_through_text_and_bytes() {
        let text = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN";
        let cid: Cid = text.parse().unwrap();
        assert_eq!(cid.version(), CidVersion::V0);
        assert_eq!(cid.to_string(), text);
        assert_eq!(Cid::from_bytes(&cid.to_bytes()).unwrap(), cid);
    }

    #[test]
    fn v1_round_trips_and_v0_converts() {
        let v0: Cid = "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN".parse().unwrap();
        let v1 = v0.into_v1();
        let text = v1.to_string();
        assert!(text.starts_with("bafybei"), "{text}");
        assert_eq!(text.parse::<Cid>().unwrap(), v1);
        let upper = format!("B{}", text[1..].to_uppercase());
        assert_eq!(upper.parse::<Cid>().unwrap(), v1);
        let z = format!("z{}", bs58::encode(v1.to_bytes()).into_string());
        assert_eq!(z.parse::<Cid>().unwrap(), v1);
    }

    #[test]
    fn malformed_cids_are_rejected_with_reasons() {
        assert_eq!("".parse::<Cid>(), Err(CidError::Empty));
        assert!(matches!(
            "Qm0000000000000000000000000000000000000000000l".parse::<Cid>(),
            Err(CidError::BadEncoding { .. })
        ));
        assert_eq!("xyz".parse::<Cid>(), Err(CidError::UnsupportedMultibase('x')));
        assert!(matches!("b!!!".parse::<Cid>(), Err(CidError::BadEncoding { .. })));
        // CIDv1 with a blake2b multihash (0xb220).
        let mut bytes = vec![1, 0x55];
        write_varint(&mut bytes, 0xb220);
        bytes.push(32);
        bytes.extend_from_slice(&[7; 32]);
        let text = format!("b{}", BASE32_LOWER.encode(&bytes));
        assert_eq!(text.parse::<Cid>(), Err(CidError::UnsupportedHash(0xb220)));
        // Truncated digest.
        let good = Cid::v1(RAW, [1; 32]).unwrap().to_bytes();
        assert!(matches!(Cid::from_bytes(&good[..good.len() - 1]), Err(CidError::BadDigestLength { .. })));
        let mut long = good.clone();
        long.push(0);
        assert_eq!(Cid::from_bytes(&long), Err(CidError::TrailingBytes(1)));
        assert_eq!(Cid::v1(0x71, [0; 32]), Err(CidError::UnsupportedCodec(0x71)));
    }

    #[test]
    fn varint_lengths_match_encoding() {
        for value in [0u64, 1, 127, 128, 16383, 16384, 262_144, u64::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            assert_eq!(out.len(), varint_len(value), "{value}");
            let mut slice = out.as_slice();
            assert_eq!(read_varint(&mut slice).unwrap(), value);
            assert!(slice.is_empty());
        }
    }
}
