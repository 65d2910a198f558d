import GRDB

extension RunStore {
    /// A number that moves with every change to what a run's plan reads from the store: run
    /// statuses (a changed status or reason) and the registry's metrics and aliases.
    ///
    /// Triggers move it (migration "v3: state generation"); invocations, stage executions and the
    /// stat cache leave it alone, so a `lunette run` that only recorded its own history finds it
    /// unchanged. It starts at a random value, so another store put in this one's place (a backup,
    /// another clone's file) reads differently. `lunette run`'s up-to-date stamp holds only while
    /// it is unchanged.
    public func stateGeneration() throws -> Int64 {
        try read("read the state generation") { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM state_generation WHERE id = 1") ?? 0
        }
    }
}
