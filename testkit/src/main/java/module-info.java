/**
 * Test helpers for glisten handlers: {@link dev.glisten.testkit.TestConnection} runs a handler
 * without sockets, {@link dev.glisten.testkit.RunningServer} runs a real server on loopback for a
 * test. Meant for a project's test scope.
 */
module dev.glisten.testkit {
    // Transitive: TestConnection takes OnInit, Handler and OnClose and is a Connection.
    requires transitive dev.glisten;
    // Only RunningServerExtension uses it; a project testing with the kit has JUnit already.
    requires static org.junit.jupiter.api;

    exports dev.glisten.testkit;
}
