/// An element type a safetensors file may declare, with its size in bytes.
///
/// Only ``f32``, ``f16``, ``bf16`` and ``f64`` convert to Float32; the integer and boolean types are
/// recognised so that files holding them (BERT's `embeddings.position_ids` is I64) still open.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

    /// The size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Whether ``SafeTensorsFile/tensor(named:)`` can read it as Float32.
    public var isFloatingPoint: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }
}

/// Converts IEEE 754 half-precision bits to a Float32 (exact; subnormals, infinities and NaN kept).
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: value = mantissa · 2^-24.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1F {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}
