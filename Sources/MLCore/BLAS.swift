import COpenBLAS
import Foundation

/// The OpenBLAS settings the encoder runs under: thread count and the kernel in use.
///
/// OpenBLAS's worker threads spin while they wait for work, so on a busy machine more threads can be
/// much slower than fewer: the thread count is a setting, not "all cores". It is process-wide (an
/// OpenBLAS limitation); ``BertEncoder`` applies its own count before each forward pass.
public enum BLAS {
    /// The thread count from `LUNETTE_THREADS` when set to a positive integer, else 2.
    public static var defaultThreadCount: Int {
        if let text = ProcessInfo.processInfo.environment["LUNETTE_THREADS"], let count = Int(text), count > 0 {
            return count
        }
        return 2
    }

    /// Sets OpenBLAS's thread count (at least 1).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The number of threads OpenBLAS will use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The name of the kernel OpenBLAS picked for this CPU (`Haswell`, `SkylakeX`, `Zen`, …);
    /// `OPENBLAS_CORETYPE` overrides it.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major, through `cblas_sgemm`.
    ///
    /// - Parameters:
    ///   - transposeA, transposeB: Whether A (`[k, m]` stored) or B (`[n, k]` stored) is transposed.
    ///   - m, n, k: `op(A)` is `m × k`, `op(B)` is `k × n`, C is `m × n`.
    ///   - lda, ldb, ldc: Row strides in elements.
    /// - Complexity: O(*m·n·k*).
    @inline(__always)
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
