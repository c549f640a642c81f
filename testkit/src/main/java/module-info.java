/**
 * Test helpers for glisten handlers: {@link dev.glisten.testkit.RunningServer} runs a real server on
 * loopback for a test, and {@link dev.glisten.testkit.TestClient} talks to it (the core's
 * {@link dev.glisten.testing.TestConnection} runs a handler without sockets). Meant for a
 * project's test scope.
 */
module dev.glisten.testkit {
    // Transitive: RunningServer takes a Server.Builder, and tests use the core's TestConnection.
    requires transitive dev.glisten;
    // Only RunningServerExtension uses it; a project testing with the kit has JUnit already.
    requires static org.junit.jupiter.api;

    exports dev.glisten.testkit;
}
