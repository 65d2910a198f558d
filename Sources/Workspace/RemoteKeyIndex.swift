import Foundation
import RemoteCache

/// Answers "is this key on the remote?" for a push: one `HEAD` per key at first, and once a push has
/// asked ``listAfter`` times, one listing of `objects/` and `memo/` (a request per 1,000 keys, where
/// the store can list) that answers the rest. A cold push of thousands of small objects then costs
/// about one request per object, as `aws s3 sync` does, instead of two; a small push never lists.
final class RemoteKeyIndex: @unchecked Sendable {
    let remote: any RemoteStore
    let listAfter: Int
    private let lock = NSLock()
    private var checks = 0  // guarded by lock
    private var known: Set<String>?  // guarded by lock
    private var listing = false  // guarded by lock

    init(_ remote: any RemoteStore, listAfter: Int = 500) {
        self.remote = remote
        self.listAfter = listAfter
    }

    func exists(_ key: String) async throws -> Bool {
        let (listed, shouldList) = lock.withLock { () -> (Set<String>?, Bool) in
            checks += 1
            let start = self.known == nil && !listing && checks > listAfter && remote is any ListableRemoteStore
            if start { listing = true }
            return (self.known, start)
        }
        if let listed { return listed.contains(key) }
        if shouldList, let listable = remote as? any ListableRemoteStore {
            var keys: Set<String> = []
            for prefix in ["objects/", "memo/"] { keys.formUnion(try await listable.list(prefix: prefix).map(\.key)) }
            let listed = keys
            lock.withLock { self.known = listed }
            return listed.contains(key)
        }
        return try await remote.exists(key)
    }
}
