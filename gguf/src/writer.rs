//! A minimal GGUF writer: metadata and tensors in, the bytes of a v3 file out. It writes what it
//! is told, offsets included, so tests and fuzz seeds can build corrupt files as well as good ones.

use super::{GgmlType, MetaValue};

pub struct GgufTensor {
    pub name: String,
    pub ne: Vec<u64>,
    pub type_id: u32,
    pub data: Vec<u8>,
    /// Overrides the data offset (relative to the data section) the writer would choose.
    pub offset: Option<u64>,
}

impl GgufTensor {
    pub fn new(name: &str, ne: &[u64], ty: GgmlType, data: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            ne: ne.to_vec(),
            type_id: ty.id(),
            data,
            offset: None,
        }
    }
}

pub struct GgufWriter {
    pub version: u32,
    pub kvs: Vec<(String, MetaValue)>,
    pub tensors: Vec<GgufTensor>,
}

impl GgufWriter {
    /// A v3 file whose only metadata is `general.architecture = "test"`.
    pub fn new() -> Self {
        Self {
            version: 3,
            kvs: vec![("general.architecture".into(), MetaValue::Str("test".into()))],
            tensors: vec![],
        }
    }

    pub fn kv(mut self, key: &str, v: MetaValue) -> Self {
        self.kvs.push((key.into(), v));
        self
    }

    pub fn tensor(mut self, t: GgufTensor) -> Self {
        self.tensors.push(t);
        self
    }

    /// Header, metadata, tensor infos, padding, then each tensor's data at an aligned offset. No
    /// padding follows the last tensor, so every proper prefix of the result is a truncated file.
    pub fn bytes(&self) -> Vec<u8> {
        let align = self
            .kvs
            .iter()
            .find(|(k, _)| k == "general.alignment")
            .and_then(|(_, v)| v.as_u64())
            .unwrap_or(32);
        let mut out = b"GGUF".to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend((self.kvs.len() as u64).to_le_bytes());
        for (k, v) in &self.kvs {
            put_str(&mut out, k);
            out.extend(value_type(v).to_le_bytes());
            put_value(&mut out, v);
        }
        let mut data = Vec::new();
        for t in &self.tensors {
            data.resize((data.len() as u64).next_multiple_of(align) as usize, 0);
            put_str(&mut out, &t.name);
            out.extend((t.ne.len() as u32).to_le_bytes());
            t.ne.iter().for_each(|d| out.extend(d.to_le_bytes()));
            out.extend(t.type_id.to_le_bytes());
            out.extend(t.offset.unwrap_or(data.len() as u64).to_le_bytes());
            data.extend(&t.data);
        }
        if !self.tensors.is_empty() {
            out.resize((out.len() as u64).next_multiple_of(align) as usize, 0);
        }
        out.extend(data);
        out
    }
}

impl Default for GgufWriter {
    fn default() -> Self {
        Self::new()
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

fn value_type(v: &MetaValue) -> u32 {
    match v {
        MetaValue::U8(_) => 0,
        MetaValue::I8(_) => 1,
        MetaValue::U16(_) => 2,
        MetaValue::I16(_) => 3,
        MetaValue::U32(_) => 4,
        MetaValue::I32(_) => 5,
        MetaValue::F32(_) => 6,
        MetaValue::Bool(_) => 7,
        MetaValue::Str(_) => 8,
        MetaValue::Array(_) => 9,
        MetaValue::U64(_) => 10,
        MetaValue::I64(_) => 11,
        MetaValue::F64(_) => 12,
    }
}

fn put_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.extend(x.to_le_bytes()),
        MetaValue::I8(x) => out.extend(x.to_le_bytes()),
        MetaValue::U16(x) => out.extend(x.to_le_bytes()),
        MetaValue::I16(x) => out.extend(x.to_le_bytes()),
        MetaValue::U32(x) => out.extend(x.to_le_bytes()),
        MetaValue::I32(x) => out.extend(x.to_le_bytes()),
        MetaValue::F32(x) => out.extend(x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(*x as u8),
        MetaValue::Str(s) => put_str(out, s),
        MetaValue::U64(x) => out.extend(x.to_le_bytes()),
        MetaValue::I64(x) => out.extend(x.to_le_bytes()),
        MetaValue::F64(x) => out.extend(x.to_le_bytes()),
        MetaValue::Array(items) => {
            out.extend(items.first().map_or(4, value_type).to_le_bytes());
            out.extend((items.len() as u64).to_le_bytes());
            items.iter().for_each(|i| put_value(out, i));
        }
    }
}
