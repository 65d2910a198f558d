import COpenBLAS
import Foundation

/// OpenBLAS as Lunette uses it: single-threaded kernels, the kernel in use, and `sgemm`.
///
/// OpenBLAS's thread count is process-wide, and with some kernels (the Haswell ones among them) it
/// changes the last bits of a product. So Lunette never lets OpenBLAS thread: every call runs on the
/// caller's thread with OpenBLAS set to one thread, once, before the first product, and the encoder
/// and the trainer split work over their own threads (``BertEncoder/threads``). Results then depend
/// only on the inputs and that setting, never on what else the process runs at the same time.
/// (OpenBLAS's own worker threads also spin while they wait, which costs a loaded machine dearly.)
public enum BLAS {
    /// Sets OpenBLAS to one thread and ends the worker threads it started when it was loaded, the
    /// first time it is read (thread-safe, then free). Those workers otherwise spin for about 0.1 s
    /// of CPU at every process start, then sleep.
    static let singleThreaded: Void = {
        openblas_set_num_threads(1)
        _ = blas_thread_shutdown_()
    }()

    /// Applies ``singleThreaded`` now: programs call it first thing, so that OpenBLAS's idle workers
    /// do not spin beside a command that never multiplies anything.
    public static func runSingleThreaded() { _ = singleThreaded }

    /// The number of threads OpenBLAS itself uses: 1 once Lunette has multiplied anything.
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
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
